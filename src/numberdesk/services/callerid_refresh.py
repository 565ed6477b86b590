"""Refreshing a process's caller-ID index after configuration changes (rules O3-O5, A3):
the changes past the index's version are read from the audit trail, the numbers they name
(or that are linked to a changed address or depend on a changed mandate: C2-C4) read again,
and the index refreshed around them (``domain/callerid_refresh``), in a fraction of a second
where building it whole takes 17 s at a million numbers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from numberdesk.domain.callerid_refresh import refreshed
from numberdesk.domain.orgs import Org
from numberdesk.services.callerid_index import (
    Indexed,
    agents_of,
    build_index,
    campaigns_of,
    candidates_of,
    org_day,
)
from numberdesk.services.index_changes import OF_A_NUMBER, Changes, refreshable
from numberdesk.store.branding import BrandingRepo
from numberdesk.store.callerid import CallerIdRepo
from numberdesk.store.mandates import mandates
from numberdesk.store.uow import Transaction

# What the refresh follows (numbers, and those of an address or mandate; agents' cards;
# campaigns; the org's settings are read again each time) or may pass over (a number a
# port-in changes has a change of its own); any other change builds the index whole.
FOLLOWED = OF_A_NUMBER | {"address", "mandate", "user", "campaign", "group", "org"}
PASSED_OVER = frozenset({"queue", "destination", "sponsor", "port_in"})
OF_CAMPAIGNS = frozenset({"campaign", "group"})


def current_index(tx: Transaction, org: Org, held: Indexed | None, now: datetime) -> Indexed:
    """The caller-ID index as ``org``'s configuration stands: ``held`` refreshed with the
    changes past its version when it can be, else built whole."""
    changes = refreshable(tx, org, held.version if held else None, FOLLOWED | PASSED_OVER)
    if held is None or changes is None:
        return build_index(tx, org, now)
    return _refreshed(tx, org, held, changes, now)


def _refreshed(
    tx: Transaction, org: Org, held: Indexed, changes: Changes, now: datetime
) -> Indexed:
    """``held`` with the changed numbers (and those of a changed address or mandate) read
    again, every agent card, and every campaign when one changed."""
    org_id, ids = org.org_id, changes.numbers
    addresses, changed_mandates = changes.of("address"), changes.of("mandate")
    if addresses or changed_mandates:
        linked = tx.numbers.ids_depending_on(org_id, addresses=addresses, mandates=changed_mandates)
        ids = ids.union(linked)
    live = [n for n in tx.numbers.call_path_by_ids(org_id, ids) if n.is_live]
    names = BrandingRepo(tx.conn).approved_display_names(org_id, ids)
    mapped, ends = tx.area_codes.of_numbers(org_id, ids), mandates(tx).ends(org_id)
    candidates = candidates_of(tx, org_id, live, mapped, names, ends)
    timezone = ZoneInfo(org.timezone)
    today, _ = org_day(now, timezone)
    CallerIdRepo(tx.conn).ensure_usage_rows(org_id, [c.id for c in candidates], today)
    snapshot = refreshed(
        held.snapshot,
        dict.fromkeys(ids, None) | {c.id: c for c in candidates},
        agents=agents_of(tx, org_id),
        campaigns=campaigns_of(tx, org_id) if changes.entities & OF_CAMPAIGNS else None,
        policy=tuple(org.caller_id_policy),
        default_caller_id=org.default_caller_id,
        daily_cap=org.daily_cap,
    )
    return Indexed(org.config_version, org.country, timezone, snapshot)

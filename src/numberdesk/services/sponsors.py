"""Sponsors: the partner companies whose name or numbers the org uses (N5)."""

from __future__ import annotations

from numberdesk.domain import mandates as rules
from numberdesk.domain.ids import new_id
from numberdesk.domain.mandates import Sponsor
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.phones import supported_country
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.services.paging import Page, page_of
from numberdesk.store.mandates import sponsor_exists, sponsors


def create_sponsor(desk: Desk, actor: Actor, name: str, business_id: str, country: str) -> Sponsor:
    """Add a sponsor: a partner company whose name or numbers the org uses."""
    require_manager(actor, "add sponsors")
    clean_name, clean_id = rules.check_sponsor(name, business_id)
    sponsor = Sponsor(
        actor.org_id, new_id("spn"), clean_name, clean_id, supported_country(country), desk.now()
    )
    with desk.store.transaction() as tx:
        if sponsors(tx).by_business_id(actor.org_id, sponsor.country, sponsor.business_id):
            raise sponsor_exists(sponsor.country, sponsor.business_id)
        sponsors(tx).add(sponsor)
        record(tx, sponsor.created_at, actor, "sponsor", sponsor.id, "create", after=sponsor)
    return sponsor


def list_sponsors(desk: Desk, actor: Actor, *, cursor: str | None, limit: int) -> Page[Sponsor]:
    """List the org's sponsors, oldest first."""
    with desk.store.transaction() as tx:
        return page_of(sponsors(tx).page(actor.org_id, after=cursor, limit=limit + 1), limit)


def get_sponsor(desk: Desk, actor: Actor, sponsor_id: str) -> Sponsor:
    """Read one sponsor of the org."""
    with desk.store.transaction() as tx:
        return sponsors(tx).require(actor.org_id, sponsor_id)

"""The outbound call path's index (rules O3-O5): everything the decision reads about one org,
loaded and indexed when the org's configuration changed (never per call)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from numberdesk.domain.callerid import (
    AgentNumbers,
    CampaignPlan,
    Candidate,
    Snapshot,
    build_snapshot,
)
from numberdesk.domain.compliance import compliance_of
from numberdesk.domain.numbers import CallPathNumber, Capability, Kind, Status
from numberdesk.domain.orgs import Org
from numberdesk.domain.regions import region_of
from numberdesk.store.addresses import AddressRepo
from numberdesk.store.branding import BrandingRepo
from numberdesk.store.callerid import CallerIdRepo
from numberdesk.store.mandates import mandates
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class Indexed:
    """One org's call-path index and the config version it was built from."""

    version: int
    country: str
    timezone: ZoneInfo
    snapshot: Snapshot


def build_index(tx: Transaction, org: Org, now: datetime) -> Indexed:
    """Load everything the decision reads about one org and index it (not on the call path:
    only when the org's configuration changed and the index cannot be refreshed)."""
    candidates = all_candidates(tx, org.org_id)
    timezone = ZoneInfo(org.timezone)
    today, _ = org_day(now, timezone)
    CallerIdRepo(tx.conn).ensure_usage_rows_of_live_numbers(org.org_id, today)
    snapshot = build_snapshot(
        candidates,
        agents=agents_of(tx, org.org_id),
        campaigns=campaigns_of(tx, org.org_id),
        policy=tuple(org.caller_id_policy),
        default_caller_id=org.default_caller_id,
        daily_cap=org.daily_cap,
    )
    return Indexed(org.config_version, org.country, timezone, snapshot)


def all_candidates(tx: Transaction, org_id: str) -> list[Candidate]:
    """Every live number as the decision sees it, read a page at a time: a whole build holds
    the candidates and one page of number rows, not a million rows (bench/README.md)."""
    mapped = tx.area_codes.all(org_id)
    names = BrandingRepo(tx.conn).approved_display_names(org_id)
    ends = mandates(tx).ends(org_id)
    return [
        candidate
        for page in tx.numbers.live_pages(org_id)
        for candidate in candidates_of(tx, org_id, page, mapped, names, ends)
    ]


def candidates_of(
    tx: Transaction,
    org_id: str,
    numbers: list[CallPathNumber],
    mapped: Mapping[str, list[str]],
    names: Mapping[str, str],
    ends: Mapping[str, datetime],
) -> list[Candidate]:
    """The numbers as the decision sees them: with their mapped area codes (``mapped``),
    compliance, approved display name (``names``) and when the mandate they depend on ends
    (``ends``, by mandate id)."""
    addresses = AddressRepo(tx.conn).by_ids(org_id, {n.address_id for n in numbers if n.address_id})
    compliance = compliance_of(numbers, addresses)
    return [
        _candidate(
            n,
            mapped.get(n.id, []),
            compliance[n.id].issues,
            names.get(n.id),
            ends.get(n.mandate_id or ""),
        )
        for n in numbers
    ]


def agents_of(tx: Transaction, org_id: str) -> Iterator[AgentNumbers]:
    """The numbers each live user's card names."""
    for u in tx.users.live(org_id):
        yield AgentNumbers(u.id, u.caller_id, u.personal_number_id, u.company_number_id)


def campaigns_of(tx: Transaction, org_id: str) -> Iterator[CampaignPlan]:
    """Each campaign's numbers (direct, then through its groups), policy and options."""
    for c in tx.campaigns.all(org_id):
        yield CampaignPlan(
            c.id,
            tuple(tx.campaigns.numbers_of(org_id, c.id)),
            tuple(c.caller_id_policy) if c.caller_id_policy else None,
            c.daily_cap,
            c.sticky,
        )


def org_day(now: datetime, timezone: ZoneInfo) -> tuple[str, datetime]:
    """The org's calendar day, which daily caps count (O6), and the moment it began."""
    today = now.astimezone(timezone).date()
    return today.isoformat(), datetime.combine(today, time(), timezone)


def _candidate(
    number: CallPathNumber,
    mapped: list[str],
    issues: tuple[object, ...],
    name: str | None,
    mandate_ends: datetime | None,
) -> Candidate:
    own = [number.area_code] if number.area_code else []
    return Candidate(
        id=number.id,
        e164=number.e164,
        country=sys.intern(number.country),
        area_codes=shared_area_codes(tuple(dict.fromkeys(own + mapped))),
        region=region_of(number.e164, number.country, number.area_code),
        masked=number.kind is Kind.MASKED,
        unusable=_unusable(number, issues),
        rested_until=number.rested_until,
        mandate_ends=mandate_ends,
        display_name=name,
    )


@lru_cache(maxsize=65_536)
def shared_area_codes(codes: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple for each list of area codes, its codes interned: a big org's numbers share a
    few thousand instead of each holding its own (with the countries interned too, the index
    of 300k numbers holds half the objects: bench/README.md, sixteenth session)."""
    return tuple(sys.intern(code) for code in codes)


def _unusable(number: CallPathNumber, issues: tuple[object, ...]) -> str | None:
    """Why a number can never be chosen now, or None (O4, C4, N2, N3)."""
    if number.status is not Status.ACTIVE:
        return f"is {number.status.value}" + (
            f" ({number.status_reason})" if number.status_reason else ""
        )
    if not number.can(Capability.VOICE_OUT):
        return f"is an {number.kind.value} number and cannot make calls"
    if issues:
        return "is not compliant: " + "; ".join(getattr(i, "message", str(i)) for i in issues)
    return None

"""The org's numbers: list, read, change (area codes, forwarding, tags) and release (N1-N3, N8)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from numberdesk.domain import areacodes
from numberdesk.domain.addresses import Address
from numberdesk.domain.compliance import ADDRESS_ISSUES, Compliance, assess, require_linkable
from numberdesk.domain.errors import Conflict, Invalid, invalid_field, not_found
from numberdesk.domain.numbers import (
    Capability,
    Kind,
    Number,
    Origin,
    PresenceArea,
    Status,
    all_area_codes,
    check_area_code_syntax,
    check_mapped_area_codes,
    check_tags,
    local_presence,
    require_capability,
    require_live,
    require_still_live,
)
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.phones import parse_phone, supported_country
from numberdesk.services.audit import picture, record
from numberdesk.services.branding import withdraw_for_leaving
from numberdesk.services.company import clear_for_leaving as clear_company_for_leaving
from numberdesk.services.desk import Desk
from numberdesk.services.paging import Page, page_of
from numberdesk.store.addresses import addresses_in
from numberdesk.store.numbers import NumberFilter
from numberdesk.store.uow import Transaction

log = logging.getLogger("numberdesk.numbers")
NUMBER_FIELDS = frozenset({"area_codes", "forward_to", "tags", "address_id"})
SCAN = 500  # numbers checked per query when filtering by compliance, which is not a column
LEAVING = {Status.RELEASED: "release", Status.PORTED_OUT: "port_out"}  # audit action (N8)


@dataclass(frozen=True)
class NumberView:
    """A number with every area code it covers: its own first, then the mapped ones."""

    number: Number
    area_codes: list[str]
    address: Address | None = None  # the linked address, when loaded (``views_of`` loads it)

    @property
    def id(self) -> str:
        """The number's id (pages are cut by it)."""
        return self.number.id

    @cached_property
    def compliance(self) -> Compliance:
        """What the number still needs, each with its fix (C4)."""
        return assess(self.number, self.address)


def views_of(tx: Transaction, org_id: str, numbers: list[Number]) -> list[NumberView]:
    """Numbers with their area codes and linked addresses, in two queries for any count (C4)."""
    mapped = tx.area_codes.of_numbers(org_id, (n.id for n in numbers))
    linked = addresses_in(tx).by_ids(org_id, (n.address_id for n in numbers if n.address_id))
    return [
        NumberView(n, all_area_codes(n, mapped.get(n.id, [])), linked.get(n.address_id or ""))
        for n in numbers
    ]


def list_numbers(
    desk: Desk,
    actor: Actor,
    *,
    status: Status | None = None,
    kind: Kind | None = None,
    country: str | None = None,
    area_code: str | None = None,
    group_id: str | None = None,
    needs_address: bool | None = None,
    compliance_ok: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[NumberView]:
    """List the org's numbers (live ones unless a status is asked for), oldest first.

    ``needs_address``: only numbers that still need a (valid) proof of address, or only those
    that don't (C2); ``compliance_ok``: only compliant or only non-compliant numbers (C4).
    """
    filters = NumberFilter(
        status=status,
        kind=kind,
        country=supported_country(country) if country else None,
        area_code=check_area_code_syntax(area_code) if area_code else None,
        group_id=group_id,
    )
    with desk.store.transaction() as tx:
        _catch_up(tx, actor.org_id, desk.now())
        if group_id and tx.groups.get(actor.org_id, group_id) is None:
            raise not_found("group", group_id)
        keep = _compliance_filter(needs_address, compliance_ok)
        if keep is None:
            rows = tx.numbers.page(actor.org_id, filters, after=cursor, limit=limit + 1)
            views = views_of(tx, actor.org_id, rows)
        else:
            views = _matching(tx, actor.org_id, filters, keep, cursor, limit + 1)
    return page_of(views, limit)


def _compliance_filter(
    needs_address: bool | None, compliance_ok: bool | None
) -> Callable[[Compliance], bool] | None:
    if needs_address is None and compliance_ok is None:
        return None

    def keep(c: Compliance) -> bool:
        address_ok = needs_address is None or c.has(*ADDRESS_ISSUES) == needs_address
        return address_ok and (compliance_ok is None or c.ok == compliance_ok)

    return keep


def _matching(
    tx: Transaction,
    org_id: str,
    filters: NumberFilter,
    keep: Callable[[Compliance], bool],
    after: str | None,
    want: int,
) -> list[NumberView]:
    """Numbers whose compliance passes ``keep``, checked in memory a batch at a time."""
    found: list[NumberView] = []
    while len(found) < want:
        rows = tx.numbers.page(org_id, filters, after=after, limit=SCAN)
        found += [v for v in views_of(tx, org_id, rows) if keep(v.compliance)]
        if len(rows) < SCAN:
            break
        after = rows[-1].id
    return found[:want]


def live_numbers(tx: Transaction, org_id: str, ids: list[str]) -> list[Number]:
    """The org's numbers for these ids, in their order, held for a change that will refer to
    them (``NumberRepo.by_ids``): another org's id is 404, a departed number 422 (N8)."""
    found = {n.id: n for n in tx.numbers.by_ids(org_id, ids, hold=True)}
    for number_id in ids:
        if number_id not in found:
            raise not_found("number", number_id)
        require_live(found[number_id])
    return [found[i] for i in ids]


def get_number(desk: Desk, actor: Actor, number_id: str) -> NumberView:
    """Read one number of the org (another org's id is 404, A1)."""
    with desk.store.transaction() as tx:
        _catch_up(tx, actor.org_id, desk.now())
        return views_of(tx, actor.org_id, [tx.numbers.require(actor.org_id, number_id)])[0]


def _catch_up(tx: Transaction, org_id: str, now: datetime) -> None:
    """Apply time before numbers are read: run-out mandates expire and suspend what depends on
    them (C3), and port-ins whose completion date has come arrive (N7)."""
    from numberdesk.services.mandates import expire_due  # both use this module
    from numberdesk.services.porting_notices import complete_due

    expire_due(tx, org_id, now)
    complete_due(tx, org_id, now)


def update_number(desk: Desk, actor: Actor, number_id: str, changes: dict[str, Any]) -> NumberView:
    """Change a number's mapped area codes, forwarding, tags or address (owners and admins)."""
    require_manager(actor, "change numbers")
    unknown = set(changes) - NUMBER_FIELDS
    if unknown:
        raise Invalid(
            "unknown_field", f"These fields cannot be changed: {', '.join(sorted(unknown))}"
        )
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        before = tx.numbers.lock(actor.org_id, number_id)
        require_still_live(before)
        mapped_before = tx.area_codes.of_number(actor.org_id, number_id)
        after, mapped = _changed(before, mapped_before, changes, org.country)
        if "forward_to" in changes and after.forward_to:
            require_external(tx, after.org_id, after.forward_to, "forward_to")
        if "address_id" in changes:
            address_id = _address_id(tx, after, changes["address_id"])
            after = dataclasses.replace(after, address_id=address_id)
        if after != before:
            tx.numbers.save(after)
        if mapped != mapped_before:
            tx.area_codes.replace(actor.org_id, number_id, mapped)
        if after != before or mapped != mapped_before:
            change = picture(before, mapped_before), picture(after, mapped)
            record(tx, desk.now(), actor, "number", number_id, "update", *change)
        return views_of(tx, actor.org_id, [after])[0]


def _address_id(tx: Transaction, number: Number, value: object) -> str | None:
    """The address to link, if it satisfies the number's rule (C2); None unlinks."""
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise invalid_field("address_id", "give an address id, or null to unlink")
    address = addresses_in(tx).lock(number.org_id, value, share=True)
    require_linkable(number, address)
    return address.id


def _changed(
    number: Number, mapped: list[str], changes: dict[str, Any], country: str
) -> tuple[Number, list[str]]:
    values: dict[str, Any] = {}
    if "tags" in changes:
        values["tags"] = check_tags(list(changes["tags"] or []))
    if "forward_to" in changes:
        values["forward_to"] = _forward_to(number, changes["forward_to"], country)
    if "area_codes" in changes:
        codes = list(changes["area_codes"] or [])
        mapped = check_mapped_area_codes(number, codes, areacodes.is_area_code)
    return dataclasses.replace(number, **values), mapped


def _forward_to(number: Number, value: str | None, country: str) -> str | None:
    """An external number to forward every inbound call to (N11), or None to stop."""
    if value is None:
        return None
    require_capability(number, Capability.VOICE_IN, "to forward calls")
    e164 = parse_phone(value, country, field="forward_to").e164
    if e164 == number.e164:
        raise invalid_field("forward_to", f"{e164} is this number itself; forward elsewhere")
    return e164


def require_external(tx: Transaction, org_id: str, e164: str, field: str) -> None:
    """Forwarding leaves the org: never to one of its own live numbers (N11); giving the
    number that number's route is what sends calls where its calls go."""
    own = tx.numbers.live_by_e164(org_id, e164)
    if own is not None:
        raise invalid_field(
            field,
            f"{e164} is one of your own numbers; forwarding is to an external number (rule "
            "N11). To send calls where that number's calls go, give this number the same route "
            f"(GET /v1/numbers/{own.id} shows it)",
            code="forward_to_own_number",
        )


def release_number(desk: Desk, actor: Actor, number_id: str) -> NumberView:
    """Give a number back: it leaves groups, campaigns, local presence and agent cards (N8)."""
    require_manager(actor, "release numbers")
    with desk.store.transaction() as tx:
        number = tx.numbers.lock(actor.org_id, number_id)
        require_still_live(number)
        if number.status is Status.PORTING_IN:
            raise Conflict(
                "number_porting_in",
                f"{number.e164} is still porting in (port-in {number.order_id}); cancel the "
                f"port-in with POST /v1/port-ins/{number.order_id}/cancel instead (rule N7)",
            )
        released = retire(tx, desk.now(), actor, number, Status.RELEASED)
    if number.origin is not Origin.MASKED:  # a masked number was never the carrier's to take back
        _give_back(desk, actor.org_id, number.e164)
    return NumberView(released, all_area_codes(released, []))


def retire(
    tx: Transaction,
    at: datetime,
    actor: Actor | None,
    number: Number,
    status: Status,
    *,
    reason: str | None = None,
) -> Number:
    """Make a number leave for good (``released`` or ``ported_out``) and take it out of groups,
    campaigns, local presence, agent cards and the org default, clear its inbound route and
    company settings, and withdraw its branding and directory listing, audited, in ``tx`` (N8).

    ``actor`` None is the carrier (a port-out notice); ``reason``, if given, is kept as the
    number's ``status_reason``.
    """
    org_id = number.org_id
    mapped = tx.area_codes.of_number(org_id, number.id)
    gone = dataclasses.replace(number, status=status, released_at=at, route=None)
    if reason is not None:
        gone.status_reason = reason
    tx.numbers.save(gone)
    tx.area_codes.replace(org_id, number.id, [])
    change = picture(number, mapped), picture(gone, [])
    record(tx, at, actor, "number", number.id, LEAVING[status], *change, org_id=org_id)
    _leave_groups_and_campaigns(tx, at, actor, number)
    _leave_agent_cards(tx, at, actor, number)
    _leave_org_default(tx, at, actor, number)
    withdraw_for_leaving(tx, at, actor, number)
    clear_company_for_leaving(tx, at, actor, number)
    return gone


def _give_back(desk: Desk, org_id: str, e164: str) -> None:
    try:
        desk.carrier.release(org_id, [e164])
    except Exception:  # our books are right; the carrier is told again by support
        log.exception("the carrier did not take back %s for org %s", e164, org_id)


def _leave_groups_and_campaigns(
    tx: Transaction, at: datetime, actor: Actor | None, number: Number
) -> None:
    org_id, number_id = number.org_id, number.id
    for group_id in tx.groups.remove_number(org_id, number_id):
        group = tx.groups.get(org_id, group_id)
        if group is not None:
            before = dataclasses.replace(group, number_ids=sorted([*group.number_ids, number_id]))
            record(tx, at, actor, "group", group_id, "remove_number", before, group, org_id=org_id)
    for campaign_id in tx.campaigns.remove_number(org_id, number_id):
        campaign = tx.campaigns.get(org_id, campaign_id)
        if campaign is not None:
            was = dataclasses.replace(
                campaign, number_ids=sorted([*campaign.number_ids, number_id])
            )
            change = was, campaign
            record(tx, at, actor, "campaign", campaign_id, "remove_number", *change, org_id=org_id)


def _leave_agent_cards(tx: Transaction, at: datetime, actor: Actor | None, number: Number) -> None:
    org_id = number.org_id
    users = {u.id: u for u in tx.users.holding_number(org_id, number.id)}
    for user in tx.users.showing_caller_id(org_id, number.e164):
        users.setdefault(user.id, user)
    for user in users.values():
        after = dataclasses.replace(
            user,
            personal_number_id=_unless(user.personal_number_id, number.id),
            company_number_id=_unless(user.company_number_id, number.id),
            caller_id=_unless(user.caller_id, number.e164),
            sender_id=_unless(user.sender_id, number.e164),
        )
        tx.users.save(after)
        record(tx, at, actor, "user", user.id, "update", user, after, org_id=org_id)


def _leave_org_default(tx: Transaction, at: datetime, actor: Actor | None, number: Number) -> None:
    org = tx.orgs.require(number.org_id)
    if org.default_caller_id == number.e164:
        after = dataclasses.replace(org, default_caller_id=None)
        tx.orgs.save(after)
        record(tx, at, actor, "org", org.org_id, "update", org, after, org_id=org.org_id)


def _unless(value: str | None, leaving: str) -> str | None:
    return None if value == leaving else value


def list_local_presence(desk: Desk, actor: Actor) -> list[PresenceArea]:
    """Every area code the org's active voice-out numbers cover, own and mapped (O3)."""
    with desk.store.transaction() as tx:
        numbers = tx.numbers.active_voice_out(actor.org_id)
        mapped = tx.area_codes.all(actor.org_id)
    return local_presence(numbers, mapped)

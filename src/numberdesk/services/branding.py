"""Branding (N9) and directory registration (N10) of the org's numbers, and the carrier's reviews.

The org (owners and admins) submits a branding or a registration; the carrier is told in the
same use case, before anything is written, so a refusal by the carrier changes nothing. The
carrier's decision arrives later as a notice (:func:`branding_reviewed`, :func:`listing_reviewed`;
the sandbox carrier's endpoints and CLI send them). Every change is audited (A3) under the
entities ``branding`` and ``directory_listing``, with the number's id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from numberdesk.domain.branding import (
    Branding,
    BrandingStatus,
    Directory,
    DirectoryListing,
    ListingStatus,
    check_branding,
    check_company_name,
    decide_branding,
    decide_listing,
    directories,
    is_unchanged_branding,
    is_unchanged_listing,
    require_brandable,
    require_registrable,
)
from numberdesk.domain.errors import Invalid, NotFound, invalid_field, not_found
from numberdesk.domain.mandates import RULE_OF, MandateStatus, Purpose, covers, effective_status
from numberdesk.domain.numbers import Number
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.services.mandates import require_mandate
from numberdesk.store.branding import brandings, listings
from numberdesk.store.mandates import mandates, sponsors
from numberdesk.store.uow import Transaction

log = logging.getLogger("numberdesk.branding")


@dataclass(frozen=True)
class NumberExtras:
    """The brandings and directory listings of some numbers, by number id."""

    brandings: dict[str, Branding]
    listings: dict[str, DirectoryListing]


# --- Branding (N9) ------------------------------------------------------------------------


def set_branding(
    desk: Desk,
    actor: Actor,
    number_id: str,
    *,
    display_name: str,
    location: str | None = None,
    logo_url: str | None = None,
    call_reason: str | None = None,
) -> Branding:
    """Submit (or resubmit) a number's branding for the carrier's review (owners, admins; N9)."""
    require_manager(actor, "brand numbers")
    wanted = check_branding(display_name, location, logo_url, call_reason)
    with desk.store.transaction() as tx:
        number = tx.numbers.lock(actor.org_id, number_id)
        require_brandable(number)
        current = brandings(tx).get(actor.org_id, number_id)
        if current is not None and is_unchanged_branding(current, wanted):
            return current
        if number.owner_type == "sponsor" and number.owner_id:
            _sponsor_mandate(tx, desk, number, number.owner_id, Purpose.BRAND, None)
        now = desk.now()
        asked = asdict(wanted)
        status = BrandingStatus.SUBMITTED
        after = Branding(actor.org_id, number_id, status=status, submitted_at=now, **asked)
        desk.carrier.submit_branding(actor.org_id, number.e164, **asked)
        brandings(tx).put(after, exists=current is not None)
        record(tx, now, actor, "branding", number_id, "submit", current, after)
    return after


def get_branding(desk: Desk, actor: Actor, number_id: str) -> Branding:
    """Read a number's branding and where its review stands (any user)."""
    with desk.store.transaction() as tx:
        number = tx.numbers.require(actor.org_id, number_id)
        found = brandings(tx).get(actor.org_id, number_id)
    if found is None:
        raise _none("branding", number, "PUT /v1/numbers/{id}/branding")
    return found


def remove_branding(desk: Desk, actor: Actor, number_id: str) -> None:
    """Take a number's branding away (or withdraw the request) and tell the carrier (N9)."""
    require_manager(actor, "brand numbers")
    with desk.store.transaction() as tx:
        number = tx.numbers.lock(actor.org_id, number_id)
        current = brandings(tx).get(actor.org_id, number_id)
        if current is None:
            raise _none("branding", number, "PUT /v1/numbers/{id}/branding")
        desk.carrier.withdraw_branding(actor.org_id, number.e164)
        brandings(tx).remove(actor.org_id, number_id)
        record(tx, desk.now(), actor, "branding", number_id, "remove", current, None)


def branding_reviewed(
    desk: Desk, number_id: str, *, approved: bool, reason: str | None
) -> Branding:
    """The carrier's decision on a submitted branding: approved, or rejected with a reason."""
    with desk.store.transaction() as tx:
        current = brandings(tx).anywhere(number_id)
        if current is None:
            raise NotFound("branding_not_found", f"No branding was submitted for {number_id}.")
        now = desk.now()
        after = decide_branding(current, approved, reason, now)
        brandings(tx).move(after, BrandingStatus.SUBMITTED)
        action = "approve" if approved else "reject"
        record(tx, now, None, "branding", number_id, action, current, after, org_id=after.org_id)
    return after


def approved_display_names(
    tx: Transaction, org_id: str, number_ids: Iterable[str] | None = None
) -> dict[str, str]:
    """Approved display names of the org's live numbers, by number id (what O1 shows, N9)."""
    return brandings(tx).approved_display_names(org_id, number_ids)


# --- Directory registration (N10) ---------------------------------------------------------


def list_directories() -> list[Directory]:
    """The directories numbers can be registered in, by country (N10)."""
    return sorted(directories().values(), key=lambda d: d.country)


def set_directory_listing(
    desk: Desk,
    actor: Actor,
    number_id: str,
    *,
    company_name: str,
    sponsor_id: str | None = None,
    mandate_id: str | None = None,
) -> DirectoryListing:
    """Ask the country's directory to list a number under a company's name (N10).

    With a sponsor's information (``sponsor_id``) the sponsor's active ``register`` mandate
    covering the number is needed: ``mandate_id``, or else one is looked up.
    """
    require_manager(actor, "register numbers in directories")
    name = check_company_name(company_name)
    if mandate_id and not sponsor_id:
        raise invalid_field(
            "mandate_id", "a mandate is only needed with a sponsor's information; give sponsor_id"
        )
    with desk.store.transaction() as tx:
        number = tx.numbers.lock(actor.org_id, number_id)
        directory = require_registrable(number)
        current = listings(tx).get(actor.org_id, number_id)
        if current is not None and is_unchanged_listing(current, name, sponsor_id):
            return current
        grantor = sponsor_id or (number.owner_id if number.owner_type == "sponsor" else None)
        used = (
            _sponsor_mandate(tx, desk, number, grantor, Purpose.REGISTER, mandate_id)
            if grantor
            else None
        )
        now = desk.now()
        after = DirectoryListing(
            actor.org_id,
            number_id,
            directory.name,
            name,
            ListingStatus.REQUESTED,
            now,
            sponsor_id=sponsor_id,
            mandate_id=used,
        )
        desk.carrier.submit_directory_listing(
            actor.org_id, number.e164, directory=directory.name, company_name=name
        )
        listings(tx).put(after, exists=current is not None)
        record(tx, now, actor, "directory_listing", number_id, "request", current, after)
    return after


def get_directory_listing(desk: Desk, actor: Actor, number_id: str) -> DirectoryListing:
    """Read a number's directory registration and where it stands (any user)."""
    with desk.store.transaction() as tx:
        number = tx.numbers.require(actor.org_id, number_id)
        found = listings(tx).get(actor.org_id, number_id)
    if found is None:
        raise _none("directory_listing", number, "PUT /v1/numbers/{id}/directory-listing")
    return found


def remove_directory_listing(desk: Desk, actor: Actor, number_id: str) -> None:
    """Unregister a number from its directory (or withdraw the request) (N10)."""
    require_manager(actor, "register numbers in directories")
    with desk.store.transaction() as tx:
        number = tx.numbers.lock(actor.org_id, number_id)
        current = listings(tx).get(actor.org_id, number_id)
        if current is None:
            raise _none("directory_listing", number, "PUT /v1/numbers/{id}/directory-listing")
        desk.carrier.withdraw_directory_listing(
            actor.org_id, number.e164, directory=current.directory
        )
        listings(tx).remove(actor.org_id, number_id)
        record(tx, desk.now(), actor, "directory_listing", number_id, "remove", current, None)


def listing_reviewed(
    desk: Desk, number_id: str, *, registered: bool, reason: str | None
) -> DirectoryListing:
    """The directory's decision on a requested registration: registered, or rejected."""
    with desk.store.transaction() as tx:
        current = listings(tx).anywhere(number_id)
        if current is None:
            raise NotFound(
                "directory_listing_not_found",
                f"No directory registration was asked for {number_id}.",
            )
        now = desk.now()
        after = decide_listing(current, registered, reason, now)
        listings(tx).move(after, ListingStatus.REQUESTED)
        action = "register" if registered else "reject"
        change = current, after
        record(tx, now, None, "directory_listing", number_id, action, *change, org_id=after.org_id)
    return after


# --- For other parts: number views, the carrier's queue, numbers that leave (N8) -----------


def of_numbers(desk: Desk, actor: Actor, number_ids: Iterable[str]) -> NumberExtras:
    """The brandings and directory listings of these numbers: one query each, not per number."""
    ids = list(number_ids)
    with desk.store.transaction() as tx:
        return NumberExtras(
            brandings(tx).of_numbers(actor.org_id, ids), listings(tx).of_numbers(actor.org_id, ids)
        )


def of_number(desk: Desk, actor: Actor, number_id: str) -> NumberExtras:
    """One number's branding and directory listing (404 for a number not in the org)."""
    with desk.store.transaction() as tx:
        tx.numbers.require(actor.org_id, number_id)
        return NumberExtras(
            brandings(tx).of_numbers(actor.org_id, [number_id]),
            listings(tx).of_numbers(actor.org_id, [number_id]),
        )


def pending_reviews(
    desk: Desk, limit: int = 100
) -> tuple[list[tuple[Branding, str]], list[tuple[DirectoryListing, str]]]:
    """What waits for the carrier in every org (the sandbox operator's queue), with E.164s."""
    with desk.store.transaction() as tx:
        return brandings(tx).pending(limit), listings(tx).pending(limit)


def withdraw_for_leaving(
    tx: Transaction, at: datetime, actor: Actor | None, number: Number
) -> None:
    """A number that leaves (N8) takes its branding and directory listing with it, audited."""
    found_branding = brandings(tx).get(number.org_id, number.id)
    if found_branding is not None:
        brandings(tx).remove(number.org_id, number.id)
        record(
            tx,
            at,
            actor,
            "branding",
            number.id,
            "remove",
            found_branding,
            None,
            org_id=number.org_id,
        )
    found_listing = listings(tx).get(number.org_id, number.id)
    if found_listing is not None:
        listings(tx).remove(number.org_id, number.id)
        change = found_listing, None
        record(
            tx, at, actor, "directory_listing", number.id, "remove", *change, org_id=number.org_id
        )


# --- Helpers ------------------------------------------------------------------------------


def _none(entity: str, number: Number, fix: str) -> NotFound:
    what = entity.replace("_", " ")
    return NotFound(
        f"{entity}_not_found",
        f"{number.e164} has no {what}; set one with {fix.replace('{id}', number.id)}.",
    )


def _sponsor_mandate(
    tx: Transaction,
    desk: Desk,
    number: Number,
    sponsor_id: str,
    purpose: Purpose,
    mandate_id: str | None,
) -> str:
    """The id of the sponsor's active mandate for ``purpose`` covering the number, or refuse."""
    org_id, e164, now = number.org_id, number.e164, desk.now()
    sponsor = sponsors(tx).get(org_id, sponsor_id)
    if sponsor is None:
        raise not_found("sponsor", sponsor_id)
    if mandate_id is None:
        usable = [
            m
            for m in mandates(tx).active_of(org_id, "sponsor", sponsor_id)
            if purpose.value in m.purposes
            and covers(m, e164)
            and effective_status(m, now) is MandateStatus.ACTIVE
        ]
        if not usable:
            raise _mandate_required(purpose, sponsor.name, sponsor_id, e164)
        mandate_id = min(usable, key=lambda m: (m.all_numbers, m.id)).id
    require_mandate(
        tx,
        org_id,
        mandate_id,
        purpose=purpose.value,
        grantor_type="sponsor",
        grantor_id=sponsor_id,
        e164s=[e164],
        at=now,
    )
    return mandate_id


def _mandate_required(purpose: Purpose, name: str, sponsor_id: str, e164: str) -> Invalid:
    rule = RULE_OF[purpose]
    what = (
        f"Registering {e164} with the information of sponsor {name}"
        if purpose is Purpose.REGISTER
        else f"{e164} belongs to sponsor {name}, so branding it"
    )
    return Invalid(
        "mandate_required",
        f"{what} needs that sponsor's active `{purpose.value}` mandate covering the number "
        f"(rule {rule}). Create one with POST /v1/mandates "
        f'{{"grantor": {{"type": "sponsor", "id": "{sponsor_id}"}}, "purposes": '
        f'["{purpose.value}"], "numbers": ["{e164}"]}} and sign it.',
        extra={"rule": rule},
    )

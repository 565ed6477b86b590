"""Mandates: create, sign, revoke, expire; and the checks other features make with them (C3).

Shared API, usable INSIDE an open transaction (masking N6, porting N7, branding N9,
directory registration N10 and sponsor purchases N5 call it)::

    require_mandate(tx, org_id, mandate_id, *, purpose, grantor_type, grantor_id, e164s, at)
        -> Mandate

It first applies expiry (:func:`expire_due`), then refuses with a problem naming the rule:
404 ``mandate_not_found`` (unknown, or another org's id); 422 ``mandate_not_active``
(pending signature, revoked or expired), ``mandate_purpose_missing``,
``mandate_wrong_grantor`` (the number's owner must grant it: ``grantor_type`` "org" with
``grantor_id`` None, or "sponsor" with the sponsor's id), ``mandate_number_not_covered``
(names the number; ``e164s`` empty skips this check). ``purpose`` is one of purchase,
mask, port, register, brand. Store the returned mandate's id in ``numbers.mandate_id`` of
every number that depends on it: when the mandate stops being active, those numbers are
suspended (only ``active`` ones, N3; features must call ``require_mandate`` again before a
``pending``/``porting_in`` number turns active).

``expire_due(tx, org_id, now)`` marks the org's mandates whose ``valid_until`` has passed as
``expired`` and suspends the numbers depending on them, in ``tx``: call it at the start of
any transaction that reads numbers' status or compliance, so nothing waits for a job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from numberdesk.domain import mandates as rules
from numberdesk.domain.errors import Conflict, Invalid, invalid_field, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.mandates import GrantorType, Mandate, MandateStatus, Purpose, Sponsor
from numberdesk.domain.numbers import Status
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.paging import Page, page_of
from numberdesk.store.mandates import DependentNumbers, mandates, sponsors
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class MandateRequest:
    """What a user asks a mandate to be."""

    grantor_type: str
    purposes: list[str]
    grantor_id: str | None = None
    numbers: list[str] | None = None
    all_numbers: bool | None = None
    valid_until: datetime | None = None


# --- The shared API ----------------------------------------------------------------------


def require_mandate(
    tx: Transaction,
    org_id: str,
    mandate_id: str,
    *,
    purpose: str,
    grantor_type: str,
    grantor_id: str | None,
    e164s: list[str],
    at: datetime,
) -> Mandate:
    """The org's mandate if it is active, allows ``purpose``, is the owner's and covers all."""
    expire_due(tx, org_id, at)
    mandate = mandates(tx).for_use(org_id, mandate_id)
    if mandate is None:
        raise not_found("mandate", mandate_id)
    rules.require_usable(
        mandate,
        purpose=purpose,
        grantor_type=grantor_type,
        grantor_id=grantor_id,
        e164s=e164s,
        at=at,
    )
    return mandate


def expire_due(tx: Transaction, org_id: str, now: datetime) -> list[Mandate]:
    """Mark the org's run-out mandates expired and suspend what depends on them (C3)."""
    ended: list[Mandate] = []
    for mandate in mandates(tx).due(org_id, now):
        after = rules.expired(mandate)
        if mandates(tx).move(after, mandate.status):
            record(tx, now, None, "mandate", after.id, "expire", mandate, after, org_id=org_id)
            _suspend_dependants(tx, None, after, now)
            ended.append(after)
    return ended


def purchase_mandate(
    tx: Transaction,
    org_id: str,
    sponsor_id: str,
    mandate_id: str | None,
    e164s: list[str] | None,
    at: datetime,
) -> Mandate:
    """The sponsor's active purchase mandate for buying ``e164s`` (None: by quantity) (N5)."""
    sponsor = sponsors(tx).require(org_id, sponsor_id)
    if mandate_id is not None:
        mandate = require_mandate(
            tx,
            org_id,
            mandate_id,
            purpose=Purpose.PURCHASE,
            grantor_type=GrantorType.SPONSOR,
            grantor_id=sponsor.id,
            e164s=e164s or [],
            at=at,
        )
        if e164s is None and not mandate.all_numbers:
            raise _mandate_required(sponsor, mandate)
        return mandate
    expire_due(tx, org_id, at)
    for mandate in reversed(mandates(tx).active_of(org_id, GrantorType.SPONSOR, sponsor.id)):
        listed = bool(e164s) and all(e in mandate.numbers for e in e164s or [])
        if Purpose.PURCHASE.value in mandate.purposes and (mandate.all_numbers or listed):
            return mandate
    raise _mandate_required(sponsor)


def _mandate_required(sponsor: Sponsor, listed: Mandate | None = None) -> Invalid:
    lead = (
        f"Mandate {listed.id} lists its numbers, but a purchase by quantity needs one that "
        "covers all of the sponsor's numbers. "
        if listed
        else ""
    )
    return Invalid(
        "mandate_required",
        f"{lead}Buying with sponsor {sponsor.name}'s information needs its active purchase "
        f'mandate (rule N5). Create one with POST /v1/mandates {{"grantor": {{"type": '
        f'"sponsor", "id": "{sponsor.id}"}}, "purposes": ["purchase"], "all_numbers": true}}, '
        "have it signed (POST /v1/mandates/{id}/sign), then order again.",
        extra={"rule": "N5", "sponsor_id": sponsor.id},
    )


def _suspend_dependants(
    tx: Transaction, actor: Actor | None, mandate: Mandate, at: datetime
) -> None:
    """Suspend every active number depending on a mandate that stopped being active (C3)."""
    dependants = DependentNumbers(tx)
    numbers = dependants.active_of(mandate.org_id, mandate.id)
    mapped = tx.area_codes.of_numbers(mandate.org_id, (n.id for n in numbers))
    for number in numbers:
        reason = rules.suspension_reason(mandate, number.id, at)
        if dependants.suspend(number, mandate.id, reason):
            after = dataclasses.replace(number, status=Status.SUSPENDED, status_reason=reason)
            own = mapped.get(number.id, [])
            before_after = picture(number, own), picture(after, own)
            record(
                tx, at, actor, "number", number.id, "suspend", *before_after, org_id=mandate.org_id
            )


# --- Mandates ----------------------------------------------------------------------------


def create_mandate(desk: Desk, actor: Actor, request: MandateRequest) -> Mandate:
    """Record a mandate from the org or one of its sponsors; it waits for a signature."""
    require_manager(actor, "create mandates")
    purposes = rules.check_purposes(request.purposes)
    now = desk.now()
    valid_until = rules.check_valid_until(request.valid_until, now)
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        grantor_id = _grantor(tx, actor, request)
        e164s, all_numbers = rules.check_coverage(request.numbers, request.all_numbers, org.country)
        mandate = Mandate(
            org_id=actor.org_id,
            id=new_id("mdt"),
            grantor_type=request.grantor_type,
            grantor_id=grantor_id,
            purposes=purposes,
            all_numbers=all_numbers,
            status=MandateStatus.PENDING_SIGNATURE.value,
            valid_from=now,
            valid_until=valid_until,
            created_by=actor.user_id,
            created_at=now,
            numbers=e164s,
        )
        mandates(tx).add(mandate)
        record(tx, now, actor, "mandate", mandate.id, "create", after=mandate)
    return mandate


def _grantor(tx: Transaction, actor: Actor, request: MandateRequest) -> str | None:
    """The grantor's id: None for the org itself, else one of the org's sponsors (404)."""
    if request.grantor_type == GrantorType.ORG:
        if request.grantor_id not in (None, actor.org_id):
            raise not_found("org", request.grantor_id or "")
        return None
    if request.grantor_type != GrantorType.SPONSOR:
        raise invalid_field("grantor.type", "use org or sponsor", code="unknown_grantor_type")
    if not request.grantor_id:
        raise invalid_field("grantor.id", "say which sponsor grants it: its id from /v1/sponsors")
    return sponsors(tx).require(actor.org_id, request.grantor_id).id


def list_mandates(
    desk: Desk,
    actor: Actor,
    *,
    status: str | None = None,
    grantor_type: str | None = None,
    grantor_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Mandate]:
    """List the org's mandates (expiry applied first), oldest first."""
    with desk.store.transaction() as tx:
        expire_due(tx, actor.org_id, desk.now())
        rows = mandates(tx).page(
            actor.org_id,
            status=status,
            grantor_type=grantor_type,
            grantor_id=grantor_id,
            after=cursor,
            limit=limit + 1,
        )
    return page_of(rows, limit)


def get_mandate(desk: Desk, actor: Actor, mandate_id: str) -> Mandate:
    """Read one mandate (expiry applied first)."""
    with desk.store.transaction() as tx:
        expire_due(tx, actor.org_id, desk.now())
        return mandates(tx).require(actor.org_id, mandate_id)


def sign_mandate(
    desk: Desk, actor: Actor, mandate_id: str, signed_by: str, document_hash: str | None
) -> Mandate:
    """Record the grantor's signature: the mandate becomes active (C3)."""
    require_manager(actor, "record signatures of mandates")
    with desk.store.transaction() as tx:
        now = desk.now()
        expire_due(tx, actor.org_id, now)
        before = mandates(tx).require(actor.org_id, mandate_id)
        after = rules.signed(before, signed_by, document_hash, now)
        if not mandates(tx).move(after, before.status):
            raise _changed_meanwhile(mandate_id)
        record(tx, now, actor, "mandate", mandate_id, "sign", before, after)
    return after


def revoke_mandate(desk: Desk, actor: Actor, mandate_id: str) -> Mandate:
    """Revoke a mandate: every active number depending on it is suspended at once (C3)."""
    require_manager(actor, "revoke mandates")
    with desk.store.transaction() as tx:
        now = desk.now()
        expire_due(tx, actor.org_id, now)
        before = mandates(tx).require(actor.org_id, mandate_id)
        after = rules.revoked(before, now)
        if not mandates(tx).move(after, before.status):
            raise _changed_meanwhile(mandate_id)
        record(tx, now, actor, "mandate", mandate_id, "revoke", before, after)
        _suspend_dependants(tx, actor, after, now)
    return after


def _changed_meanwhile(mandate_id: str) -> Conflict:
    return Conflict(
        "mandate_changed",
        f"Mandate {mandate_id} was changed by another request just now; read it again "
        f"(GET /v1/mandates/{mandate_id}) and retry if it still applies.",
    )


def expire_mandates(desk: Desk) -> list[Mandate]:
    """Mark every org's run-out mandates expired and suspend their numbers (the operator's)."""
    with desk.store.transaction() as tx:
        now = desk.now()
        return [
            m for org_id in mandates(tx).orgs_with_due(now) for m in expire_due(tx, org_id, now)
        ]

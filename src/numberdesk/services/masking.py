"""Masking numbers: add a number the org or a sponsor owns, for caller ID only (N2, N6).

The carrier is an external system with its own transactions (on SQLite it could not even
write while one of ours holds the write lock), so each use case talks to it BETWEEN two
transactions of ours: the first checks what was asked, the carrier then places or checks
the call, and the second records the outcome after checking again, since the mandate or
the number may have changed meanwhile. A call placed for a request that then fails is
harmless: its code is never asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from numberdesk.carriers.sandbox_masking import SandboxVerification, VerificationCall
from numberdesk.domain.errors import Conflict, NotFound
from numberdesk.domain.mandates import owner_of
from numberdesk.domain.masking import (
    NumberVerification,
    already_verified,
    already_yours,
    call_replaced,
    check_code,
    check_e164,
    check_owner,
    masked_number,
    new_verification,
    next_call,
    no_call,
    require_waiting,
    verification_expired,
    wrong_code,
)
from numberdesk.domain.numbers import Number, Status, all_area_codes
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.phones import parse_phone
from numberdesk.services.audit import picture, record, snapshot
from numberdesk.services.desk import Desk
from numberdesk.services.idempotency import Answer, check_key, fingerprint, replay
from numberdesk.services.mandates import require_mandate
from numberdesk.services.numbers import NumberView
from numberdesk.store.idempotency import KeyTaken, StoredAnswer
from numberdesk.store.mandates import sponsors
from numberdesk.store.masking import add_masked_number, verifications
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class MaskRequest:
    """What the caller asked to mask: the number, its owner and the owner's mandate."""

    e164: str
    owner_type: str
    mandate_id: str
    owner_id: str | None = None


@dataclass(frozen=True)
class MaskedView:
    """A masked number with its area codes and its verification (None: no call yet), at a time."""

    number: NumberView
    verification: NumberVerification | None
    at: datetime


Render = Callable[[MaskedView], dict[str, Any]]


def mask_number(
    desk: Desk,
    actor: Actor,
    request: MaskRequest,
    *,
    render: Render,
    idempotency_key: str | None = None,
) -> Answer:
    """Add a number the org or a sponsor owns; pending until its call's code is entered (N6)."""
    require_manager(actor, "mask numbers")
    if idempotency_key is not None:
        check_key(idempotency_key)
    request_hash = fingerprint(
        "number_mask", {"user_id": actor.user_id, **dataclasses.asdict(request)}
    )
    with desk.store.transaction() as tx:
        stored = tx.idempotency.get(actor.org_id, idempotency_key) if idempotency_key else None
        number = None if stored else _masked(tx, desk, actor.org_id, request)
    if stored is not None or number is None:
        return _replay(stored, request_hash)
    call_id = desk.carrier.place_verification_call(actor.org_id, number.e164)
    try:
        return _record_mask(desk, actor, request, call_id, render, idempotency_key, request_hash)
    except KeyTaken:  # a concurrent twin with the same Idempotency-Key won
        with desk.store.transaction() as tx:
            twin = tx.idempotency.get(actor.org_id, idempotency_key or "")
        return _replay(twin, request_hash)


def _replay(stored: StoredAnswer | None, request_hash: str) -> Answer:
    if stored is None:  # the twin rolled back after all
        raise Conflict(
            "idempotency_key_in_use",
            "Another request with this Idempotency-Key was running; send this one again.",
        )
    return replay(stored, request_hash, "masking request")


def _masked(tx: Transaction, desk: Desk, org_id: str, request: MaskRequest) -> Number:
    """The number to add, once the owner, the number (N1) and the mandate check out (N6)."""
    org = tx.orgs.require(org_id)
    owner = check_owner(request.owner_type, request.owner_id, org_id)
    phone = parse_phone(request.e164, org.country, field="e164")
    if owner.id is not None:
        sponsors(tx).require(org_id, owner.id)  # another org's sponsor is 404 (A1)
    existing = tx.numbers.live_by_e164(org_id, phone.e164)
    if existing is not None:
        raise already_yours(existing)
    require_mandate(
        tx,
        org_id,
        request.mandate_id,
        purpose="mask",
        grantor_type=owner.type,
        grantor_id=owner.grantor_id,
        e164s=[phone.e164],
        at=desk.now(),
    )
    return masked_number(org_id, phone, owner, request.mandate_id, desk.now())


def _record_mask(
    desk: Desk,
    actor: Actor,
    request: MaskRequest,
    call_id: str,
    render: Render,
    idempotency_key: str | None,
    request_hash: str,
) -> Answer:
    """Write the masked number, its verification, the audit entry and the answer at once."""
    now = desk.now()
    with desk.store.transaction() as tx:
        stored = tx.idempotency.get(actor.org_id, idempotency_key) if idempotency_key else None
        if stored is not None:
            return _replay(stored, request_hash)
        number = _masked(tx, desk, actor.org_id, request)
        verification = new_verification(actor.org_id, number.id, call_id, now)
        body = render(MaskedView(NumberView(number, all_area_codes(number, [])), verification, now))
        if idempotency_key is not None:
            tx.idempotency.add(
                StoredAnswer(actor.org_id, idempotency_key, request_hash, 201, body, now)
            )
        add_masked_number(tx.numbers, number)
        verifications(tx).add(verification)
        record(tx, now, actor, "number", number.id, "mask", after=picture(number, []))
    return Answer(201, body)


def verify_number(desk: Desk, actor: Actor, number_id: str, code: str) -> MaskedView:
    """Enter the code read out on the verification call; the right one makes it active (N6).

    Every try counts, even a refused one: the try is taken (a conditional UPDATE, so
    concurrent guesses never exceed MAX_ATTEMPTS) and COMMITTED in its own transaction
    before the carrier checks the code. So a 422 ``wrong_code`` does change the try counter;
    that is on purpose. A malformed code is refused first and takes no try.
    """
    require_manager(actor, "verify masked numbers")
    code = check_code(code)
    org_id = actor.org_id
    with desk.store.transaction() as tx:
        number, verification = _waiting(tx, org_id, number_id)
        _require_mask_mandate(tx, desk, number)
        if verification is None:
            raise no_call(number)
        attempts = _take_attempt(tx, desk, number, verification)
    if not desk.carrier.check_verification_code(org_id, verification.carrier_call_id, code):
        raise wrong_code(number, attempts)
    now = desk.now()
    with desk.store.transaction() as tx:
        number, _ = _waiting(tx, org_id, number_id)
        _require_mask_mandate(tx, desk, number)
        repo = verifications(tx)
        if not repo.mark_verified(org_id, verification.id, verification.carrier_call_id, now):
            raise call_replaced(number)
        active = dataclasses.replace(number, status=Status.ACTIVE, status_reason=None)
        tx.numbers.save(active)
        record(
            tx, now, actor, "number", number.id, "verify", picture(number, []), picture(active, [])
        )
        done = repo.require(org_id, verification.id)
        mapped = tx.area_codes.of_number(org_id, number_id)
    return MaskedView(NumberView(active, all_area_codes(active, mapped)), done, now)


def _take_attempt(
    tx: Transaction, desk: Desk, number: Number, verification: NumberVerification
) -> int:
    """Count a try on the current call, or refuse when the call is used up (N6)."""
    now = desk.now()
    if verification.verified_at is not None:
        raise already_verified(number)
    if verification.is_expired(now):
        raise verification_expired(number, verification)
    repo = verifications(tx)
    attempts = repo.take_attempt(number.org_id, verification.id, verification.carrier_call_id, now)
    if attempts is None:  # concurrent tries used the last one, or a new call replaced it
        current = repo.of_number(number.org_id, number.id) or verification
        if current.carrier_call_id != verification.carrier_call_id:
            raise call_replaced(number)
        raise verification_expired(number, current)
    return attempts


def request_verification_call(
    desk: Desk, actor: Actor, number_id: str, mandate_id: str | None = None
) -> MaskedView:
    """Call a masked number again: a new code, fresh tries, optionally a new mandate (N6)."""
    require_manager(actor, "ask for verification calls")
    org_id = actor.org_id
    with desk.store.transaction() as tx:
        number, _ = _waiting(tx, org_id, number_id)
        _require_mask_mandate(tx, desk, number, mandate_id)
    call_id = desk.carrier.place_verification_call(org_id, number.e164)
    now = desk.now()
    with desk.store.transaction() as tx:
        number, before = _waiting(tx, org_id, number_id)
        moved = dataclasses.replace(
            number, mandate_id=_require_mask_mandate(tx, desk, number, mandate_id)
        )
        if moved != number:
            tx.numbers.save(moved)
        after = next_call(before, org_id, number_id, call_id, now)
        if before is None:
            verifications(tx).add(after)
        else:
            verifications(tx).save(after)
        mapped = tx.area_codes.of_number(org_id, number_id)
        was = {**picture(number, mapped), "verification": snapshot(before)}
        now_is = {**picture(moved, mapped), "verification": snapshot(after)}
        record(tx, now, actor, "number", number_id, "verification_call", was, now_is)
    return MaskedView(NumberView(moved, all_area_codes(moved, mapped)), after, now)


def get_verification(desk: Desk, actor: Actor, number_id: str) -> MaskedView:
    """Read a number with its verification: waiting, verified or expired, and tries left."""
    with desk.store.transaction() as tx:
        number = tx.numbers.require(actor.org_id, number_id)
        verification = verifications(tx).of_number(actor.org_id, number_id)
        mapped = tx.area_codes.of_number(actor.org_id, number_id)
    return MaskedView(NumberView(number, all_area_codes(number, mapped)), verification, desk.now())


def _waiting(
    tx: Transaction, org_id: str, number_id: str
) -> tuple[Number, NumberVerification | None]:
    """A masked number still waiting for its code, and its verification (N6)."""
    number = tx.numbers.require(org_id, number_id)
    require_waiting(number)
    return number, verifications(tx).of_number(org_id, number_id)


def _require_mask_mandate(
    tx: Transaction, desk: Desk, number: Number, mandate_id: str | None = None
) -> str:
    """The id of the owner's ``mask`` mandate (the number's own, or ``mandate_id``), if it is
    still active and covers the number (N6, C3)."""
    grantor_type, grantor_id = owner_of(number)
    mandate = require_mandate(
        tx,
        number.org_id,
        mandate_id or number.mandate_id or "",
        purpose="mask",
        grantor_type=grantor_type,
        grantor_id=grantor_id,
        e164s=[number.e164],
        at=desk.now(),
    )
    return mandate.id


def list_verification_calls(
    desk: Desk, e164: str | None = None, limit: int = 50
) -> list[VerificationCall]:
    """The sandbox carrier's verification calls with their codes, newest first (operator)."""
    carrier = desk.carrier
    if desk.settings.carrier != "sandbox" or not isinstance(carrier, SandboxVerification):
        raise NotFound(
            "sandbox_not_configured",
            "Verification codes are readable only from the embedded sandbox carrier "
            "(NUMBERDESK_CARRIER=sandbox); a real carrier reads them out on the call.",
        )
    return carrier.verification_calls(check_e164(e164) if e164 else None, limit)

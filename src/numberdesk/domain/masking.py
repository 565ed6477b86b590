"""Masked numbers: adding a number the org or a sponsor owns, for caller ID only (N2, N6).

The owner proves the number is theirs by answering a verification call: the carrier calls
the number and reads out a one-time code; the number turns ``active`` only when the code is
entered. Wrong codes are limited: after ``MAX_ATTEMPTS`` tries, or once the call is older
than ``CALL_VALID_FOR``, a new call is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from numberdesk.domain.errors import Conflict, Invalid, invalid_field
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.domain.phones import PhoneNumber, parse_phone

MAX_ATTEMPTS = 5
CALL_VALID_FOR = timedelta(minutes=15)
CODE_LENGTH = 6
WAITING_FOR_CODE = "waiting for the verification code"
OWNER_TYPES = ("org", "sponsor")


@dataclass
class NumberVerification:
    """Our side of the ownership check of a masked number: the current call and its tries (N6).

    One row per number; a new call replaces the call id, the expiry and the attempts.
    """

    org_id: str
    id: str
    number_id: str
    carrier_call_id: str
    attempts: int
    created_at: datetime
    expires_at: datetime
    verified_at: datetime | None = None

    def attempts_left(self) -> int:
        """Tries left on the current call."""
        return max(0, MAX_ATTEMPTS - self.attempts)

    def is_expired(self, now: datetime) -> bool:
        """Whether the current call can no longer be answered (too old or out of tries)."""
        return now >= self.expires_at or self.attempts >= MAX_ATTEMPTS

    def state(self, now: datetime) -> str:
        """``verified``, ``expired`` (a new call is needed) or ``waiting`` for the code."""
        if self.verified_at is not None:
            return "verified"
        return "expired" if self.is_expired(now) else "waiting"


@dataclass(frozen=True)
class Owner:
    """Whose number it is: the org itself (``id`` None) or one of its sponsors."""

    type: str
    id: str | None = None

    @property
    def grantor_id(self) -> str | None:
        """The mandate grantor's id: the sponsor's, or None for the org itself."""
        return self.id if self.type == "sponsor" else None


def check_owner(owner_type: str, owner_id: str | None, org_id: str) -> Owner:
    """The owner of a number to mask: ``org`` (optionally its own id) or ``sponsor`` with an id."""
    if owner_type not in OWNER_TYPES:
        raise invalid_field(
            "owner.type", f"{owner_type!r} is not an owner type; use org or sponsor"
        )
    if owner_type == "sponsor":
        if not owner_id:
            raise invalid_field(
                "owner.id", "give the sponsor's id (POST /v1/sponsors creates sponsors)"
            )
        return Owner("sponsor", owner_id)
    if owner_id not in (None, org_id):
        raise invalid_field(
            "owner.id",
            "for owner type org, leave the id out (or give your organisation's own id); "
            "for a partner's number use owner type sponsor",
        )
    return Owner("org")


def check_code(raw: str) -> str:
    """A verification code is the six digits read out on the call."""
    code = raw.strip().replace(" ", "") if isinstance(raw, str) else ""
    if not (len(code) == CODE_LENGTH and code.isascii() and code.isdigit()):
        raise invalid_field(
            "code",
            f"give the {CODE_LENGTH} digits read out on the verification call, such as 123456",
            code="invalid_code",
        )
    return code


def masked_number(
    org_id: str, phone: PhoneNumber, owner: Owner, mandate_id: str, at: datetime
) -> Number:
    """A new masked number, pending until its verification code is entered (N2, N6)."""
    return Number(
        org_id=org_id,
        id=new_id("num"),
        e164=phone.e164,
        country=phone.country,
        area_code=phone.area_code,
        line_type=phone.line_type.value,
        kind=Kind.MASKED,
        origin=Origin.MASKED,
        status=Status.PENDING,
        created_at=at,
        owner_type=owner.type,
        owner_id=owner.id if owner.type == "sponsor" else org_id,
        mandate_id=mandate_id,
        status_reason=WAITING_FOR_CODE,
    )


def new_verification(org_id: str, number_id: str, call_id: str, at: datetime) -> NumberVerification:
    """The verification of a freshly called number: no tries yet, valid CALL_VALID_FOR."""
    return NumberVerification(
        org_id=org_id,
        id=new_id("ver"),
        number_id=number_id,
        carrier_call_id=call_id,
        attempts=0,
        created_at=at,
        expires_at=at + CALL_VALID_FOR,
    )


def next_call(
    before: NumberVerification | None, org_id: str, number_id: str, call_id: str, at: datetime
) -> NumberVerification:
    """The verification after a new call: the old code stops working and the tries restart."""
    fresh = new_verification(org_id, number_id, call_id, at)
    return fresh if before is None else replace(fresh, id=before.id)


def check_e164(raw: str, field: str = "e164") -> str:
    """A number written in E.164 (no country to read a national number with)."""
    if not raw.strip().startswith("+"):
        raise invalid_field(field, "give the number in E.164 form, such as +12125550123")
    return parse_phone(raw, "US", field=field).e164


def require_waiting(number: Number) -> None:
    """Refuse unless the number is a masked number still waiting for its code (N6)."""
    if number.origin is not Origin.MASKED:
        raise Conflict(
            "not_masked",
            f"{number.e164} is a {number.origin.value} number; only masked numbers are "
            "verified by a call (POST /v1/numbers/mask adds one)",
        )
    if number.status is Status.ACTIVE:
        raise already_verified(number)
    if number.status is not Status.PENDING:
        reason = f" ({number.status_reason})" if number.status_reason else ""
        raise Conflict(
            "number_not_pending",
            f"{number.e164} is {number.status.value}{reason}, not waiting for a code; a "
            "suspended number is re-activated under a valid mandate, a released one is "
            "masked again with POST /v1/numbers/mask",
        )


def already_verified(number: Number) -> Conflict:
    """The 409 for a code sent to a number that is already verified (a replay)."""
    return Conflict(
        "already_verified",
        f"{number.e164} is already verified and active; nothing to do. A code works once.",
    )


def already_yours(number: Number) -> Conflict:
    """The 409 for masking a number the org already has (with the fix for a lost call)."""
    fix = (
        " It is waiting for its verification code: ask for a new call with "
        f"POST /v1/numbers/{number.id}/verification-calls."
        if number.status is Status.PENDING
        else ""
    )
    return Conflict(
        "number_already_yours",
        f"{number.e164} is already one of your numbers ({number.id}, {number.status.value}); "
        f"it cannot be masked again.{fix}",
    )


def call_replaced(number: Number) -> Conflict:
    """The 409 for a code of a call that a newer call has replaced."""
    return Conflict(
        "verification_call_replaced",
        f"A new verification call to {number.e164} was just placed; enter the code of that call.",
    )


def verification_expired(number: Number, verification: NumberVerification) -> Conflict:
    """The 409 when the current call is used up: out of tries, or too old (N6)."""
    why = (
        f"all {MAX_ATTEMPTS} tries were used"
        if verification.attempts >= MAX_ATTEMPTS
        else f"its code was valid for {int(CALL_VALID_FOR.total_seconds() // 60)} minutes"
    )
    return Conflict(
        "verification_expired",
        f"The verification call to {number.e164} can no longer be answered: {why}. Ask for a "
        f"new call with POST /v1/numbers/{number.id}/verification-calls, then enter its code.",
        extra={"attempts_left": 0},
    )


def no_call(number: Number) -> Conflict:
    """The 409 for a masked number that has no verification call to answer."""
    return Conflict(
        "verification_expired",
        f"No verification call to {number.e164} is waiting for a code. Ask for one with "
        f"POST /v1/numbers/{number.id}/verification-calls, then enter its code.",
        extra={"attempts_left": 0},
    )


def wrong_code(number: Number, attempts: int) -> Invalid:
    """The 422 for a wrong code; the try counts (N6)."""
    left = max(0, MAX_ATTEMPTS - attempts)
    then = (
        f"{left} {'try' if left == 1 else 'tries'} left; check the digits read out on the call"
        if left
        else "no tries left; ask for a new call with "
        f"POST /v1/numbers/{number.id}/verification-calls"
    )
    return Invalid(
        "wrong_code",
        f"That is not the code read out on the verification call to {number.e164}: {then}.",
        extra={"attempts_left": left},
    )

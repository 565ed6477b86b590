"""Sponsors and mandates: who authorised what, for which numbers, until when (N5-N7, N9, N10, C3).

A mandate is ``pending_signature`` -> ``active`` (signed) -> ``revoked`` | ``expired``. Expiry is
a matter of time: :func:`effective_status` says a mandate whose ``valid_until`` has passed IS
expired, whatever its stored status, so no rule here waits for a job.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.errors import Conflict, FieldError, Invalid, invalid_field
from numberdesk.domain.numbers import Number, Origin, Status
from numberdesk.domain.orgs import check_name
from numberdesk.domain.phones import parse_phone

MAX_MANDATE_NUMBERS = 1000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Purpose(StrEnum):
    """What a mandate allows, and the rule that asks for it."""

    PURCHASE = "purchase"  # N5
    MASK = "mask"  # N6
    PORT = "port"  # N7
    REGISTER = "register"  # N10
    BRAND = "brand"  # N9


RULE_OF = {
    Purpose.PURCHASE: "N5",
    Purpose.MASK: "N6",
    Purpose.PORT: "N7",
    Purpose.BRAND: "N9",
    Purpose.REGISTER: "N10",
}


class MandateStatus(StrEnum):
    """Life of a mandate (C3)."""

    PENDING_SIGNATURE = "pending_signature"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


OPEN = frozenset({MandateStatus.PENDING_SIGNATURE, MandateStatus.ACTIVE})


class GrantorType(StrEnum):
    """Who grants a mandate: the organisation itself or one of its sponsors."""

    ORG = "org"
    SPONSOR = "sponsor"


@dataclass
class Sponsor:
    """A partner company whose name or numbers the org uses."""

    org_id: str
    id: str
    name: str
    business_id: str
    country: str
    created_at: datetime


@dataclass
class Mandate:
    """A signed authorisation from a number's owner. ``numbers`` is filled by the repository."""

    org_id: str
    id: str
    grantor_type: str
    purposes: list[str]
    all_numbers: bool
    status: str
    valid_from: datetime
    created_at: datetime
    grantor_id: str | None = None
    valid_until: datetime | None = None
    signed_by: str | None = None
    signed_at: datetime | None = None
    document_hash: str | None = None
    revoked_at: datetime | None = None
    created_by: str | None = None
    numbers: list[str] = field(default_factory=list)

    def grantor_words(self) -> str:
        """Who granted it, in words."""
        if self.grantor_type == GrantorType.ORG:
            return "your organisation"
        return f"sponsor {self.grantor_id}"


def effective_status(mandate: Mandate, at: datetime) -> MandateStatus:
    """The status at ``at``: an open mandate past its ``valid_until`` is expired (C3)."""
    if is_due(mandate, at):
        return MandateStatus.EXPIRED
    return MandateStatus(mandate.status)


def is_due(mandate: Mandate, at: datetime) -> bool:
    """Whether an open mandate has run out and must now be marked expired."""
    ended = mandate.valid_until is not None and mandate.valid_until <= at
    return ended and mandate.status in OPEN


def covers(mandate: Mandate, e164: str) -> bool:
    """Whether the mandate covers this number (listed, or all of the grantor's numbers)."""
    return mandate.all_numbers or e164 in mandate.numbers


# --- Checking what a user asks for -------------------------------------------------------


def check_sponsor(name: str, business_id: str) -> tuple[str, str]:
    """A sponsor's name and business id, trimmed and non-empty."""
    return check_name(name), check_name(business_id, "business_id", 64)


def check_purposes(values: list[str]) -> list[str]:
    """A non-empty set of known purposes, in a fixed order."""
    if not values:
        raise invalid_field("purposes", f"give at least one of {_purpose_list()}")
    for i, value in enumerate(values):
        if value not in Purpose.__members__.values():
            raise invalid_field(
                f"purposes[{i}]",
                f"{value!r} is not a purpose; use {_purpose_list()}",
                code="unknown_purpose",
            )
    return [p.value for p in Purpose if p.value in values]


def check_coverage(
    numbers: list[str] | None, all_numbers: bool | None, country: str
) -> tuple[list[str], bool]:
    """Exactly one of listed numbers (read with the org's country, N1) or all_numbers."""
    if bool(all_numbers) == (numbers is not None):
        raise Invalid(
            "invalid_mandate_coverage",
            "Give exactly one of `numbers` (the numbers it covers) or `all_numbers: true` "
            "(every number of the grantor).",
            errors=[FieldError("numbers", "give numbers or all_numbers: true, not both")],
        )
    if all_numbers:
        return [], True
    listed = numbers or []
    if not 1 <= len(listed) <= MAX_MANDATE_NUMBERS:
        raise invalid_field("numbers", f"list 1 to {MAX_MANDATE_NUMBERS} numbers")
    e164s = [parse_phone(raw, country, field=f"numbers[{i}]").e164 for i, raw in enumerate(listed)]
    return list(dict.fromkeys(e164s)), False


def check_valid_until(value: datetime | None, now: datetime) -> datetime | None:
    """The end of validity, with an offset and in the future (absent: until revoked)."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise invalid_field("valid_until", "give a time with an offset, such as 2027-01-31T23:59Z")
    if value <= now:
        raise invalid_field(
            "valid_until", f"{value.isoformat()} has passed; give a time in the future"
        )
    return value


def check_document_hash(value: str) -> str:
    """A SHA-256 of the signed document, as 64 hex digits."""
    text = value.strip().lower()
    if not _SHA256.match(text):
        raise invalid_field("document_hash", "give the SHA-256 of the signed document (64 hex)")
    return text


def terms_hash(mandate: Mandate) -> str:
    """A SHA-256 of the mandate's terms, when no signed document's hash is given."""
    terms = {
        "id": mandate.id,
        "grantor": [mandate.grantor_type, mandate.grantor_id],
        "purposes": mandate.purposes,
        "numbers": sorted(mandate.numbers),
        "all_numbers": mandate.all_numbers,
        "valid_from": mandate.valid_from.isoformat(),
        "valid_until": mandate.valid_until.isoformat() if mandate.valid_until else None,
    }
    return hashlib.sha256(json.dumps(terms, sort_keys=True).encode()).hexdigest()


# --- Moving a mandate through its life (C3) ----------------------------------------------


def signed(mandate: Mandate, signed_by: str, document_hash: str | None, at: datetime) -> Mandate:
    """The mandate signed: active, with who, when and the document's hash."""
    status = effective_status(mandate, at)
    if status is not MandateStatus.PENDING_SIGNATURE:
        raise Conflict(
            "mandate_not_pending",
            f"Mandate {mandate.id} is {status.value}; only a mandate pending signature can be "
            f"signed (rule C3). {_fix_for(mandate, status)}",
        )
    return replace(
        mandate,
        status=MandateStatus.ACTIVE.value,
        signed_by=check_name(signed_by, "signed_by"),
        signed_at=at,
        document_hash=check_document_hash(document_hash) if document_hash else terms_hash(mandate),
    )


def revoked(mandate: Mandate, at: datetime) -> Mandate:
    """The mandate revoked (an unsigned one is withdrawn the same way)."""
    status = effective_status(mandate, at)
    if status not in OPEN:
        raise Conflict(
            "mandate_ended",
            f"Mandate {mandate.id} is already {status.value}; there is nothing to revoke.",
        )
    return replace(mandate, status=MandateStatus.REVOKED.value, revoked_at=at)


def expired(mandate: Mandate) -> Mandate:
    """The mandate marked expired."""
    return replace(mandate, status=MandateStatus.EXPIRED.value)


def suspension_reason(mandate: Mandate, number_id: str, at: datetime) -> str:
    """Why a number depending on the mandate is suspended, and the way back (C3)."""
    why = "expired" if mandate.status == MandateStatus.EXPIRED else "was revoked"
    return (
        f"mandate {mandate.id} {why} on {at.date().isoformat()} (rule C3); reactivate under "
        f"an active mandate: POST /v1/numbers/{number_id}/reactivate"
    )


# --- Using a mandate ---------------------------------------------------------------------


def require_usable(
    mandate: Mandate,
    *,
    purpose: str,
    grantor_type: str,
    grantor_id: str | None,
    e164s: list[str],
    at: datetime,
) -> None:
    """Refuse unless the mandate is active, allows ``purpose``, is the owner's and covers all."""
    wanted = Purpose(purpose)
    rule = RULE_OF[wanted]
    status = effective_status(mandate, at)
    if status is not MandateStatus.ACTIVE:
        raise _refused(
            mandate,
            "mandate_not_active",
            f"Mandate {mandate.id} is {status.value}, so it does not allow {wanted.value} "
            f"(rules {rule}, C3). {_fix_for(mandate, status)}",
            rule,
        )
    if wanted.value not in mandate.purposes:
        raise _refused(
            mandate,
            "mandate_purpose_missing",
            f"This mandate does not allow {wanted.value}; it allows "
            f"{', '.join(mandate.purposes)} (rule {rule}). Create a mandate with purpose "
            f"{wanted.value} and have it signed.",
            rule,
        )
    if not same_grantor(mandate, grantor_type, grantor_id):
        owner = "your organisation" if grantor_type == GrantorType.ORG else f"sponsor {grantor_id}"
        raise _refused(
            mandate,
            "mandate_wrong_grantor",
            f"Mandate {mandate.id} is granted by {mandate.grantor_words()}, but the number's "
            f"owner must grant it: {owner} (rule {rule}). Use a mandate granted by {owner}.",
            rule,
        )
    for e164 in e164s:
        if not covers(mandate, e164):
            raise _refused(
                mandate,
                "mandate_number_not_covered",
                f"Mandate {mandate.id} does not cover {e164}; it lists "
                f"{', '.join(mandate.numbers)} (rule {rule}). Use a mandate that lists {e164} "
                "or covers all of the owner's numbers.",
                rule,
            )


def same_grantor(mandate: Mandate, grantor_type: str, grantor_id: str | None) -> bool:
    """Whether the mandate is granted by this owner (the org's own id is not compared)."""
    if mandate.grantor_type != grantor_type:
        return False
    return grantor_type == GrantorType.ORG or mandate.grantor_id == grantor_id


def needed_purpose(number: Number) -> Purpose | None:
    """The purpose a number's mandate must have for it to be used (None: it needs none)."""
    if number.origin is Origin.MASKED:
        return Purpose.MASK
    if number.origin is Origin.PORTED_IN:
        return Purpose.PORT
    if number.owner_type == GrantorType.SPONSOR:
        return Purpose.PURCHASE
    return None


def owner_of(number: Number) -> tuple[str, str | None]:
    """The grantor whose mandate the number needs: its owner."""
    if number.owner_type == GrantorType.SPONSOR:
        return GrantorType.SPONSOR.value, number.owner_id
    return GrantorType.ORG.value, None


def require_suspended(number: Number) -> None:
    """Only a suspended number is reactivated (N3: active <-> suspended)."""
    if number.status is not Status.SUSPENDED:
        raise Conflict(
            "number_not_suspended",
            f"{number.e164} is {number.status.value}; only a suspended number can be reactivated.",
        )


def _refused(mandate: Mandate, code: str, detail: str, rule: str) -> Invalid:
    return Invalid(
        code,
        detail,
        errors=[FieldError("mandate_id", detail)],
        extra={"rule": rule, "mandate_id": mandate.id},
    )


def _fix_for(mandate: Mandate, status: MandateStatus) -> str:
    if status is MandateStatus.PENDING_SIGNATURE:
        return f"Sign it first: POST /v1/mandates/{mandate.id}/sign."
    if status is MandateStatus.EXPIRED:
        until = mandate.valid_until.isoformat() if mandate.valid_until else "?"
        return f"It was valid until {until}; create a new mandate and have it signed."
    if status is MandateStatus.REVOKED:
        return "It was revoked; create a new mandate and have it signed."
    return ""


def _purpose_list() -> str:
    return ", ".join(p.value for p in Purpose)

"""Porting numbers in, and the carrier's port-out notices (rules N3, N7, N8).

A port-in order moves through a fixed table of transitions: the org submits or cancels it,
the carrier confirms (with a completion date), completes or rejects it (with its reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from numberdesk.domain.errors import Conflict, NotFound, Problem, invalid_field
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.domain.phones import PhoneNumber, parse_phone

MAX_PORT_NUMBERS = 100
MAX_TEXT, MAX_REASON = 200, 500
SANDBOX_COMPLETION_DELAY = timedelta(days=1)  # when the sandbox confirms without a date
PORTABLE_KINDS = (Kind.VOICE, Kind.OMNI)


class PortInStatus(StrEnum):
    """Where a port-in order stands (N7)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Party(StrEnum):
    """Who moves a port-in: the organisation (owners and admins) or the carrier."""

    ORG = "organisation"
    CARRIER = "carrier"


S = PortInStatus
OPEN = frozenset({S.DRAFT, S.SUBMITTED, S.CONFIRMED})
CARRIER_TARGETS = (S.CONFIRMED, S.COMPLETED, S.REJECTED)
ACTIONS = {  # the audit action of each move (A3)
    S.SUBMITTED: "submit",
    S.CONFIRMED: "confirm",
    S.COMPLETED: "complete",
    S.REJECTED: "reject",
    S.CANCELLED: "cancel",
}
TRANSITIONS: dict[tuple[PortInStatus, PortInStatus], Party] = {
    (S.DRAFT, S.SUBMITTED): Party.ORG,
    (S.DRAFT, S.CANCELLED): Party.ORG,
    (S.SUBMITTED, S.CONFIRMED): Party.CARRIER,
    (S.SUBMITTED, S.REJECTED): Party.CARRIER,
    (S.SUBMITTED, S.CANCELLED): Party.ORG,
    (S.CONFIRMED, S.COMPLETED): Party.CARRIER,
    (S.CONFIRMED, S.REJECTED): Party.CARRIER,
    (S.CONFIRMED, S.CANCELLED): Party.ORG,
}


@dataclass
class PortIn:
    """A port-in order: numbers to bring over from a losing carrier under a ``port`` mandate."""

    org_id: str
    id: str
    status: PortInStatus
    losing_carrier: str
    account_ref: str
    mandate_id: str
    kind: Kind
    created_at: datetime
    completion_date: datetime | None = None
    reason: str | None = None
    created_by: str | None = None
    submitted_at: datetime | None = None
    confirmed_at: datetime | None = None
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.status = PortInStatus(self.status)
        self.kind = Kind(self.kind)

    @property
    def is_open(self) -> bool:
        """Still under way: draft, submitted or confirmed."""
        return self.status in OPEN

    def is_due(self, now: datetime) -> bool:
        """Confirmed, and its completion date has come: it completes by itself (N7)."""
        return (
            self.status is S.CONFIRMED
            and self.completion_date is not None
            and self.completion_date <= now
        )


@dataclass
class PortInNumber:
    """One number of a port-in; ``number_id`` is set once it is submitted."""

    org_id: str
    port_in_id: str
    e164: str
    number_id: str | None = None


def allowed_from(status: PortInStatus, party: Party | None = None) -> list[PortInStatus]:
    """Where a port-in can go from ``status`` (by ``party``, or by anyone)."""
    return [to for (frm, to), who in TRANSITIONS.items() if frm is status and party in (None, who)]


def check_transition(port_in: PortIn, to: PortInStatus, party: Party) -> None:
    """Refuse a move the table does not allow for this party (409 ``invalid_transition``)."""
    if TRANSITIONS.get((port_in.status, to)) is party:
        return
    allowed = allowed_from(port_in.status, party)
    options = ", ".join(a.value for a in allowed) or "nothing (it is closed)"
    raise Conflict(
        "invalid_transition",
        f"Port-in {port_in.id} is {port_in.status.value} and cannot become {to.value} by the "
        f"{party.value}; from {port_in.status.value} the {party.value} can move it to: "
        f"{options} (rule N7).",
        extra={"from": port_in.status.value, "to": to.value, "allowed": [a.value for a in allowed]},
    )


def check_carrier_target(value: str) -> PortInStatus:
    """What a carrier update may set: confirmed, completed or rejected."""
    if value not in {t.value for t in CARRIER_TARGETS}:
        names = ", ".join(t.value for t in CARRIER_TARGETS)
        raise invalid_field("to", f"{value!r} is not a carrier update; use one of {names}")
    return PortInStatus(value)


def check_port_kind(value: str | None) -> Kind:
    """Ported numbers are voice numbers, or omni if asked (N7)."""
    if value is None:
        return Kind.VOICE
    if value not in {k.value for k in PORTABLE_KINDS}:
        raise invalid_field(
            "kind",
            f"{value!r} cannot be ported in; ported numbers are voice (the default) or omni (rule N7)",
            code="kind_not_portable",
        )
    return Kind(value)


def check_text(value: str, field: str, max_length: int = MAX_TEXT) -> str:
    """A required, trimmed piece of text of reasonable length."""
    text = value.strip()
    if not text:
        raise invalid_field(field, "must not be empty")
    if len(text) > max_length:
        raise invalid_field(field, f"is too long; keep it to {max_length} characters")
    return text


def check_port_numbers(raw: list[str], country: str) -> list[PhoneNumber]:
    """1 to 100 valid numbers of one country, each once; national input read with ``country`` (N1)."""
    if not 1 <= len(raw) <= MAX_PORT_NUMBERS:
        raise invalid_field("numbers", f"list 1 to {MAX_PORT_NUMBERS} numbers to port in")
    parsed = [parse_phone(value, country, field=f"numbers[{i}]") for i, value in enumerate(raw)]
    seen: set[str] = set()
    for i, phone in enumerate(parsed):
        if phone.e164 in seen:
            raise invalid_field(
                f"numbers[{i}]", f"{phone.e164} is listed twice; list each number once"
            )
        seen.add(phone.e164)
    if len({p.country for p in parsed}) > 1:
        raise invalid_field(
            "numbers", "all numbers of one port-in must be in one country; port each separately"
        )
    return parsed


def check_completion_date(value: datetime | None, now: datetime) -> datetime:
    """The day the carrier will complete a confirmed port-in (the sandbox picks tomorrow)."""
    if value is None:
        return now + SANDBOX_COMPLETION_DELAY
    if value.tzinfo is None:
        raise invalid_field(
            "completion_date", "give the time with an offset, like 2026-11-05T09:00:00Z"
        )
    return value


def check_reason(value: str | None) -> str:
    """A rejection needs the carrier's reason (N7)."""
    if value is None or not value.strip():
        raise invalid_field("reason", "say why the carrier rejects the port-in")
    return check_text(value, "reason", MAX_REASON)


def check_update_fields(
    to: PortInStatus, reason: str | None, completion_date: datetime | None
) -> None:
    """A completion date comes only with a confirmation, a reason only with a rejection."""
    if completion_date is not None and to is not S.CONFIRMED:
        raise invalid_field("completion_date", "is given only when the carrier confirms")
    if reason is not None and to is not S.REJECTED:
        raise invalid_field("reason", "is given only when the carrier rejects")


def owner_by_mandate(grantor_type: str, grantor_id: str | None, org_id: str) -> tuple[str, str]:
    """Who owns the ported numbers: the mandate's grantor, the org itself or a sponsor (N7)."""
    if grantor_type == "sponsor" and grantor_id:
        return "sponsor", grantor_id
    return "org", org_id


def porting_number(port_in: PortIn, e164: str, owner: tuple[str, str], at: datetime) -> Number:
    """The number a submitted port-in brings: ``porting_in`` until it completes (N3, N7)."""
    phone = parse_phone(e164, "US", field="numbers")
    owner_type, owner_id = owner
    return Number(
        org_id=port_in.org_id,
        id=new_id("num"),
        e164=phone.e164,
        country=phone.country,
        area_code=phone.area_code,
        line_type=phone.line_type.value,
        kind=port_in.kind,
        origin=Origin.PORTED_IN,
        status=Status.PORTING_IN,
        created_at=at,
        owner_type=owner_type,
        owner_id=owner_id,
        order_id=port_in.id,
        mandate_id=port_in.mandate_id,
        status_reason=f"porting in with port-in {port_in.id}",
    )


def arrival_reason(port_in: PortIn, number: Number, mandate_problem: str | None) -> str | None:
    """No reason for a number that arrived active; the fix for one that arrived suspended (C3)."""
    if mandate_problem is None:
        return None
    return (
        f"port-in {port_in.id} completed, but its mandate no longer allows it: "
        f"{mandate_problem} Then reactivate: POST /v1/numbers/{number.id}/reactivate"
    )[:300]


def closing_reason(port_in: PortIn) -> str:
    """Why numbers of a rejected or cancelled port-in were released."""
    why = f"port-in {port_in.id} was {port_in.status.value}"
    return (f"{why}: {port_in.reason}" if port_in.reason else why)[:300]


def read_e164(raw: str) -> str:
    """A number in E.164 (a carrier's notice has no organisation to read national input with)."""
    if not raw.strip().startswith("+"):
        raise invalid_field("e164", f"{raw!r} is not in E.164 form; write it like +12125550123")
    return parse_phone(raw, "US", field="e164").e164


def not_held(e164: str, left: Number | None) -> Problem:
    """The problem for a port-out notice about a number no org has live (404, or 409)."""
    if left is not None:
        return Conflict(
            "number_not_live",
            f"{e164} is already {left.status.value}; a port-out applies only to a live number",
        )
    return NotFound(
        "number_not_found",
        f"No organisation has {e164}; check the number of the port-out notice.",
    )


def require_portable_away(number: Number) -> None:
    """A port-out notice applies to a number we serve: live, not masked, not still porting in."""
    if not number.is_live:
        raise Conflict(
            "number_not_live",
            f"{number.e164} is already {number.status.value}; it cannot port out again",
        )
    if number.origin is Origin.MASKED:
        raise Conflict(
            "number_is_masked",
            f"{number.e164} is a masked number: the carrier does not serve it, so it cannot "
            "port away from us; its owner releases it instead",
        )
    if number.status is Status.PORTING_IN:
        raise Conflict(
            "number_porting_in",
            f"{number.e164} is still porting in (port-in {number.order_id}); it has not arrived, "
            "so it cannot port out. Reject or cancel the port-in instead.",
        )

"""Inbound calls after the decision (rules I7, I10, I12): the record, and the PBX's events.

Every inbound decision (not a dry run) leaves a ``CallRecord``. The PBX then reports what
happened: ``answered`` (by which agent) and ``ended``. ``check_event`` refuses what can never
apply (an event after the end, a second answer, an agent the call was not offered to); the
race between two events is settled by the database (conditional updates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.errors import Conflict, Invalid, invalid_field, not_found


class EventType(StrEnum):
    """What the PBX reports about a call."""

    ANSWERED = "answered"
    ENDED = "ended"


class CallStatus(StrEnum):
    """Where a call is: offered, answered by an agent, or over."""

    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


@dataclass
class CallRecord:
    """One inbound call or text as decided (I12), and how it went."""

    org_id: str
    id: str
    to: str
    channel: str
    at: datetime
    action: str
    reason: str
    number_id: str | None = None  # None: not one of our numbers
    caller: str | None = None  # None: withheld
    rule: str | None = None
    known_caller: bool | None = None
    selected: list[str] = field(default_factory=list)  # the agents it was offered to (I7)
    answered_by: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def status(self) -> CallStatus:
        """Ended once the end is reported; answered once an agent took it; else ringing."""
        if self.ended_at is not None:
            return CallStatus.ENDED
        if self.answered_by is not None:
            return CallStatus.ANSWERED
        return CallStatus.RINGING


def check_event_type(value: object) -> EventType:
    """``answered`` or ``ended``; anything else is refused on field ``type``."""
    if value not in {e.value for e in EventType}:
        allowed = ", ".join(e.value for e in EventType)
        raise invalid_field("type", f"{value!r} is not an event; use one of {allowed}")
    return EventType(str(value))


def check_event(
    call: CallRecord, event: EventType, agent_id: str | None, *, agent_exists: bool
) -> None:
    """Refuse an event that can never apply to this call (nothing changes): anything after
    ``ended``; an answer without an agent, by someone who is not a live user of the org
    (``agent_exists``), by an agent the call was not offered to (I7), or a second one."""
    if call.ended_at is not None:
        raise call_ended(call)
    if event is not EventType.ANSWERED:
        return
    if not agent_id:
        raise invalid_field("agent_id", "an answered event needs the id of the agent who answered")
    if not agent_exists:
        raise not_found("user", agent_id)
    if call.selected and agent_id not in call.selected:
        raise Invalid(
            "not_selected",
            f"Call {call.id} was offered to {', '.join(call.selected)}, not to {agent_id}; "
            "only one of them can answer it (rule I7).",
            extra={"selected": list(call.selected)},
        )
    if call.answered_by is not None:
        raise already_answered(call)


def call_ended(call: CallRecord) -> Conflict:
    """The 409 for any event after the call's end."""
    return Conflict(
        "call_ended",
        f"Call {call.id} has already ended; no further events are taken for it.",
    )


def already_answered(call: CallRecord) -> Conflict:
    """The 409 for a second ``answered``."""
    return Conflict(
        "already_answered",
        f"Call {call.id} was already answered by {call.answered_by}; a call is answered once.",
    )

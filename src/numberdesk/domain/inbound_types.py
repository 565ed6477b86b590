"""What the inbound decision (``domain/inbound.py``) reads and answers: the per-call snapshot,
the call, and the decision with its targets, reasons and trace (rules I1-I12, S3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.company import (
    CompanySettings,
    Window,
)
from numberdesk.domain.numbers import Kind, Status
from numberdesk.domain.routes import NOT_ASSIGNED, Route
from numberdesk.domain.trace import TraceEntry
from numberdesk.domain.users import Presence


class Channel(StrEnum):
    """What arrived: a voice call or a text (S3)."""

    VOICE = "voice"
    SMS = "sms"


class Action(StrEnum):
    """What the PBX or the messaging webhook does with it (I12)."""

    RING = "ring"
    QUEUE = "queue"
    FORWARD = "forward"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    DISCONNECT = "disconnect"


class TargetType(StrEnum):
    """What a target is (I12)."""

    AGENT = "agent"
    QUEUE = "queue"
    CUSTOM = "custom"
    NUMBER = "number"
    VOICEMAIL = "voicemail"


class Reason(StrEnum):
    """The machine-readable reason of a decision (I12)."""

    NOT_OUR_NUMBER = "not_our_number"  # I1
    NUMBER_INACTIVE = "number_inactive"  # I1, N3
    NUMBER_MASKED = "number_masked"  # I1, N2
    CANNOT_RECEIVE_CALLS = "cannot_receive_calls"  # N2: an sms number
    CANNOT_RECEIVE_TEXTS = "cannot_receive_texts"  # N2: a voice number
    NOT_ASSIGNED = "not_assigned"  # I1
    FORWARDED = "forwarded"  # N11: the number forwards every call
    ROUTE_FORWARD = "route_forward"  # I2
    QUEUE = "queue"  # I2
    CUSTOM_DESTINATION = "custom_destination"  # I2
    TARGET_MISSING = "target_missing"  # the route names an agent/queue/destination now gone
    NO_LAST_CALLER = "no_last_caller"  # I2, no fallback
    AGENT_AVAILABLE = "agent_available"  # I3
    AGENT_BUSY = "agent_busy"  # I3
    AGENT_LOGGED_OUT = "agent_logged_out"  # I3
    AGENT_UNREACHABLE = "agent_unreachable"  # I3: nothing to ring, or no voicemail
    TEXT_TO_AGENTS = "text_to_agents"  # S3
    CAPACITY = "capacity"  # I10
    COMPANY_NOT_CONFIGURED = "company_not_configured"  # I5: no settings saved yet
    BLAST = "blast"  # I6
    NOBODY_AVAILABLE = "nobody_available"  # I6: missed for every selected agent
    RULE_NUMBER = "rule_number"  # I5: the bridge number


@dataclass(frozen=True, slots=True)
class DialledNumber:
    """The number that was called, as the decision needs it."""

    id: str
    e164: str
    status: Status
    kind: Kind
    route: Route = NOT_ASSIGNED
    forward_to: str | None = None  # N11
    company: CompanySettings | None = None  # I5-I10, for a company route


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent as the call path sees them (I3, I6)."""

    id: str
    presence: Presence = Presence.LOGGED_OUT
    extension: str | None = None
    work_phone: str | None = None
    voicemail_email: str | None = None
    not_reachable_number: str | None = None
    greeting_url: str | None = None
    business_hours: tuple[Window, ...] | None = None  # None: always

    def in_hours(self, local: datetime) -> bool:
        """Inside business hours at this local moment (always, when none are set)."""
        return self.business_hours is None or any(w.covers(local) for w in self.business_hours)


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact with the caller's phone (I4)."""

    id: str
    primary_agent_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one inbound decision reads. ``local_time`` is in the org's time zone;
    the last-caller lists hold agent ids, most recent first; ``active_calls`` is the
    number's live call count before this one (I10)."""

    number: DialledNumber | None
    local_time: datetime
    agents: Mapping[str, Agent] = field(default_factory=dict)
    queues: Mapping[str, str | None] = field(default_factory=dict)  # id -> SIP URI
    destinations: Mapping[str, str] = field(default_factory=dict)  # id -> SIP URI
    last_callers_on_number: tuple[str, ...] = ()
    last_callers_on_any: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    active_calls: int = 0


@dataclass(frozen=True, slots=True)
class InboundCall:
    """One inbound call or text: our number, the caller's (None when withheld), the channel."""

    to: str
    caller: str | None
    channel: Channel = Channel.VOICE


@dataclass(frozen=True)
class Target:
    """Where it goes (I12): an agent's extension (uri) or phone (number), a queue, a custom
    destination, an external number, or a voicemail box (email, greeting)."""

    type: TargetType
    agent_id: str | None = None
    uri: str | None = None
    number: str | None = None
    email: str | None = None
    greeting_url: str | None = None
    queue_id: str | None = None
    destination_id: str | None = None

    def to_json(self) -> dict[str, object]:
        """The API's target: its type and the fields that are set."""
        return {k: str(v) for k, v in vars(self).items() if v is not None}


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """What to write on which contacts' timelines for a known caller (I4)."""

    contact_ids: tuple[str, ...]
    agent_id: str
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The action, its targets, the reason and the trace (I12). For company numbers also the
    selected agents (whose inbox an unanswered unknown caller lands in, I7, I8), whether the
    caller was known (I4), the rule in force (I5) and the timeline entry (I4)."""

    action: Action
    targets: tuple[Target, ...]
    reason: Reason
    trace: tuple[TraceEntry, ...]
    selected: tuple[str, ...] = ()
    known_caller: bool | None = None
    rule: str | None = None  # the custom rule's name, or "default"
    timeline: TimelineEntry | None = None

    @property
    def opens_inbox_item(self) -> bool:
        """An unknown caller on a company number with selected agents: the call or text waits
        in their inbox until answered or claimed (I7, I8)."""
        return self.known_caller is False and bool(self.selected)

    def to_json(self) -> dict[str, object]:
        """The answer of ``POST /v1/decisions/inbound`` but ``call_id`` (I12); company numbers
        add ``selected``, ``known_caller`` and ``rule``."""
        out: dict[str, object] = {
            "action": self.action.value,
            "targets": [t.to_json() for t in self.targets],
            "reason": self.reason.value,
            "trace": [{"step": t.step, "result": t.result, "reason": t.reason} for t in self.trace],
        }
        if self.known_caller is not None:
            out.update(selected=list(self.selected), known_caller=self.known_caller, rule=self.rule)
        return out

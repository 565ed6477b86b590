"""The sender of an outbound text (rules S1, S2, N2, N3, C4): which number or sender ID it shows.

``choose_sender`` is a pure function over the user's ``TextCard`` (their sender ID and their
personal and company numbers, as loaded) and the ``TextRequest``: no I/O, no queries. A
manual text (S1) uses the number the user chose among the ones they may text from; an
automatic one (S2) walks sender ID, personal number, company number and takes the first
usable. Its ``trace`` says why each step was skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from numberdesk.domain.errors import Conflict, Forbidden, Invalid, invalid_field
from numberdesk.domain.numbers import CAPABILITIES, Capability, Kind, Status
from numberdesk.domain.phones import parse_phone
from numberdesk.domain.trace import TraceEntry

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_SENDER_NAME = re.compile(r"[A-Za-z0-9 ]{1,11}")


class TextMode(StrEnum):
    """Who chooses the sender: the user (manual, S1) or the rules (auto, S2)."""

    MANUAL = "manual"
    AUTO = "auto"


class TextStep(StrEnum):
    """What chose the sender: the user's own pick (S1), or one step of the S2 order."""

    MANUAL = "manual"
    SENDER_ID = "sender_id"
    PERSONAL = "personal"
    COMPANY = "company"


AUTO_ORDER = (TextStep.SENDER_ID, TextStep.PERSONAL, TextStep.COMPANY)
_WHOSE = {TextStep.PERSONAL: "personal number", TextStep.COMPANY: "company number"}


@dataclass(frozen=True)
class SenderNumber:
    """One of the org's numbers as the text decision sees it."""

    id: str
    e164: str
    kind: Kind
    status: Status
    compliance_issues: tuple[str, ...] = ()  # unmet requirements (C4); empty when compliant

    def unusable(self) -> str | None:
        """Why this number cannot send a text now (N2, N3, C4), or None when it can."""
        if self.kind is Kind.MASKED:
            return f"{self.e164} is a masked number and never sends texts (rule N2)"
        if Capability.SMS_OUT not in CAPABILITIES[self.kind]:
            return f"{self.e164} is a {self.kind.value} number and cannot send texts (rule N2)"
        if self.status is not Status.ACTIVE:
            return f"{self.e164} is {self.status.value}; only active numbers send texts (rule N3)"
        if self.compliance_issues:
            return f"{self.e164} is not compliant: " + "; ".join(self.compliance_issues)
        return None


@dataclass(frozen=True)
class TextCard:
    """What a user's card says about texting: sender ID, personal and company numbers.

    ``sender_number`` is the org's live number that ``sender_id`` names, when the sender ID
    is a phone number and still one of the org's numbers.
    """

    user_id: str
    sender_id: str | None = None
    sender_number: SenderNumber | None = None
    personal: SenderNumber | None = None
    company: SenderNumber | None = None


@dataclass(frozen=True)
class TextRequest:
    """One text about to be sent: the mode, the requested sender (manual), the org's country."""

    mode: TextMode
    country: str
    requested: str | None = None  # the `from` of a manual text, as typed


@dataclass(frozen=True)
class TextSender:
    """The sender to show (E.164 or sender ID text), its number, the step that chose it, the trace."""

    sender: str
    step: str
    number_id: str | None = None
    trace: tuple[TraceEntry, ...] = field(default_factory=tuple)


def check_mode(value: str) -> TextMode:
    """A text mode: manual or auto."""
    try:
        return TextMode(value)
    except ValueError:
        raise invalid_field(
            "mode", f"{value!r} is not a mode; use manual or auto", code="unknown_mode"
        ) from None


def is_phone_sender(sender_id: str) -> bool:
    """Whether a configured sender ID is a phone number (E.164) rather than a name like ACME."""
    return bool(_E164.match(sender_id.strip()))


def check_sender_name(value: str, field: str = "sender_id") -> str:
    """An alphanumeric sender ID (e.g. ACME): 1-11 letters, digits or spaces, with at least
    one letter, as SMS networks carry it (S2)."""
    name = value.strip()
    if not _SENDER_NAME.fullmatch(name) or not any(c.isalpha() for c in name):
        raise invalid_field(
            field,
            "give one of your numbers that can send texts, or a name of 1 to 11 letters, "
            "digits or spaces with at least one letter (e.g. ACME)",
        )
    return name


def choose_sender(card: TextCard, request: TextRequest) -> TextSender:
    """The sender of one text: the user's pick (S1) or the S2 order; refuse with the reason."""
    if request.mode is TextMode.MANUAL:
        return manual_sender(card, request)
    if request.requested is not None:
        raise invalid_field(
            "from",
            "is read only for manual texts; leave it out for auto, or send mode manual (rule S1)",
        )
    return auto_sender(card)


# --- Manual (S1) ---------------------------------------------------------------------------


def _own_numbers(card: TextCard) -> list[tuple[TextStep, SenderNumber]]:
    """The user's personal and company numbers, each once."""
    found: list[tuple[TextStep, SenderNumber]] = []
    for step, number in ((TextStep.PERSONAL, card.personal), (TextStep.COMPANY, card.company)):
        if number is not None and all(n.id != number.id for _, n in found):
            found.append((step, number))
    return found


def sender_options(card: TextCard) -> list[dict[str, str]]:
    """The numbers the user may text from (S1): SMS-capable, active, compliant; personal first."""
    return [
        {"e164": n.e164, "number_id": n.id, "as": _WHOSE[step]}
        for step, n in _own_numbers(card)
        if n.unusable() is None
    ]


def _options_text(options: list[dict[str, str]]) -> str:
    if not options:
        return (
            "you have no number that can send texts; ask an admin to assign you an active "
            "sms or omni personal or company number"
        )
    return "use one of " + ", ".join(f"{o['e164']} ({o['as']})" for o in options)


def manual_sender(card: TextCard, request: TextRequest) -> TextSender:
    """The number the user chose, if they may text from it (S1, N2, N3)."""
    options = sender_options(card)
    if request.requested is None:
        raise Invalid(
            "sender_required",
            f"from: a manual text needs the number to send from (rule S1); {_options_text(options)}.",
            extra={"options": options},
        )
    e164 = parse_phone(request.requested, request.country, field="from").e164
    for step, number in _own_numbers(card):
        if number.e164 != e164:
            continue
        why_not = number.unusable()
        if why_not is not None:
            raise _not_allowed(f"{why_not}; {_options_text(options)}", options)
        reason = f"{e164}: the user's {_WHOSE[step]}, chosen by the user (rule S1)"
        return TextSender(
            e164, TextStep.MANUAL, number.id, (TraceEntry("manual", "chosen", reason),)
        )
    raise _not_allowed(
        f"{e164} is not a number you may text from (rule S1): only your personal and company "
        f"numbers; {_options_text(options)}",
        options,
    )


def _not_allowed(detail: str, options: list[dict[str, str]]) -> Forbidden:
    return Forbidden("sender_not_allowed", detail + ".", extra={"options": options})


# --- Automatic (S2) --------------------------------------------------------------------------


def auto_sender(card: TextCard) -> TextSender:
    """The user's sender ID, else their personal number, else their company number (S2)."""
    trace: list[TraceEntry] = []
    for step in AUTO_ORDER:
        chosen = _try_step(step, card, trace)
        if chosen is not None:
            return TextSender(chosen[0], step, chosen[1], tuple(trace))
    raise Conflict(
        "no_sender",
        "No sender for this automatic text (rule S2): the user has no usable sender ID, "
        "personal or company number; the trace says why each was skipped. Set a sender ID "
        "on the user or assign them an active sms or omni number.",
        extra={"trace": [t._asdict() for t in trace]},
    )


def _try_step(
    step: TextStep, card: TextCard, trace: list[TraceEntry]
) -> tuple[str, str | None] | None:
    """The sender and number id this step gives, or None, with the step added to the trace."""
    if step is TextStep.SENDER_ID:
        return _try_sender_id(card, trace)
    number = card.personal if step is TextStep.PERSONAL else card.company
    whose = _WHOSE[step]
    if number is None:
        trace.append(TraceEntry(step, "no_match", f"the user has no {whose}"))
        return None
    why_not = number.unusable()
    if why_not is not None:
        trace.append(TraceEntry(step, "skipped", f"{whose} {why_not}"))
        return None
    trace.append(TraceEntry(step, "chosen", f"{number.e164}: the user's {whose} (rule S2)"))
    return number.e164, number.id


def _try_sender_id(card: TextCard, trace: list[TraceEntry]) -> tuple[str, str | None] | None:
    """The configured sender ID: a name is used as it is; a number must be able to text."""
    step = TextStep.SENDER_ID
    sender_id = (card.sender_id or "").strip()
    if not sender_id:
        trace.append(TraceEntry(step, "no_match", "the user has no sender ID"))
        return None
    if not is_phone_sender(sender_id):
        trace.append(TraceEntry(step, "chosen", f"{sender_id}: the user's sender ID (rule S2)"))
        return sender_id, None
    number = card.sender_number
    why_not = (
        f"{sender_id} is no longer one of the organisation's numbers"
        if number is None
        else number.unusable()
    )
    if number is None or why_not is not None:
        trace.append(TraceEntry(step, "skipped", f"sender ID {why_not}"))
        return None
    trace.append(TraceEntry(step, "chosen", f"{number.e164}: the user's sender ID (rule S2)"))
    return number.e164, number.id

"""An inbound call as the PBX gives it (rules N1, I1, I10, I12): our number, the caller, the
channel and the call id, read and checked before the decision; and what of the configuration
the decision will look at for it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from numberdesk.domain.errors import Invalid, invalid_field
from numberdesk.domain.inbound import forwards_every_call, refusal
from numberdesk.domain.inbound_types import Channel, DialledNumber
from numberdesk.domain.phones import REMEMBERED, e164_of
from numberdesk.domain.routes import RouteType
from numberdesk.domain.trace import TraceEntry

MAX_CALL_ID = 64
_CALL_ID = re.compile(rf"[^/\s]{{1,{MAX_CALL_ID}}}")


def read_channel(value: Channel | str) -> Channel:
    """``voice`` or ``sms``; anything else is refused on field ``channel``."""
    if value not in {c.value for c in Channel}:
        raise invalid_field("channel", f"{value!r} is not a channel; use voice or sms")
    return Channel(value)


def read_call_id(value: str | None) -> str | None:
    """The PBX's call id: 1 to 64 characters without slashes or spaces (events name it in
    their path), or None to have one made up."""
    if value is not None and not _CALL_ID.fullmatch(value):
        raise invalid_field(
            "call_id",
            f"give the PBX's call id: 1 to {MAX_CALL_ID} characters, no slashes or spaces",
        )
    return value


@lru_cache(maxsize=REMEMBERED)
def read_to(to: str, country: str) -> str:
    """Our number that was dialled, in E.164, read with the org's country (N1); refused on
    field ``to`` when it is not a phone number. Remembered (``phones.REMEMBERED``)."""
    return e164_of(to, country, field="to")


@lru_cache(maxsize=REMEMBERED)
def read_caller(raw: str | None, country: str) -> str | None:
    """The caller in E.164, or None when withheld: absent, empty, "anonymous" or anything
    else that is not a phone number. Remembered (``phones.REMEMBERED``)."""
    if raw is None or not raw.strip():
        return None
    try:
        return e164_of(raw, country, field="from")
    except Invalid:
        return None


def withheld_step(raw: str | None) -> TraceEntry:
    """The trace's word on a withheld caller (I12): what the PBX sent, and what it means."""
    given = f" (from: {raw.strip()[:40]!r})" if raw and raw.strip() else ""
    why = f"the caller's number is withheld{given}: an unknown caller without a number"
    return TraceEntry("caller", "no_match", why)


def looks_past_number(number: DialledNumber, channel: Channel) -> bool:
    """Whether the decision reads beyond the number itself: the number can take this call or
    text and does not forward every call (I1, N2, N3, N11)."""
    return refusal(number, channel) is None and not forwards_every_call(number, channel)


def counts_against_limit(number: DialledNumber, channel: Channel) -> bool:
    """A voice call that reaches a company number's route counts against its call limit (I10)."""
    return (
        channel is Channel.VOICE
        and number.route.type is RouteType.COMPANY
        and looks_past_number(number, channel)
    )

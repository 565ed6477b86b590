"""Users (agents, admins, owners): their extension, phones, caller ID, hours and presence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from numberdesk.domain.errors import Conflict, FieldError, invalid_field
from numberdesk.domain.orgs import Role

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SIP_URI = re.compile(r"^sips?:[^@\s]+@[^\s]+$|^sips?:[^\s@]+$")


class Presence(StrEnum):
    """Whether an agent can take a call now."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    BUSY = "busy"


@dataclass
class User:
    """A person in an org, with everything the call path needs to know about them."""

    org_id: str
    id: str
    name: str
    email: str
    role: Role
    created_at: datetime
    extension: str | None = None
    work_phone: str | None = None
    caller_id: str | None = None
    sender_id: str | None = None
    voicemail_email: str | None = None
    not_reachable_number: str | None = None
    greeting_url: str | None = None
    business_hours: list[dict[str, object]] | None = None
    presence: Presence = Presence.LOGGED_OUT
    personal_number_id: str | None = None
    company_number_id: str | None = None
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class ApiKey:
    """An API key: stored only as a hash; the clear key is shown once, when it is made."""

    org_id: str
    id: str
    user_id: str
    key_hash: str
    created_at: datetime
    revoked_at: datetime | None = field(default=None, compare=False)


def check_email(value: str, what: str = "email") -> str:
    """A plausible e-mail address, lower-cased."""
    text = value.strip().lower()
    if not _EMAIL.match(text):
        raise invalid_field(what, f"{value!r} is not an e-mail address")
    return text


def duplicate_email(email: str, holder: str | None) -> Conflict:
    """The 409 for a second live user with the same e-mail in one org (``holder``: the user
    who has it, when known; a request that raced another to it does not know)."""
    who = f"user {holder}" if holder else "another user, given it at the same moment"
    return Conflict(
        "duplicate_email",
        f"{email} is already the e-mail of {who}; use another e-mail.",
        errors=[FieldError("email", f"{email} is taken by another user")],
    )


def check_extension(value: str) -> str:
    """An agent's VoIP extension: a SIP URI such as sip:alice@pbx.example.com."""
    text = value.strip()
    if not _SIP_URI.match(text):
        raise invalid_field(
            "extension", f"{value!r} is not a SIP URI; use one like sip:alice@pbx.example.com"
        )
    return text


def check_uri(value: str, what: str) -> str:
    """A SIP URI for queues and custom destinations."""
    text = value.strip()
    if not _SIP_URI.match(text):
        raise invalid_field(
            what, f"{value!r} is not a SIP URI; use one like sip:sales@pbx.example.com"
        )
    return text


def _clock(value: object, what: str) -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{2}:\d{2}", value):
        raise invalid_field(what, f"{value!r} is not a time; use HH:MM such as 09:00")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise invalid_field(what, f"{value!r} is not a time of day") from None


def check_business_hours(windows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Validate ``[{"days": [...], "start": "09:00", "end": "17:00"}]``; windows may cross midnight."""
    checked: list[dict[str, object]] = []
    for i, window in enumerate(windows):
        where = f"business_hours[{i}]"
        days = window.get("days")
        if not isinstance(days, list) or not days:
            raise invalid_field(f"{where}.days", 'give at least one weekday, e.g. ["mon", "tue"]')
        for day in days:
            if day not in WEEKDAYS:
                raise invalid_field(f"{where}.days", f"{day!r} is not one of {', '.join(WEEKDAYS)}")
        start = _clock(window.get("start"), f"{where}.start")
        end = _clock(window.get("end"), f"{where}.end")
        if start == end:
            raise invalid_field(f"{where}", "start and end are equal: the window is empty")
        checked.append(
            {"days": list(dict.fromkeys(days)), "start": window["start"], "end": window["end"]}
        )
    return checked

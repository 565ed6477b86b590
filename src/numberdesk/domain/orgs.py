"""Organisations, the people in them, their API keys, and who may do what (rules A1, A2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from numberdesk.domain.errors import Forbidden, invalid_field

DEFAULT_POLICY = ["local_presence", "agent", "campaign", "organisation"]


class Role(StrEnum):
    """A user's role: owners and admins manage the org; agents take and make calls."""

    OWNER = "owner"
    ADMIN = "admin"
    AGENT = "agent"


MANAGERS = frozenset({Role.OWNER, Role.ADMIN})


@dataclass
class Org:
    """A tenant: every row belongs to exactly one org."""

    org_id: str
    name: str
    country: str
    timezone: str
    created_at: datetime
    default_caller_id: str | None = None
    caller_id_policy: list[str] = field(default_factory=lambda: list(DEFAULT_POLICY))
    daily_cap: int | None = None
    spam_threshold: int = 3
    spam_rest_days: int = 30
    config_version: int = 0  # bumped by every change the call path's in-memory index reads


@dataclass(frozen=True)
class Actor:
    """Who is acting: one user of one org, with that user's role (A1)."""

    org_id: str
    user_id: str
    role: Role

    @property
    def is_manager(self) -> bool:
        """Owners and admins manage the organisation."""
        return self.role in MANAGERS


def require_manager(actor: Actor, what: str) -> None:
    """Refuse unless the actor is an owner or admin (A2)."""
    if not actor.is_manager:
        raise Forbidden(
            "forbidden",
            f"Only owners and admins can {what}; ask an admin of your organisation.",
        )


def require_owner(actor: Actor, what: str) -> None:
    """Refuse unless the actor is an owner."""
    if actor.role is not Role.OWNER:
        raise Forbidden("forbidden", f"Only owners can {what}; ask an owner of your organisation.")


def check_timezone(name: str) -> str:
    """An IANA time zone name, or refuse."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid_field(
            "timezone", f"{name!r} is not an IANA time zone; use one like Europe/Helsinki"
        ) from None
    if name not in available_timezones() and name != "UTC":
        raise invalid_field("timezone", f"{name!r} is not an IANA time zone")
    return name


def kept(field: str, value: Any) -> Any:
    """A setting every record must have, sent in a change: null is refused (422), not
    stored; leaving the field out is how a change keeps it."""
    if value is None:
        raise invalid_field(field, "cannot be removed; leave it out to keep it as it is")
    return value


def check_name(value: str, what: str = "name", max_length: int = 200) -> str:
    """A non-empty, trimmed name of reasonable length."""
    text = value.strip()
    if not text:
        raise invalid_field(what, "must not be empty")
    if len(text) > max_length:
        raise invalid_field(what, f"must be at most {max_length} characters")
    return text

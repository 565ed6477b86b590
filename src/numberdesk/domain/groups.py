"""Groups of numbers and outbound campaigns (rule N12)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from numberdesk.domain.errors import Conflict, FieldError, Invalid, invalid_field
from numberdesk.domain.numbers import Capability, Number, require_capability

MAX_DAILY_CAP = 100_000  # calls per number per day; one call a second all day is 86,400


@dataclass
class Group:
    """A named set of numbers."""

    org_id: str
    id: str
    name: str
    created_at: datetime
    number_ids: list[str] = field(default_factory=list)


@dataclass
class Campaign:
    """An outbound calling campaign: numbers and groups, a caller-ID policy and options."""

    org_id: str
    id: str
    name: str
    created_at: datetime
    caller_id_policy: list[str] | None = None
    daily_cap: int | None = None
    sticky: bool = True
    number_ids: list[str] = field(default_factory=list)
    group_ids: list[str] = field(default_factory=list)


def check_ids(value: object, field: str, limit: int = 1000) -> list[str]:
    """A list of ids without repeats (order kept), or refuse naming the field."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid_field(field, "give a list of ids (use [] for none)")
    ids = list(dict.fromkeys(value))
    if len(ids) > limit:
        raise invalid_field(field, f"give at most {limit} ids")
    return ids


def check_daily_cap(value: object) -> int | None:
    """A daily cap of calls per number (an org's or a campaign's): a whole number from 1 to
    MAX_DAILY_CAP, or null for none (O6)."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAILY_CAP:
        raise invalid_field(
            "daily_cap", f"give a whole number from 1 to {MAX_DAILY_CAP:,}, or null for no cap"
        )
    return value


def require_caller_id(
    number: Number, campaign: str, group: Group | None = None, *, field: str = "number_ids"
) -> None:
    """Campaign numbers are shown as outbound caller ID, so each must make calls (N2, N12).

    Masked numbers can; sms numbers cannot. A number that came through a group is named
    together with that group, so the admin knows where to take it out.
    """
    via = f" through group {group.name!r}" if group else ""
    try:
        require_capability(
            number, Capability.VOICE_OUT, f"as a caller ID of campaign {campaign!r}{via}"
        )
    except Invalid as refused:
        detail = refused.detail
        extra: dict[str, object] = {"number_id": number.id}
        if group is not None:
            detail += f", or take it out of group {group.name!r}"
            extra["group_id"] = group.id
        raise Invalid(
            refused.code, detail, errors=[FieldError(field, detail)], extra=extra
        ) from None


def duplicate_name(entity: str, name: str) -> Conflict:
    """The 409 for a second object of the same kind and name in one org."""
    article = "an" if entity[:1] in "aeiou" else "a"
    return Conflict(
        "duplicate_name",
        f"There is already {article} {entity} named {name!r} in your organisation; "
        "choose another name.",
        errors=[FieldError("name", f"{name!r} is taken by another {entity}")],
    )

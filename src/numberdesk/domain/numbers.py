"""Numbers and their capabilities, status and area codes (rules N1-N3, N8, N12)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from numberdesk.domain.errors import Conflict, Invalid, invalid_field


class Kind(StrEnum):
    """What a number can do (N2)."""

    VOICE = "voice"
    OMNI = "omni"
    SMS = "sms"
    MASKED = "masked"


class Origin(StrEnum):
    """How the number came to the org."""

    PURCHASED = "purchased"
    MASKED = "masked"
    PORTED_IN = "ported_in"


class Status(StrEnum):
    """Life of a number (N3). Only ``active`` numbers take part in calls and texts."""

    PENDING = "pending"
    PORTING_IN = "porting_in"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RELEASED = "released"
    PORTED_OUT = "ported_out"


FINAL_STATUSES = frozenset({Status.RELEASED, Status.PORTED_OUT})
BUYABLE_KINDS = (Kind.VOICE, Kind.OMNI, Kind.SMS)


class Capability(StrEnum):
    """One thing a number can be used for."""

    VOICE_IN = "voice_in"
    VOICE_OUT = "voice_out"
    SMS_IN = "sms_in"
    SMS_OUT = "sms_out"


CAPABILITIES: dict[Kind, frozenset[Capability]] = {
    Kind.VOICE: frozenset({Capability.VOICE_IN, Capability.VOICE_OUT}),
    Kind.OMNI: frozenset(Capability),
    Kind.SMS: frozenset({Capability.SMS_IN, Capability.SMS_OUT}),
    Kind.MASKED: frozenset({Capability.VOICE_OUT}),
}

_CAPABILITY_WORDS = {
    Capability.VOICE_IN: "receive calls",
    Capability.VOICE_OUT: "make calls (caller ID)",
    Capability.SMS_IN: "receive texts",
    Capability.SMS_OUT: "send texts",
}


class NumberUses:
    """What a number's kind and status allow: shared by ``Number`` and ``CallPathNumber``."""

    __slots__ = ()
    kind: Kind
    status: Status

    def can(self, capability: Capability) -> bool:
        """Whether the number's kind allows this use (N2)."""
        return capability in CAPABILITIES[self.kind]

    @property
    def is_live(self) -> bool:
        """Still the org's (not released or ported out)."""
        return self.status not in FINAL_STATUSES


@dataclass
class Number(NumberUses):
    """One E.164 number the org can use."""

    org_id: str
    id: str
    e164: str
    country: str
    line_type: str
    kind: Kind
    origin: Origin
    status: Status
    created_at: datetime
    area_code: str | None = None
    owner_type: str = "org"
    owner_id: str | None = None
    order_id: str | None = None
    address_id: str | None = None
    forward_to: str | None = None
    mandate_id: str | None = None
    status_reason: str | None = None
    rested_until: datetime | None = None
    rest_reason: str | None = None
    tags: list[str] = field(default_factory=list)
    released_at: datetime | None = None
    route: dict[str, Any] | None = None  # the stored inbound route (I2); None = not_assigned


@dataclass(slots=True)
class CallPathNumber(NumberUses):
    """A number as the call path's indexes read it: the columns they and its compliance (C4)
    need, nothing else. A million-number org's index build reads a million of them, a third
    of the time whole ``Number`` rows took (bench/README.md, nineteenth session). A row read
    for one build and dropped after it, so not frozen: a frozen dataclass of 13 fields took
    1.3 us to make, this one 0.2 us (bench/README.md, twentieth session)."""

    id: str
    e164: str
    country: str
    area_code: str | None
    line_type: str
    kind: Kind
    status: Status
    status_reason: str | None
    rested_until: datetime | None
    address_id: str | None
    mandate_id: str | None
    forward_to: str | None
    route: dict[str, Any] | None


class NumberFacts(Protocol):
    """What compliance reads of a number (C2, C4): a ``Number`` or a ``CallPathNumber``."""

    @property
    def id(self) -> str: ...
    @property
    def e164(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def area_code(self) -> str | None: ...
    @property
    def line_type(self) -> str: ...
    @property
    def status(self) -> Status: ...
    @property
    def status_reason(self) -> str | None: ...
    @property
    def address_id(self) -> str | None: ...


@dataclass(frozen=True)
class AreaCodeMapping:
    """A local-presence area code mapped to a number beyond its own (one number, many area codes)."""

    org_id: str
    number_id: str
    area_code: str


def require_capability(number: Number, capability: Capability, use: str) -> None:
    """Refuse to use a number for something its kind cannot do (N2)."""
    if not number.can(capability):
        raise Invalid(
            "capability_missing",
            f"{number.e164} is a {number.kind.value} number and cannot {_CAPABILITY_WORDS[capability]},"
            f" so it cannot be used {use} (rule N2); pick a voice or omni number instead"
            if capability in (Capability.VOICE_IN, Capability.VOICE_OUT)
            else f"{number.e164} is a {number.kind.value} number and cannot "
            f"{_CAPABILITY_WORDS[capability]}, so it cannot be used {use} (rule N2); "
            "pick an sms or omni number instead",
        )


def require_live(number: Number) -> None:
    """Refuse to change a number that has left the org (released or ported out)."""
    if not number.is_live:
        raise Invalid(
            "number_not_live",
            f"{number.e164} is {number.status.value}; it no longer belongs to your organisation",
        )


def all_area_codes(number: Number, mapped: list[str]) -> list[str]:
    """The number's own area code first, then the mapped ones, without repeats."""
    own = [number.area_code] if number.area_code else []
    return list(dict.fromkeys(own + mapped))


# --- Buying, local presence and number settings (N2, N4, N12) ---------------------------

MAX_ORDER_QUANTITY = 100
MAX_MAPPED_AREA_CODES = 100
MAX_TAGS, MAX_TAG_LENGTH = 20, 50


@dataclass
class NumberOrder:
    """One order at the carrier: all of its numbers were bought together, or none (N4)."""

    org_id: str
    id: str
    country: str
    kind: Kind
    quantity: int
    created_at: datetime
    area_code: str | None = None
    sponsor_id: str | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class PresenceArea:
    """One local-presence area code and the numbers that cover it (one number, many area codes)."""

    country: str
    area_code: str
    numbers: list[str]


def check_kind_to_buy(value: str) -> Kind:
    """A kind the carrier sells: voice, omni or sms (masked numbers are added, not bought)."""
    if value == Kind.MASKED:
        raise invalid_field(
            "kind",
            "masked numbers are not bought; add a number you already own with POST /v1/numbers/mask",
            code="kind_not_buyable",
        )
    if value not in {k.value for k in BUYABLE_KINDS}:
        raise invalid_field(
            "kind",
            f"{value!r} is not a kind of number; use voice, omni or sms",
            code="unknown_kind",
        )
    return Kind(value)


def check_quantity(value: int) -> int:
    """How many numbers one order buys: 1 to MAX_ORDER_QUANTITY."""
    if not 1 <= value <= MAX_ORDER_QUANTITY:
        raise invalid_field(
            "quantity",
            f"{value} is out of range; order between 1 and {MAX_ORDER_QUANTITY} numbers at a time",
            code="invalid_quantity",
        )
    return value


def check_area_code_syntax(value: str, field: str = "area_code") -> str:
    """An area code is 1 to 8 digits, such as 212 or 9."""
    text = value.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 8):
        raise invalid_field(
            field,
            f"{value!r} is not an area code; give its digits, such as 212",
            code="unknown_area_code",
        )
    return text


def unknown_area_code(country: str, area_code: str, field: str = "area_code") -> Invalid:
    """The 422 for an area code the country's numbering plan does not have."""
    return invalid_field(
        field,
        f"{area_code!r} is not an area code in {country}; GET /v1/area-codes?country={country} "
        "lists the valid ones",
        code="unknown_area_code",
    )


def check_mapped_area_codes(
    number: Number, area_codes: list[str], is_area_code: Callable[[str, str], bool]
) -> list[str]:
    """The local-presence area codes a number may cover beyond its own, sorted (O3, N2)."""
    if area_codes:
        require_capability(number, Capability.VOICE_OUT, "for local presence")
    if len(area_codes) > MAX_MAPPED_AREA_CODES:
        raise invalid_field(
            "area_codes", f"map at most {MAX_MAPPED_AREA_CODES} area codes to one number"
        )
    mapped: set[str] = set()
    for i, raw in enumerate(area_codes):
        code = check_area_code_syntax(raw, f"area_codes[{i}]")
        if not is_area_code(number.country, code):
            raise unknown_area_code(number.country, code, f"area_codes[{i}]")
        if code != number.area_code:
            mapped.add(code)
    return sorted(mapped)


def check_tags(tags: list[str]) -> list[str]:
    """Short labels on a number: trimmed, non-empty, no repeats."""
    if len(tags) > MAX_TAGS:
        raise invalid_field("tags", f"give at most {MAX_TAGS} tags")
    clean: list[str] = []
    for i, raw in enumerate(tags):
        tag = raw.strip()
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise invalid_field(f"tags[{i}]", f"a tag is 1 to {MAX_TAG_LENGTH} characters")
        clean.append(tag)
    return list(dict.fromkeys(clean))


def require_still_live(number: Number) -> None:
    """Refuse (409) to change or release a number that has already left the org (N3)."""
    if not number.is_live:
        raise Conflict(
            "number_not_live",
            f"{number.e164} is already {number.status.value}; it is no longer your number, "
            "so it cannot be changed or released again",
        )


def local_presence(numbers: list[Number], mapped: dict[str, list[str]]) -> list[PresenceArea]:
    """Every area code covered by an active voice-out number, by country and area code (O3)."""
    areas: dict[tuple[str, str], set[str]] = defaultdict(set)
    for number in numbers:
        if number.status is not Status.ACTIVE or not number.can(Capability.VOICE_OUT):
            continue
        for code in all_area_codes(number, mapped.get(number.id, [])):
            areas[(number.country, code)].add(number.e164)
    return [
        PresenceArea(country, code, sorted(e164s))
        for (country, code), e164s in sorted(areas.items())
    ]

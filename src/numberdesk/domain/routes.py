"""Inbound routes (rules I1, I2, I3, N11): what a call to one of our numbers does.

A ``Route`` is a value: its type and the fields that type needs. ``check_route`` reads one
from JSON (the body of ``PUT /v1/numbers/{id}/route`` or the ``route`` of ``PUT /v1/routes``)
and refuses missing, unknown and misplaced fields with the fix. Whether the number may carry
a route at all (N2: never a masked number) is the service's check; whether the agent,
queue or destination exists is checked here only when the caller passes ``KnownTargets``.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from numberdesk.domain.errors import Invalid, invalid_field
from numberdesk.domain.numbers import Capability, Number
from numberdesk.domain.phones import parse_phone


class RouteType(StrEnum):
    """What an inbound call does (I2); ``not_assigned`` disconnects it (I1)."""

    NOT_ASSIGNED = "not_assigned"
    AGENT = "agent"
    QUEUE = "queue"
    CUSTOM = "custom"
    FORWARD = "forward"
    LAST_CALLER = "last_caller"
    COMPANY = "company"


class Scope(StrEnum):
    """Whose last call counts for a ``last_caller`` route (I2): from this number, or any of ours."""

    NUMBER = "number"
    ANY = "any"


class Ring(StrEnum):
    """Which phone of an available agent rings (I3): the VoIP extension or the work phone."""

    EXTENSION = "extension"
    WORK_PHONE = "work_phone"


ROUTE_FIELDS = (
    "type",
    "agent_id",
    "queue_id",
    "destination_id",
    "forward_to",
    "scope",
    "ring",
    "fallback",
)
MAX_FALLBACK_DEPTH = 3
E = TypeVar("E", bound=StrEnum)
_REQUIRED = {
    RouteType.AGENT: ("agent_id", "the id of the agent who takes the calls"),
    RouteType.QUEUE: ("queue_id", "the id of the inbound queue (POST /v1/queues)"),
    RouteType.CUSTOM: (
        "destination_id",
        "the id of the custom destination (POST /v1/destinations)",
    ),
    RouteType.FORWARD: ("forward_to", "the external number to forward calls to, e.g. +12125550123"),
}
_OPTIONAL = {
    RouteType.AGENT: ("ring",),
    RouteType.LAST_CALLER: ("scope", "ring", "fallback"),
    RouteType.COMPANY: ("ring",),
}


@dataclass(frozen=True, slots=True)
class Route:
    """One number's inbound route (I2). ``scope`` and ``fallback`` matter for ``last_caller``
    only; ``ring`` for the types that ring an agent (``agent``, ``last_caller``, ``company``)."""

    type: RouteType
    agent_id: str | None = None
    queue_id: str | None = None
    destination_id: str | None = None
    forward_to: str | None = None
    scope: Scope = Scope.NUMBER
    ring: Ring = Ring.EXTENSION
    fallback: Route | None = None

    def to_json(self) -> dict[str, object]:
        """The API's Route object, with only the fields this type uses."""
        out: dict[str, object] = {"type": self.type.value}
        for name in ("agent_id", "queue_id", "destination_id", "forward_to"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.type in _OPTIONAL:
            out["ring"] = self.ring.value
        if self.type is RouteType.LAST_CALLER:
            out["scope"] = self.scope.value
            if self.fallback is not None:
                out["fallback"] = self.fallback.to_json()
        return out

    def chain(self) -> tuple[Route, ...]:
        """This route, then its fallback, then the fallback's, and so on."""
        return (self, *(self.fallback.chain() if self.fallback else ()))

    def agent_ids(self) -> tuple[str, ...]:
        """Every agent this route names, its fallbacks' included (to clean up a deleted user)."""
        return tuple(r.agent_id for r in self.chain() if r.agent_id)


NOT_ASSIGNED = Route(RouteType.NOT_ASSIGNED)


@dataclass(frozen=True, slots=True)
class KnownTargets:
    """The ids a route may name in this org, for the referential checks."""

    agents: Container[str]
    queues: Container[str]
    destinations: Container[str]


def require_routable(number: Number, use: str) -> None:
    """Refuse a number that can receive neither calls nor texts (N2: a masked number is never
    an inbound route); ``use`` says what it was to be, e.g. "given an inbound route"."""
    if not (number.can(Capability.VOICE_IN) or number.can(Capability.SMS_IN)):
        raise Invalid(
            "capability_missing",
            f"{number.e164} is a {number.kind.value} number: it can only make calls (caller ID) "
            f"and cannot receive calls or texts, so it cannot be {use} (rule N2); pick a voice, "
            "omni or sms number instead",
            extra={"number_id": number.id},
        )


def check_route(
    data: object, *, country: str, where: str = "", known: KnownTargets | None = None
) -> Route:
    """Read a Route from JSON; refuse what is missing, unknown or misplaced (I2).

    ``country`` reads a national ``forward_to`` (N1); ``where`` prefixes field names in
    problems (``"route"`` for ``PUT /v1/routes``). Stored routes load through here too.
    """
    return _check(data, country, where, known, depth=0)


def _check(data: object, country: str, where: str, known: KnownTargets | None, depth: int) -> Route:
    if not isinstance(data, Mapping):
        raise invalid_field(
            where or "route", 'give a route object, e.g. {"type": "agent", "agent_id": "usr_..."}'
        )
    for key in data:
        if key not in ROUTE_FIELDS:
            raise invalid_field(
                _at(where, str(key)), f"is not a route field; use {', '.join(ROUTE_FIELDS)}"
            )
    kind = _route_type(data.get("type"), where)
    _no_misplaced(data, kind, where)
    values: dict[str, str] = {}
    if kind in _REQUIRED:
        name, what = _REQUIRED[kind]
        values[name] = _text(data.get(name), _at(where, name), f"a {kind} route needs {what}")
    if "forward_to" in values:
        values["forward_to"] = parse_phone(
            values["forward_to"], country, field=_at(where, "forward_to")
        ).e164
    if known is not None:
        _check_known(values, known, where)
    fallback = None
    if data.get("fallback") is not None:
        fallback = _fallback(data["fallback"], country, _at(where, "fallback"), known, depth)
    return Route(
        kind,
        agent_id=values.get("agent_id"),
        queue_id=values.get("queue_id"),
        destination_id=values.get("destination_id"),
        forward_to=values.get("forward_to"),
        scope=_choice(Scope, data.get("scope"), _at(where, "scope"), Scope.NUMBER),
        ring=_choice(Ring, data.get("ring"), _at(where, "ring"), Ring.EXTENSION),
        fallback=fallback,
    )


def _route_type(value: object, where: str) -> RouteType:
    types = ", ".join(t.value for t in RouteType)
    if value is None:
        raise invalid_field(_at(where, "type"), f"give the route type, one of {types}")
    if value not in {t.value for t in RouteType}:
        raise invalid_field(
            _at(where, "type"), f"{value!r} is not a route type; use one of {types}"
        )
    return RouteType(str(value))


def _no_misplaced(data: Mapping[str, object], kind: RouteType, where: str) -> None:
    """A field that another route type uses must be absent (or null) here."""
    allowed = {"type", *_OPTIONAL.get(kind, ())}
    if kind in _REQUIRED:
        allowed.add(_REQUIRED[kind][0])
    for key, value in data.items():
        if key not in allowed and value is not None:
            raise invalid_field(
                _at(where, key), f"does not apply to {kind.value} routes; remove it"
            )


def _fallback(
    data: object, country: str, where: str, known: KnownTargets | None, depth: int
) -> Route:
    if depth + 1 > MAX_FALLBACK_DEPTH:
        raise invalid_field(
            where, f"fallbacks nest at most {MAX_FALLBACK_DEPTH} deep; end the chain sooner"
        )
    route = _check(data, country, where, known, depth + 1)
    if route.type is RouteType.COMPANY:
        raise invalid_field(
            _at(where, "type"),
            "a fallback cannot be a company route; make the number's own route company instead",
        )
    return route


def _check_known(values: Mapping[str, str], known: KnownTargets, where: str) -> None:
    checks = (
        ("agent_id", known.agents, "agent", "GET /v1/users"),
        ("queue_id", known.queues, "queue", "POST /v1/queues"),
        ("destination_id", known.destinations, "custom destination", "POST /v1/destinations"),
    )
    for name, ids, what, how in checks:
        value = values.get(name)
        if value is not None and value not in ids:
            raise invalid_field(
                _at(where, name), f"no {what} {value!r} in your organisation; see {how}"
            )


def _text(value: object, where: str, missing: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise invalid_field(where, f"is missing: {missing}")
    if not isinstance(value, str):
        raise invalid_field(where, f"{value!r} is not a string; {missing}")
    return value.strip()


def _choice(enum: type[E], value: object, where: str, default: E) -> E:
    if value is None:
        return default
    options = [e.value for e in enum]
    if value not in options:
        raise invalid_field(where, f"{value!r} is not allowed; use one of {', '.join(options)}")
    return enum(str(value))


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name

"""Company numbers (rules I4-I11): the unknown-caller rules, their windows, and the call limit.

``check_company_settings`` reads the body of ``PUT /v1/numbers/{id}/company``: a default rule,
up to 10 custom rules (each with weekdays and an "HH:MM" window in the org's time zone; a
window whose end is before its start crosses midnight) that may not overlap, and the
concurrent-call limit. ``rule_in_force`` says which rule decides at a local moment (I5).
Who may change the settings (I11) is the service's check.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import cast

from numberdesk.domain.errors import Conflict, invalid_field
from numberdesk.domain.phones import parse_phone
from numberdesk.domain.users import WEEKDAYS

MAX_CUSTOM_RULES = 10
MAX_BLAST_AGENTS = 5
DEFAULT_MAX_CONCURRENT_CALLS = 50
MAX_CONCURRENT_CALLS_LIMIT = 10_000
SETTINGS_FIELDS = ("source", "tag", "max_concurrent_calls", "default_rule", "custom_rules")
RULE_FIELDS = ("action", "agent_ids", "agent_id", "number")
WINDOW_FIELDS = ("name", "days", "start", "end")
_DAY = 24 * 60
_WEEK = 7 * _DAY
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class RuleAction(StrEnum):
    """What a rule does with an unknown caller (I5)."""

    BLAST = "blast"
    USER = "user"
    NUMBER = "number"


_NEEDS = {RuleAction.BLAST: "agent_ids", RuleAction.USER: "agent_id", RuleAction.NUMBER: "number"}


@dataclass(frozen=True)
class Window:
    """Weekdays and a time window in the org's time zone (I5, I6). When ``end`` is before
    ``start`` the window crosses midnight: started on day D it covers D's late hours and
    D+1's early hours."""

    days: tuple[str, ...]
    start: time
    end: time

    def covers(self, local: datetime) -> bool:
        """Whether this local moment falls inside the window (start included, end not)."""
        today = WEEKDAYS[local.weekday()]
        yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
        now = local.time()
        if self.start < self.end:
            return today in self.days and self.start <= now < self.end
        return (today in self.days and now >= self.start) or (
            yesterday in self.days and now < self.end
        )

    def spans(self) -> list[tuple[int, int]]:
        """Half-open minute-of-week spans (Monday 00:00 = 0), split where Sunday turns Monday."""
        length = (_minutes(self.end) - _minutes(self.start)) % _DAY
        out: list[tuple[int, int]] = []
        for day in self.days:
            begin = WEEKDAYS.index(day) * _DAY + _minutes(self.start)
            out.append((begin, min(begin + length, _WEEK)))
            if begin + length > _WEEK:
                out.append((0, begin + length - _WEEK))
        return out

    def describe(self) -> str:
        """Like ``fri, sat 22:00-02:00``."""
        return f"{', '.join(self.days)} {self.start:%H:%M}-{self.end:%H:%M}"

    def to_json(self) -> dict[str, object]:
        """``{"days", "start", "end"}`` as the API and business hours spell it."""
        return {"days": list(self.days), "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}


def windows_from_json(items: Iterable[Mapping[str, object]]) -> tuple[Window, ...]:
    """Stored, already checked windows (an agent's business hours) as ``Window`` values."""
    return tuple(
        Window(tuple(cast("list[str]", i["days"])), _clock(i["start"], ""), _clock(i["end"], ""))
        for i in items
    )


@dataclass(frozen=True)
class Rule:
    """An unknown-caller rule (I5): ``blast`` 1-5 agents, one ``user``, or a bridge ``number``.
    A custom rule also has a name and a window; the default rule has neither."""

    action: RuleAction
    agent_ids: tuple[str, ...] = ()
    agent_id: str | None = None
    number: str | None = None
    name: str | None = None
    window: Window | None = None

    @property
    def selected(self) -> tuple[str, ...]:
        """The agents this rule selects (I6-I8): all blast agents, the one user, or nobody."""
        if self.action is RuleAction.BLAST:
            return self.agent_ids
        return (self.agent_id,) if self.agent_id else ()

    def label(self) -> str:
        """``custom rule 'Evenings'`` or ``the default rule``, for traces and problems."""
        return f"custom rule {self.name!r}" if self.name else "the default rule"

    def to_json(self) -> dict[str, object]:
        """The API's Rule (+ name, days, start, end for a custom rule)."""
        out: dict[str, object] = {"action": self.action.value}
        if self.action is RuleAction.BLAST:
            out["agent_ids"] = list(self.agent_ids)
        else:
            out[_NEEDS[self.action]] = self.agent_id or self.number
        if self.window is not None:
            out = {"name": self.name, **self.window.to_json(), **out}
        return out


@dataclass(frozen=True)
class CompanySettings:
    """A company number's settings (I5, I9, I10)."""

    default_rule: Rule
    custom_rules: tuple[Rule, ...] = ()
    max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS
    source: str | None = None
    tag: str | None = None

    def to_json(self) -> dict[str, object]:
        """The body ``PUT /v1/numbers/{id}/company`` takes and ``GET`` shows."""
        return {
            "source": self.source,
            "tag": self.tag,
            "max_concurrent_calls": self.max_concurrent_calls,
            "default_rule": self.default_rule.to_json(),
            "custom_rules": [r.to_json() for r in self.custom_rules],
        }

    def agent_ids(self) -> frozenset[str]:
        """Every agent any rule selects (to clean up after a deleted user)."""
        rules = (self.default_rule, *self.custom_rules)
        return frozenset(a for r in rules for a in r.selected)


def rule_in_force(settings: CompanySettings, local: datetime) -> Rule:
    """The first custom rule whose window holds this local moment, else the default (I5)."""
    for rule in settings.custom_rules:
        if rule.window is not None and rule.window.covers(local):
            return rule
    return settings.default_rule


def new_contact_labels(settings: CompanySettings) -> tuple[str | None, tuple[str, ...]]:
    """A contact created from an unknown caller: the number's source, and its tag (I9)."""
    return settings.source, tuple(t for t in (settings.tag,) if t)


def linked_contact_tags(tags: Sequence[str], settings: CompanySettings) -> tuple[str, ...]:
    """Linking a caller to an existing contact keeps its one source; the number's source and
    tag are added as tags (I9), without repeats."""
    return tuple(dict.fromkeys(t for t in (*tags, settings.source, settings.tag) if t))


def check_company_settings(
    data: object, *, country: str, agents: Container[str] | None = None
) -> CompanySettings:
    """Read the company settings from JSON (I5, I10); refuse with the fix. Overlapping custom
    rules are a 409 ``rule_overlap`` naming both. Stored settings load through here too."""
    body = _mapping(data, "company settings", "")
    _known_fields(body, SETTINGS_FIELDS, "")
    if body.get("default_rule") is None:
        raise invalid_field(
            "default_rule",
            'is missing: give the rule for unknown callers, e.g. {"action": "user", "agent_id": "usr_..."}',
        )
    default = check_rule(body["default_rule"], "default_rule", country=country, agents=agents)
    raw = body.get("custom_rules") or []
    if not isinstance(raw, list):
        raise invalid_field("custom_rules", "give a list of rules")
    if len(raw) > MAX_CUSTOM_RULES:
        raise invalid_field(
            "custom_rules",
            f"{len(raw)} rules given; a company number has at most {MAX_CUSTOM_RULES} custom "
            f"rules (rule I5): remove {len(raw) - MAX_CUSTOM_RULES}",
            code="too_many_rules",
        )
    rules = tuple(
        check_rule(r, f"custom_rules[{i}]", country=country, agents=agents, custom=True)
        for i, r in enumerate(raw)
    )
    _unique_names(rules)
    check_no_overlap(rules)
    return CompanySettings(
        default,
        rules,
        _max_calls(body.get("max_concurrent_calls")),
        _label(body.get("source"), "source"),
        _label(body.get("tag"), "tag"),
    )


def check_rule(
    data: object,
    where: str,
    *,
    country: str,
    agents: Container[str] | None = None,
    custom: bool = False,
) -> Rule:
    """One rule (I5): the action and what it needs; a custom rule also a name and a window."""
    body = _mapping(data, "rule", where)
    _known_fields(body, RULE_FIELDS + (WINDOW_FIELDS if custom else ()), where)
    actions = ", ".join(a.value for a in RuleAction)
    action = body.get("action")
    if action not in {a.value for a in RuleAction}:
        raise invalid_field(f"{where}.action", f"{action!r} is not an action; use one of {actions}")
    kind = RuleAction(str(action))
    for other in RULE_FIELDS[1:]:
        if other != _NEEDS[kind] and body.get(other) not in (None, "", []):
            raise invalid_field(f"{where}.{other}", f"does not apply to a {kind} rule; remove it")
    need = body.get(_NEEDS[kind])
    at = f"{where}.{_NEEDS[kind]}"
    name = _label(body.get("name"), f"{where}.name", required=True) if custom else None
    window = _window(body, where) if custom else None
    if kind is RuleAction.BLAST:
        return Rule(kind, agent_ids=_blast_agents(need, at, agents), name=name, window=window)
    if kind is RuleAction.USER:
        return Rule(kind, agent_id=_agent(need, at, agents), name=name, window=window)
    number = parse_phone(str(need or ""), country, field=at).e164
    return Rule(kind, number=number, name=name, window=window)


def check_no_overlap(rules: Sequence[Rule]) -> None:
    """Custom rules may not overlap, midnight-crossing windows included (I5): refuse with 409
    ``rule_overlap`` naming both rules and the first moment they share."""
    for i, first in enumerate(rules):
        for second in rules[i + 1 :]:
            at = _first_shared_minute(first, second)
            if at is not None:
                raise Conflict(
                    "rule_overlap",
                    f"{_described(first)} and {_described(second)} both cover {_moment(at)}; "
                    "custom rules may not overlap (rule I5): change the days or times of one",
                    extra={"rules": [first.name, second.name]},
                )


def _described(rule: Rule) -> str:
    return f"{rule.label()} ({rule.window.describe()})" if rule.window else rule.label()


def _unique_names(rules: Sequence[Rule]) -> None:
    seen: set[str | None] = set()
    for i, rule in enumerate(rules):
        if rule.name in seen:
            raise invalid_field(
                f"custom_rules[{i}].name",
                f"{rule.name!r} is used twice; give each rule its own name",
            )
        seen.add(rule.name)


def _first_shared_minute(a: Rule, b: Rule) -> int | None:
    if a.window is None or b.window is None:
        return None
    shared = [
        max(s1, s2)
        for s1, e1 in a.window.spans()
        for s2, e2 in b.window.spans()
        if max(s1, s2) < min(e1, e2)
    ]
    return min(shared, default=None)


def _window(body: Mapping[str, object], where: str) -> Window:
    days = body.get("days")
    if not isinstance(days, list) or not days:
        raise invalid_field(f"{where}.days", 'give at least one weekday, e.g. ["mon", "tue"]')
    for day in days:
        if day not in WEEKDAYS:
            raise invalid_field(f"{where}.days", f"{day!r} is not one of {', '.join(WEEKDAYS)}")
    start = _clock(body.get("start"), f"{where}.start")
    end = _clock(body.get("end"), f"{where}.end")
    if start == end:
        raise invalid_field(
            where,
            "start and end are equal: the window is empty; an end before the start "
            "crosses midnight (22:00-02:00)",
        )
    return Window(tuple(WEEKDAYS[i] for i in sorted({WEEKDAYS.index(d) for d in days})), start, end)


def _blast_agents(value: object, where: str, agents: Container[str] | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise invalid_field(where, f"give 1 to {MAX_BLAST_AGENTS} agent ids to ring at once")
    if len(value) > MAX_BLAST_AGENTS:
        raise invalid_field(
            where,
            f"{len(value)} agents given; a blast rings at most {MAX_BLAST_AGENTS} (rule I5): "
            f"remove {len(value) - MAX_BLAST_AGENTS}",
            code="too_many_agents",
        )
    ids = tuple(_agent(v, where, agents) for v in value)
    if len(set(ids)) != len(ids):
        raise invalid_field(where, "lists an agent twice; list each agent once")
    return ids


def _agent(value: object, where: str, agents: Container[str] | None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_field(where, "is missing: give an agent id such as usr_...")
    if agents is not None and value not in agents:
        raise invalid_field(where, f"no user {value!r} in your organisation; see GET /v1/users")
    return value


def _max_calls(value: object) -> int:
    if value is None:
        return DEFAULT_MAX_CONCURRENT_CALLS
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_field("max_concurrent_calls", f"{value!r} is not a whole number")
    if not 1 <= value <= MAX_CONCURRENT_CALLS_LIMIT:
        raise invalid_field(
            "max_concurrent_calls", f"give 1 to {MAX_CONCURRENT_CALLS_LIMIT} (rule I10)"
        )
    return value


def _label(value: object, where: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise invalid_field(where, "is missing: give the rule a name, e.g. Evenings")
        return None
    if not isinstance(value, str) or len(value.strip()) > 100:
        raise invalid_field(where, "give a text of at most 100 characters")
    return value.strip()


def _clock(value: object, where: str) -> time:
    if not isinstance(value, str) or not _CLOCK.fullmatch(value):
        raise invalid_field(where, f"{value!r} is not a time; use HH:MM such as 09:00")
    return time.fromisoformat(value)


def _mapping(data: object, what: str, where: str) -> Mapping[str, object]:
    if not isinstance(data, Mapping):
        raise invalid_field(where or what, f"give the {what} as a JSON object")
    return data


def _known_fields(body: Mapping[str, object], allowed: Sequence[str], where: str) -> None:
    for key in body:
        if key not in allowed:
            raise invalid_field(
                f"{where}.{key}" if where else str(key),
                f"is not a field here; use {', '.join(allowed)}",
            )


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


def _moment(minute: int) -> str:
    day, rest = divmod(minute, _DAY)
    return f"{WEEKDAYS[day]} {rest // 60:02d}:{rest % 60:02d}"

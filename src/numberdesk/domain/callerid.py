"""Outbound caller ID (rules O1-O7): which of our numbers the callee sees.

``decide`` is a pure function over an in-memory ``Snapshot`` of the org (numbers by area
code and region, campaigns, agent cards) and the day's ``Usage``: no I/O, no queries. Its
``trace`` explains every step tried, which is what support reads when a customer asks
"why did my customer see this number?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.errors import Forbidden, invalid_field


class Step(StrEnum):
    """One step of a caller-ID policy (O3)."""

    LOCAL_PRESENCE = "local_presence"
    NEARBY = "nearby"
    AGENT = "agent"
    CAMPAIGN = "campaign"
    PERSONAL = "personal"
    COMPANY = "company"
    ORGANISATION = "organisation"
    REQUESTED = "requested"  # not a policy step: the caller asked for a caller ID (O2)


POLICY_STEPS = tuple(s for s in Step if s is not Step.REQUESTED)


def check_policy(steps: list[str], field: str = "caller_id_policy") -> list[str]:
    """A policy is a non-empty list of known steps, each at most once (O3)."""
    if not steps:
        raise invalid_field(field, 'give at least one step, e.g. ["local_presence", "agent"]')
    known = {s.value for s in POLICY_STEPS}
    seen: set[str] = set()
    for step in steps:
        if step not in known:
            raise invalid_field(
                field, f"{step!r} is not a step; use some of {', '.join(s for s in POLICY_STEPS)}"
            )
        if step in seen:
            raise invalid_field(field, f"{step!r} is listed twice; list each step once")
        seen.add(step)
    return list(steps)


@dataclass(frozen=True)
class Candidate:
    """A number as the decision sees it. ``unusable`` says why it can never be chosen (O4)."""

    id: str
    e164: str
    country: str
    area_codes: tuple[str, ...]  # its own first, then the mapped ones
    region: str | None
    masked: bool
    unusable: str | None = None  # e.g. "suspended", "cannot make calls", "needs an address"
    rested_until: datetime | None = None
    display_name: str | None = None
    mandate_ends: datetime | None = None  # the mandate it depends on runs out then (C3)


@dataclass(frozen=True)
class AgentCard:
    """What an agent's card says about outbound calls."""

    id: str
    caller_id: str | None = None
    personal_number_id: str | None = None
    company_number_id: str | None = None


@dataclass(frozen=True)
class CampaignPlan:
    """A campaign's numbers (direct, then through groups), policy and options."""

    id: str
    number_ids: tuple[str, ...]
    policy: tuple[str, ...] | None = None
    daily_cap: int | None = None
    sticky: bool = True


@dataclass(frozen=True)
class Snapshot:
    """Everything the decision reads about one org, indexed for the call path."""

    numbers: Mapping[str, Candidate]
    by_e164: Mapping[str, str]
    by_area_code: Mapping[tuple[str, str], tuple[str, ...]]  # (country, area code) -> ids
    by_region: Mapping[tuple[str, str], tuple[str, ...]]  # (country, region) -> ids
    agents: Mapping[str, AgentCard]
    campaigns: Mapping[str, CampaignPlan]
    policy: tuple[str, ...]
    default_caller_id: str | None = None
    daily_cap: int | None = None


@dataclass(frozen=True)
class Usage:
    """Today's use of the numbers, and the number this callee was last shown (O5)."""

    calls_today: Mapping[str, int] = field(default_factory=dict)
    last_used: Mapping[str, datetime] = field(default_factory=dict)
    last_shown_to_callee: str | None = None


@dataclass(frozen=True)
class Callee:
    """The person we call: E.164, country, national significant number, region."""

    e164: str
    country: str
    national: str
    region: str | None


@dataclass(frozen=True)
class Call:
    """One outbound call to decide (O1)."""

    agent: AgentCard
    callee: Callee
    campaign: CampaignPlan | None = None
    requested: str | None = None  # a requested caller ID, E.164


@dataclass(frozen=True)
class TraceEntry:
    """One step tried: chosen, skipped (candidates, none usable) or no_match (no candidates)."""

    step: str
    result: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """The chosen number (None: nothing eligible), its step, the eligible pool it was chosen
    from, and the trace."""

    number: Candidate | None
    step: str | None
    pool: tuple[Candidate, ...]
    trace: tuple[TraceEntry, ...]


Tier = tuple[str, tuple[str, ...]]  # (what these candidates are, their ids)


def decide(snapshot: Snapshot, usage: Usage, call: Call, now: datetime) -> Decision:
    """Walk the policy; the first step with an eligible number chooses (O1, O3-O5)."""
    campaign = call.campaign
    cap = (campaign.daily_cap if campaign else None) or snapshot.daily_cap
    sticky = campaign.sticky if campaign else True
    if call.requested:
        chosen = requested_caller_id(snapshot, usage, call, cap, now)
        label = "asked for, and the agent may use it"
        entry = TraceEntry(Step.REQUESTED, "chosen", f"{chosen.e164}: {label}")
        return Decision(chosen, Step.REQUESTED, (chosen,), (entry,))
    policy = (campaign.policy if campaign else None) or snapshot.policy
    trace: list[TraceEntry] = []
    for step in policy:
        tiers = _tiers(Step(step), snapshot, call)
        if not any(ids for _, ids in tiers):
            trace.append(TraceEntry(step, "no_match", _nothing_for(Step(step), call)))
            continue
        refusals: list[str] = []
        for label, ids in tiers:
            eligible, why_not = _eligible(snapshot, ids, usage, cap, now)
            if eligible:
                pool = tuple(eligible)
                number = choose(pool, usage, sticky=sticky)
                trace.append(TraceEntry(step, "chosen", f"{number.e164}: {label}"))
                return Decision(number, step, pool, tuple(trace))
            refusals += why_not
        trace.append(TraceEntry(step, "skipped", "; ".join(dict.fromkeys(refusals))))
    return Decision(None, None, (), tuple(trace))


def choose(pool: tuple[Candidate, ...], usage: Usage, *, sticky: bool) -> Candidate:
    """Sticky first (the number this callee last saw), else least used today, then least
    recently used (O5)."""
    if sticky and usage.last_shown_to_callee:
        for candidate in pool:
            if candidate.id == usage.last_shown_to_callee:
                return candidate

    def rank(c: Candidate) -> tuple[int, float, str]:
        last = usage.last_used.get(c.id)
        return (usage.calls_today.get(c.id, 0), last.timestamp() if last else 0.0, c.id)

    return min(pool, key=rank)


def requested_caller_id(
    snapshot: Snapshot, usage: Usage, call: Call, cap: int | None, now: datetime
) -> Candidate:
    """A requested caller ID is used only if the agent may use it and it is eligible (O2)."""
    number_id = snapshot.by_e164.get(call.requested or "")
    allowed = _allowed_ids(snapshot, call)
    if number_id is None or number_id not in allowed:
        raise Forbidden(
            "caller_id_not_allowed",
            f"{call.requested} is not a caller ID this agent may use (rule O2): use the agent's "
            "caller ID, personal or company number, a number of the campaign, or the "
            "organisation's default.",
        )
    eligible, why_not = _eligible(snapshot, (number_id,), usage, cap, now)
    if not eligible:
        raise Forbidden(
            "caller_id_not_allowed",
            f"{why_not[0]} (rule O4); leave caller_id out to let the policy choose.",
        )
    return eligible[0]


def _allowed_ids(snapshot: Snapshot, call: Call) -> set[str]:
    agent = call.agent
    ids = {agent.personal_number_id, agent.company_number_id}
    ids.add(snapshot.by_e164.get(agent.caller_id or ""))
    ids.add(snapshot.by_e164.get(snapshot.default_caller_id or ""))
    ids.update(call.campaign.number_ids if call.campaign else ())
    return {i for i in ids if i}


def _eligible(
    snapshot: Snapshot, ids: Iterable[str], usage: Usage, cap: int | None, now: datetime
) -> tuple[list[Candidate], list[str]]:
    """Active, voice out, compliant, not resting, under its daily cap (O4)."""
    eligible: list[Candidate] = []
    why_not: list[str] = []
    for number_id in ids:
        c = snapshot.numbers.get(number_id)
        if c is None:
            continue
        if c.unusable:
            why_not.append(f"{c.e164} {c.unusable}")
        elif c.mandate_ends and c.mandate_ends <= now:
            why_not.append(f"{c.e164} depends on a mandate that ran out (rule C3)")
        elif c.rested_until and c.rested_until > now:
            why_not.append(f"{c.e164} is resting until {c.rested_until:%Y-%m-%d %H:%M} UTC")
        elif cap is not None and usage.calls_today.get(c.id, 0) >= cap:
            why_not.append(f"{c.e164} reached its daily cap of {cap} calls")
        else:
            eligible.append(c)
    return eligible, why_not


def _local_tiers(snapshot: Snapshot, call: Call) -> list[Tier]:
    """Longest area-code match first; in each: the agent's caller ID, the campaign's, the org's."""
    callee = call.callee
    agent_id = snapshot.by_e164.get(call.agent.caller_id or "")
    campaign_ids = set(call.campaign.number_ids) if call.campaign else set()
    tiers: list[Tier] = []
    for length in range(min(len(callee.national), 6), 0, -1):
        code = callee.national[:length]
        ids = snapshot.by_area_code.get((callee.country, code), ())
        if not ids:
            continue
        tiers.append(
            (
                f"the agent's caller ID covers area code {code}",
                (agent_id,) if agent_id in ids else (),
            )
        )
        tiers.append(
            (
                f"a campaign number covers area code {code}",
                tuple(i for i in ids if i in campaign_ids),
            )
        )
        tiers.append((f"an organisation number covers area code {code}", ids))
    return tiers


def _tiers(step: Step, snapshot: Snapshot, call: Call) -> list[Tier]:
    agent, campaign, callee = call.agent, call.campaign, call.callee
    if step is Step.LOCAL_PRESENCE:
        return _local_tiers(snapshot, call)
    if step is Step.NEARBY:
        ids = snapshot.by_region.get((callee.country, callee.region or ""), ())
        mine = set(campaign.number_ids) if campaign else set()
        where = f"in {callee.region}"
        return [
            (f"a campaign number {where}", tuple(i for i in ids if i in mine)),
            (f"an organisation number {where}", ids),
        ]
    if step is Step.CAMPAIGN:
        ids = campaign.number_ids if campaign else ()
        home = tuple(i for i in ids if snapshot.numbers[i].country == callee.country)
        return [(f"a campaign number in {callee.country}", home), ("a campaign number", ids)]
    single = {
        Step.AGENT: ("the agent's caller ID", snapshot.by_e164.get(agent.caller_id or "")),
        Step.PERSONAL: ("the agent's personal number", agent.personal_number_id),
        Step.COMPANY: ("the agent's company number", agent.company_number_id),
        Step.ORGANISATION: (
            "the organisation's default caller ID",
            snapshot.by_e164.get(snapshot.default_caller_id or ""),
        ),
    }[step]
    return [(single[0], (single[1],) if single[1] else ())]


def _nothing_for(step: Step, call: Call) -> str:
    callee = call.callee
    return {
        Step.LOCAL_PRESENCE: f"no number covers the area code of {callee.e164}",
        Step.NEARBY: f"no number in {callee.region or 'an unknown region'}",
        Step.AGENT: "the agent's card has no caller ID",
        Step.CAMPAIGN: "no campaign" if call.campaign is None else "the campaign has no numbers",
        Step.PERSONAL: "the agent has no personal number",
        Step.COMPANY: "the agent has no company number",
        Step.ORGANISATION: "the organisation has no default caller ID",
    }[step]

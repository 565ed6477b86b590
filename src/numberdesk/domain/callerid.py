"""Outbound caller ID (rules O1-O7): which of our numbers the callee sees.

``decide`` is a pure function over the org's ``Snapshot`` (``domain/callerid_index``) and the
call's ``Usage``: no I/O, no queries. Its ``trace`` explains every step tried, which is what
support reads when a customer asks "why did my customer see this number?".

Choosing among several (O5): the number this callee was last shown, if it is in the pool and
still eligible (unless the campaign turns that off); else the pool's numbers take turns in a
fixed order, the turn counted in the database across every process. Calls made by turns keep
the pool even (each number within one call of the others); but a number also used outside
its pool's turns (a sticky or requested caller ID, another pool) is not passed over, so the
next in turn is not always the one used least today as O5 asks. That gap is known and tested
(``test_a_new_callee_sees_the_number_used_least_today_and_least_recently_o5``, xfail).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.callerid_index import (
    EMPTY,
    AgentCard,
    CampaignPlan,
    Candidate,
    Pool,
    Snapshot,
    build_snapshot,
)
from numberdesk.domain.errors import Forbidden, invalid_field

__all__ = ["AgentCard", "CampaignPlan", "Candidate", "Pool", "Snapshot", "build_snapshot"]


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
MOST_REASONS = 5  # a skipped step names this many refused numbers, then counts the rest


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
class Usage:
    """What the decision knows of use: the pools' turns (by pool key), calls today of numbers
    known to be at their cap, and the number this callee was last shown (O5, O6)."""

    turns: dict[str, int] = field(default_factory=dict)
    calls_today: dict[str, int] = field(default_factory=dict)
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
    """The chosen number (None: nothing eligible), its step, and the trace. ``turn`` is the
    key of the pool whose turn chose it (None when sticky or alone in its pool)."""

    number: Candidate | None
    step: str | None
    trace: tuple[TraceEntry, ...]
    turn: str | None = None
    pool_size: int = 0


@dataclass(frozen=True)
class Tier:
    """Candidates of one step in one order of preference: what they are, their pool, and the
    key its turns are counted under."""

    label: str
    pool: Pool
    key: str


def decide(snapshot: Snapshot, usage: Usage, call: Call, now: datetime) -> Decision:
    """Walk the policy; the first step with an eligible number chooses (O1, O3-O5)."""
    campaign = call.campaign
    cap = (campaign.daily_cap if campaign else None) or snapshot.daily_cap
    if call.requested:
        chosen = requested_caller_id(snapshot, usage, call, cap, now)
        entry = TraceEntry(Step.REQUESTED, "chosen", f"{chosen.e164}: asked for, and allowed")
        return Decision(chosen, Step.REQUESTED, (entry,), None, 1)
    sticky = campaign.sticky if campaign else True
    policy = (campaign.policy if campaign else None) or snapshot.policy
    trace: list[TraceEntry] = []
    for step in policy:
        tiers = [t for t in _tiers(Step(step), snapshot, call) if t.pool]
        if not tiers:
            trace.append(TraceEntry(step, "no_match", _nothing_for(Step(step), call)))
            continue
        for tier in tiers:
            number, turn = choose(snapshot, tier, usage, cap, now, sticky=sticky)
            if number is not None:
                trace.append(TraceEntry(step, "chosen", f"{number.e164}: {tier.label}"))
                return Decision(number, step, tuple(trace), turn, len(tier.pool.usable))
        trace.append(TraceEntry(step, "skipped", _refusals(snapshot, tiers, usage, cap, now)))
    return Decision(None, None, tuple(trace))


def choose(
    snapshot: Snapshot, tier: Tier, usage: Usage, cap: int | None, now: datetime, *, sticky: bool
) -> tuple[Candidate | None, str | None]:
    """The callee's last caller ID if it is in the pool and eligible (sticky); else the first
    eligible number from the pool's turn onwards, and the pool key when its turn chose (O5)."""
    last = usage.last_shown_to_callee
    if sticky and last:
        number = tier.pool.members.get(last)
        if number is not None and why_not(number, usage, cap, now) is None:
            return number, None
    pool = tier.pool.usable
    start = usage.turns.get(tier.key, 0)
    for offset in range(len(pool)):
        number = pool[(start + offset) % len(pool)]
        if why_not(number, usage, cap, now) is None:
            return number, (tier.key if len(pool) > 1 else None)
    return None, None


def why_not(c: Candidate, usage: Usage, cap: int | None, now: datetime) -> str | None:
    """Why the number may not be shown now, or None: active, voice out, compliant, not
    resting, under its daily cap (O4)."""
    if c.unusable:
        return f"{c.e164} {c.unusable}"
    if c.mandate_ends and c.mandate_ends <= now:
        return f"{c.e164} depends on a mandate that ran out (rule C3)"
    if c.rested_until and c.rested_until > now:
        return f"{c.e164} is resting until {c.rested_until:%Y-%m-%d %H:%M} UTC"
    if cap is not None and usage.calls_today.get(c.id, 0) >= cap:
        return f"{c.e164} reached its daily cap of {cap} calls"
    return None


def requested_caller_id(
    snapshot: Snapshot, usage: Usage, call: Call, cap: int | None, now: datetime
) -> Candidate:
    """A requested caller ID is used only if the agent may use it and it is eligible (O2)."""
    number_id = snapshot.by_e164.get(call.requested or "")
    if number_id is None or not _may_use(snapshot, call, number_id):
        raise Forbidden(
            "caller_id_not_allowed",
            f"{call.requested} is not a caller ID this agent may use (rule O2): use the agent's "
            "caller ID, personal or company number, a number of the campaign, or the "
            "organisation's default.",
        )
    number = snapshot.numbers[number_id]
    refused = why_not(number, usage, cap, now)
    if refused:
        raise Forbidden(
            "caller_id_not_allowed",
            f"{refused} (rule O4); leave caller_id out to let the policy choose.",
        )
    return number


def _may_use(snapshot: Snapshot, call: Call, number_id: str) -> bool:
    agent, campaign = call.agent, call.campaign
    own = {agent.personal_number_id, agent.company_number_id}
    own.add(snapshot.by_e164.get(agent.caller_id or ""))
    own.add(snapshot.by_e164.get(snapshot.default_caller_id or ""))
    return number_id in own or (campaign is not None and number_id in campaign.number_ids)


def _refusals(
    snapshot: Snapshot, tiers: list[Tier], usage: Usage, cap: int | None, now: datetime
) -> str:
    """Why no number of these tiers could be shown: the first few, then how many more."""
    reasons: dict[str, None] = {}
    for tier in tiers:
        for number in tier.pool.usable + tier.pool.unusable:
            refused = why_not(number, usage, cap, now)
            if refused:
                reasons[refused] = None
    named = list(reasons)[:MOST_REASONS]
    more = len(reasons) - len(named)
    return "; ".join(named) + (f"; and {more} more numbers not usable" if more else "")


def _local_tiers(snapshot: Snapshot, call: Call) -> list[Tier]:
    """Longest area-code match first; in each: the agent's caller ID, the campaign's, the org's."""
    callee, campaign = call.callee, call.campaign
    agent_number = snapshot.numbers.get(snapshot.by_e164.get(call.agent.caller_id or "", ""))
    mine = snapshot.campaign_pools(campaign).by_area_code if campaign else {}
    tiers: list[Tier] = []
    for length in range(min(len(callee.national), 6), 0, -1):
        key = (callee.country, callee.national[:length])
        org_pool = snapshot.by_area_code.get(key)
        if not org_pool:
            continue
        code = key[1]
        if agent_number and key == (agent_number.country, code) and code in agent_number.area_codes:
            tiers.append(_one(f"the agent's caller ID covers area code {code}", agent_number))
        if campaign:
            tiers.append(
                Tier(
                    f"a campaign number covers area code {code}",
                    mine.get(key, EMPTY),
                    f"local:{campaign.id}:{key[0]}:{code}",
                )
            )
        where = f"local:{key[0]}:{code}"
        tiers.append(Tier(f"an organisation number covers area code {code}", org_pool, where))
    return tiers


def _tiers(step: Step, snapshot: Snapshot, call: Call) -> list[Tier]:
    agent, campaign, callee = call.agent, call.campaign, call.callee
    if step is Step.LOCAL_PRESENCE:
        return _local_tiers(snapshot, call)
    if step is Step.NEARBY:
        key = (callee.country, callee.region or "")
        where = f"in {callee.region}"
        tiers = [
            Tier(
                f"an organisation number {where}",
                snapshot.by_region.get(key, EMPTY),
                f"near:{key[0]}:{key[1]}",
            )
        ]
        if campaign:
            mine = snapshot.campaign_pools(campaign).by_region.get(key, EMPTY)
            tiers.insert(
                0, Tier(f"a campaign number {where}", mine, f"near:{campaign.id}:{key[0]}:{key[1]}")
            )
        return tiers
    if step is Step.CAMPAIGN:
        if campaign is None:
            return []
        pools = snapshot.campaign_pools(campaign)
        home = pools.by_country.get(callee.country, EMPTY)
        return [
            Tier(
                f"a campaign number in {callee.country}",
                home,
                f"campaign:{campaign.id}:{callee.country}",
            ),
            Tier("a campaign number", pools.every, f"campaign:{campaign.id}"),
        ]
    label, number_id = {
        Step.AGENT: ("the agent's caller ID", snapshot.by_e164.get(agent.caller_id or "")),
        Step.PERSONAL: ("the agent's personal number", agent.personal_number_id),
        Step.COMPANY: ("the agent's company number", agent.company_number_id),
        Step.ORGANISATION: (
            "the organisation's default caller ID",
            snapshot.by_e164.get(snapshot.default_caller_id or ""),
        ),
    }[step]
    number = snapshot.numbers.get(number_id or "")
    return [_one(label, number)] if number else []


def _one(label: str, number: Candidate) -> Tier:
    """A tier of one number (the agent's caller ID, personal, company, the org default)."""
    return Tier(label, Pool((number,)), f"one:{number.id}")


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

"""Outbound caller ID (rules O1-O7): which of our numbers the callee sees.

``decide`` is a pure function over the org's ``Snapshot`` (``domain/callerid_index``) and the
call's ``Usage``: no I/O, no queries. Its ``trace`` explains every step tried, which is what
support reads when a customer asks "why did my customer see this number?".

Choosing among several (O5): the number this callee was last shown, if it is in the pool and
still eligible (unless the campaign turns that off); else the pool's eligible number used
least today, then least recently. Use is counted in the database, across every process, so
the decision does not compute that pick itself: it returns a ``Decision`` that ``asks`` for
the pool's pick, and is called again with the answer in ``Usage.picks`` and that decision,
going on from where it stopped. The rule the store's indexed pick follows is
``callerid_picks.least_used``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from numberdesk.domain.callerid_index import (
    AgentCard,
    CampaignPlan,
    Candidate,
    Pool,
    Snapshot,
    build_snapshot,
)
from numberdesk.domain.callerid_tiers import (
    POLICY_STEPS,
    Call,
    Callee,
    Step,
    Tier,
    check_policy,
    nothing_for,
    tiers_of,
)
from numberdesk.domain.errors import Forbidden
from numberdesk.domain.trace import TraceEntry

__all__ = [
    "POLICY_STEPS",
    "AgentCard",
    "Call",
    "Callee",
    "CampaignPlan",
    "Candidate",
    "Pool",
    "Snapshot",
    "Step",
    "Tier",
    "build_snapshot",
    "check_policy",
]


MOST_REASONS = 5  # a skipped step names this many refused numbers, then counts the rest


@dataclass(frozen=True)
class Usage:
    """What the decision knows of use: the pools' picks (by pool key: the eligible number
    used least today, then least recently; None when none is eligible), calls today of
    numbers known to be at their cap, and the number this callee was last shown (O5, O6)."""

    picks: dict[str, str | None] = field(default_factory=dict)
    calls_today: dict[str, int] = field(default_factory=dict)
    last_shown_to_callee: str | None = None


class Stop(NamedTuple):
    """Where a decision that asks for a pick stopped: the step's place in the policy, the
    step's tiers and the place of the one that asks. Given the pick, the walk goes on from
    there rather than from the first step again."""

    step: int
    tiers: tuple[Tier, ...]
    tier: int


class Decision(NamedTuple):
    """The chosen number (None: nothing eligible, or a pick to ask for), its step, and the
    trace. ``asks``: the tier whose pool must pick (O5) before the decision can go on;
    ``picked``: the key of the pool whose pick chose the number (None when sticky or alone).
    A named tuple, as ``domain.trace.TraceEntry``: made once or twice a call, faster than a
    frozen dataclass."""

    number: Candidate | None
    step: str | None
    trace: tuple[TraceEntry, ...]
    picked: str | None = None
    asks: Tier | None = None
    stopped: Stop | None = None


def decide(
    snapshot: Snapshot, usage: Usage, call: Call, now: datetime, asked: Decision | None = None
) -> Decision:
    """Walk the policy; the first step with an eligible number chooses (O1, O3-O5). ``asked``:
    this call's last decision; if it asked for a pick, now in ``usage.picks``, the walk goes on
    from where it stopped (what came before chose nothing, and a pick does not change that)."""
    cap = daily_cap(snapshot, call)
    if call.requested:
        wanted = requested_caller_id(snapshot, usage, call, cap, now)
        entry = TraceEntry(Step.REQUESTED, "chosen", f"{wanted.e164}: asked for, and allowed")
        return Decision(wanted, Step.REQUESTED, (entry,))
    stop = asked.stopped if asked else None
    trace = list(asked.trace) if asked and stop else []
    sticky = is_sticky(call)
    policy = policy_of(snapshot, call.campaign)
    for place in range(stop.step if stop else 0, len(policy)):
        step = policy[place]
        if stop and place == stop.step:
            tiers, first = stop.tiers, stop.tier
        else:
            tiers, first = tuple(t for t in tiers_of(step, snapshot, call) if t.pool), 0
        if not tiers:
            trace.append(TraceEntry(step, "no_match", nothing_for(step, call)))
            continue
        for at in range(first, len(tiers)):
            tier = tiers[at]
            chosen = choose(tier, usage, cap, now, sticky=sticky)
            if isinstance(chosen, Tier):
                return Decision(None, step, tuple(trace), asks=tier, stopped=Stop(place, tiers, at))
            if chosen is not None:
                picked = tier.key if tier.key in usage.picks else None
                why = f"{chosen.e164}: {tier.label}"
                if sticky and chosen.id == usage.last_shown_to_callee and len(tier.pool.usable) > 1:
                    why += "; the number this callee was shown last time (O5)"
                trace.append(TraceEntry(step, "chosen", why))
                return Decision(chosen, step, tuple(trace), picked)
        trace.append(TraceEntry(step, "skipped", _refusals(tiers, usage, cap, now)))
    return Decision(None, None, tuple(trace))


def policy_of(snapshot: Snapshot, campaign: CampaignPlan | None) -> tuple[str, ...]:
    """The steps a call follows: its campaign's policy, else the org's (O3)."""
    return (campaign.policy if campaign else None) or snapshot.policy


def is_sticky(call: Call) -> bool:
    """Whether the callee sees the number they were shown last time, if still eligible: yes,
    unless the call's campaign turns it off (O5)."""
    return call.campaign.sticky if call.campaign else True


def daily_cap(snapshot: Snapshot, call: Call) -> int | None:
    """The calls a number may make today on this call's behalf: the campaign's cap, else the
    org's (O6)."""
    return (call.campaign.daily_cap if call.campaign else None) or snapshot.daily_cap


def choose(
    tier: Tier, usage: Usage, cap: int | None, now: datetime, *, sticky: bool
) -> Candidate | Tier | None:
    """The callee's last caller ID if it is in the pool and eligible (sticky); else the
    pool's pick (the tier itself while the pick is still to be asked for); a number alone in
    its pool needs no pick (O5)."""
    pool = tier.pool
    last = usage.last_shown_to_callee
    if sticky and last:
        number = pool.members.get(last)
        if number is not None and why_not(number, usage, cap, now) is None:
            return number
    if len(pool.usable) == 1:
        alone = pool.usable[0]
        return alone if why_not(alone, usage, cap, now) is None else None
    if tier.key not in usage.picks:
        return tier if pool.usable else None
    number = pool.members.get(usage.picks[tier.key] or "")
    return number if number is not None and why_not(number, usage, cap, now) is None else None


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
    number = snapshot.by_e164.get(call.requested or "")
    if number is None or not _may_use(snapshot, call, number.id):
        raise Forbidden(
            "caller_id_not_allowed",
            f"{call.requested} is not a caller ID this agent may use (rule O2): use the agent's "
            "caller ID, personal or company number, a number of the campaign, or the "
            "organisation's default.",
        )
    refused = why_not(number, usage, cap, now)
    if refused:
        raise Forbidden(
            "caller_id_not_allowed",
            f"{refused} (rule O4); leave caller_id out to let the policy choose.",
        )
    return number


def _may_use(snapshot: Snapshot, call: Call, number_id: str) -> bool:
    agent, campaign = call.agent, call.campaign
    caller_id, default = snapshot.by_e164.get(agent.caller_id or ""), snapshot.default_number
    own = {agent.personal_number_id, agent.company_number_id}
    own.update(c.id for c in (caller_id, default) if c)
    return number_id in own or (campaign is not None and number_id in campaign.number_ids)


def _refusals(tiers: tuple[Tier, ...], usage: Usage, cap: int | None, now: datetime) -> str:
    """Why no number of these tiers could be shown: the first few, then how many more."""
    reasons: dict[str, None] = {}
    for tier in tiers:
        if cap is not None and tier.key in usage.picks and usage.picks[tier.key] is None:
            reasons[f"{tier.label}: every other one reached its daily cap of {cap} calls"] = None
        for number in tier.pool.usable + tier.pool.unusable:
            refused = why_not(number, usage, cap, now)
            if refused:
                reasons[refused] = None
    named = list(reasons)[:MOST_REASONS]
    more = len(reasons) - len(named)
    return "; ".join(named) + (f"; and {more} more numbers not usable" if more else "")

"""Outbound caller ID (rules O1-O7): which of our numbers the callee sees.

``deciding`` (and ``decide``) is a pure function over the org's ``Snapshot``
(``domain/callerid_index``) and the call's ``Usage``: no I/O, no queries. Its ``trace``
explains every step tried, which is what support reads when a customer asks "why did my
customer see this number?".

Choosing among several (O5): the number this callee was last shown, if it is in the pool and
still eligible (unless the campaign turns that off); else the pool's eligible number used
least today, then least recently. Use is counted in the database, across every process, so
the decision does not compute that pick itself: ``deciding`` asks for the pool's pick (it
yields an ``Ask``) and goes on with the answer, from where it stopped; ``decide`` is the same
walk on the picks ``Usage.picks`` holds. The rule the store's indexed pick follows is
``callerid_picks.least_used``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from numberdesk.domain.callerid_index import (
    AgentCard,
    AgentNumbers,
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
    "AgentNumbers",
    "Ask",
    "Call",
    "Callee",
    "CampaignPlan",
    "Candidate",
    "Picked",
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


class Decision(NamedTuple):
    """The chosen number (None: nothing eligible, or a pick to ask for), its step, and the
    trace. ``asks``: the tier whose pool must pick (O5) before ``decide`` can go on;
    ``picked``: the key of the pool whose pick chose the number (None when sticky or alone).
    A named tuple, as ``domain.trace.TraceEntry``: made once a call, faster than a frozen
    dataclass."""

    number: Candidate | None
    step: str | None
    trace: tuple[TraceEntry, ...]
    picked: str | None = None
    asks: Tier | None = None


class Ask(NamedTuple):
    """A pool of several numbers must choose (O5): its tier, of this step of the policy."""

    step: str
    tier: Tier


class Picked(NamedTuple):
    """What a pool chose (O5): the number (None: none of its numbers is eligible), and whether
    it is the number the callee was shown last time (the call is sticky)."""

    number_id: str | None
    last_shown: bool = False


def decide(snapshot: Snapshot, usage: Usage, call: Call, now: datetime) -> Decision:
    """The decision (``deciding``) with the picks ``usage`` holds; one that needs another
    pool's pick ``asks`` for it instead (its number None)."""
    walk = deciding(snapshot, usage, call, now)
    try:
        step, tier = next(walk)
    except StopIteration as walked:
        decision: Decision = walked.value
        return decision
    walk.close()
    return Decision(None, step, (), asks=tier)


def deciding(
    snapshot: Snapshot, usage: Usage, call: Call, now: datetime
) -> Generator[Ask, Picked, Decision]:
    """Walk the policy; the first step with an eligible number chooses (O1, O3-O5). Where a
    pool of several numbers must choose and ``usage.picks`` has no pick for it, ``Ask`` for it
    and go on with the answer (the database chooses, counting use across processes: see the
    module)."""
    cap = daily_cap(snapshot, call)
    if call.requested:
        wanted = requested_caller_id(snapshot, usage, call, cap, now)
        entry = TraceEntry(Step.REQUESTED, "chosen", f"{wanted.e164}: asked for, and allowed")
        return Decision(wanted, Step.REQUESTED, (entry,))
    trace: list[TraceEntry] = []
    sticky = is_sticky(call)
    last, picks = usage.last_shown_to_callee, usage.picks
    for step in policy_of(snapshot, call.campaign):
        tiers = [t for t in tiers_of(step, snapshot, call) if t.pool]
        if not tiers:
            trace.append(TraceEntry(step, "no_match", nothing_for(step, call)))
            continue
        for tier in tiers:
            chosen = choose(tier, usage, picks, cap, now, sticky=sticky)
            if isinstance(chosen, Tier):
                picked = yield Ask(step, tier)
                picks = {**picks, tier.key: picked.number_id}
                last = picked.number_id if picked.last_shown else last
                chosen = _eligible(tier.pool, picked.number_id, usage, cap, now)
            if chosen is not None:
                why = f"{chosen.e164}: {tier.label}"
                if sticky and chosen.id == last and len(tier.pool.usable) > 1:
                    why += "; the number this callee was shown last time (O5)"
                trace.append(TraceEntry(step, "chosen", why))
                picked_in = tier.key if tier.key in picks else None
                return Decision(chosen, step, tuple(trace), picked_in)
        trace.append(TraceEntry(step, "skipped", _refusals(tiers, usage, picks, cap, now)))
    return Decision(None, None, tuple(trace))


def answered(walk: Generator[Ask, Picked, Decision], pick: Callable[[Tier], Picked]) -> Decision:
    """The decision a walk (``deciding``) comes to, each pool it asks about answered by
    ``pick``: tests, tools and benchmarks, which choose in memory."""
    try:
        ask = next(walk)
        while True:
            ask = walk.send(pick(ask.tier))
    except StopIteration as walked:
        decision: Decision = walked.value
        return decision


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
    tier: Tier,
    usage: Usage,
    picks: Mapping[str, str | None],
    cap: int | None,
    now: datetime,
    *,
    sticky: bool,
) -> Candidate | Tier | None:
    """The callee's last caller ID if it is in the pool and eligible (sticky); else the
    pool's pick in ``picks`` (the tier itself while the pick is still to be asked for); a
    number alone in its pool needs no pick (O5)."""
    pool = tier.pool
    last = usage.last_shown_to_callee
    if sticky and last:
        number = pool.members.get(last)
        if number is not None and why_not(number, usage, cap, now) is None:
            return number
    if len(pool.usable) == 1:
        alone = pool.usable[0]
        return alone if why_not(alone, usage, cap, now) is None else None
    if tier.key not in picks:
        return tier if pool.usable else None
    return _eligible(pool, picks[tier.key], usage, cap, now)


def _eligible(
    pool: Pool, number_id: str | None, usage: Usage, cap: int | None, now: datetime
) -> Candidate | None:
    """The pool's number ``number_id`` (its pick), if it may be shown now (O4)."""
    number = pool.members.get(number_id or "")
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
    own = (agent.caller_number, agent.personal_number, agent.company_number)
    if any(c is not None and c.id == number_id for c in (*own, snapshot.default_number)):
        return True
    return campaign is not None and number_id in campaign.number_ids


def _refusals(
    tiers: list[Tier],
    usage: Usage,
    picks: Mapping[str, str | None],
    cap: int | None,
    now: datetime,
) -> str:
    """Why no number of these tiers could be shown: the first few, then how many more."""
    reasons: dict[str, None] = {}
    for tier in tiers:
        if cap is not None and tier.key in picks and picks[tier.key] is None:
            reasons[f"{tier.label}: every other one reached its daily cap of {cap} calls"] = None
        for number in tier.pool.usable + tier.pool.unusable:
            refused = why_not(number, usage, cap, now)
            if refused:
                reasons[refused] = None
    named = list(reasons)[:MOST_REASONS]
    more = len(reasons) - len(named)
    return "; ".join(named) + (f"; and {more} more numbers not usable" if more else "")

"""Refreshing the caller-ID index (rules O3-O5) after a change instead of building it whole:
the changed numbers are put in place and only the pools that hold one are grouped again, so a
change to one number of a million costs milliseconds, and the result is the index a whole
build would make (``tests/unit/test_callerid_refresh.py`` compares them)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import replace
from typing import TypeVar

from numberdesk.domain.callerid_index import (
    EMPTY,
    AgentNumbers,
    CampaignPlan,
    Candidate,
    Pool,
    Snapshot,
    area_keys,
    card_of,
    planned,
    pool_of,
    region_keys,
)

K = TypeVar("K", bound=Hashable)


def refreshed(
    snapshot: Snapshot,
    changed: Mapping[str, Candidate | None],
    *,
    agents: Iterable[AgentNumbers],
    campaigns: Iterable[CampaignPlan] | None = None,
    policy: tuple[str, ...],
    default_caller_id: str | None = None,
    daily_cap: int | None = None,
) -> Snapshot:
    """``snapshot`` with the ``changed`` numbers as they are now (None: no longer the org's),
    every agent's card found again, and each pool that holds a changed number grouped again;
    ``campaigns``: every campaign as it stands now (None: as they were)."""
    before = [snapshot.numbers[i] for i in changed if i in snapshot.numbers]
    now = [c for c in changed.values() if c is not None]
    by_id = {**snapshot.numbers, **{c.id: c for c in now}}
    for gone in (i for i, c in changed.items() if c is None):
        by_id.pop(gone, None)
    by_e164 = dict(snapshot.by_e164)
    for c in before:
        if by_e164.get(c.e164) is c:
            del by_e164[c.e164]
    by_e164.update((c.e164, c) for c in now)
    return Snapshot(
        numbers=by_id,
        by_e164=by_e164,
        by_area_code=_regrouped(snapshot.by_area_code, changed, before, now, area_keys),
        by_region=_regrouped(snapshot.by_region, changed, before, now, region_keys),
        agents={a.id: card_of(a, by_id, by_e164) for a in agents},
        campaigns=_campaigns(snapshot.campaigns, campaigns, changed, by_id),
        policy=policy,
        default_caller_id=default_caller_id,
        daily_cap=daily_cap,
    )


def _regrouped(
    pools: Mapping[K, Pool],
    changed: Mapping[str, Candidate | None],
    before: list[Candidate],
    now: list[Candidate],
    keys: Callable[[Candidate], Iterable[K]],
) -> dict[K, Pool]:
    """``pools`` with the pool under each key a changed number had or has grouped again."""
    regrouped = dict(pools)
    joining: dict[K, list[Candidate]] = {}
    for c in now:
        for key in keys(c):
            joining.setdefault(key, []).append(c)
    for key in joining.keys() | {key for c in before for key in keys(c)}:
        pool = regrouped.pop(key, EMPTY)
        kept = [c for c in (*pool.usable, *pool.unusable) if c.id not in changed]
        if members := [*kept, *joining.get(key, ())]:
            regrouped[key] = pool_of(members)
    return regrouped


def _campaigns(
    plans: Mapping[str, CampaignPlan],
    now: Iterable[CampaignPlan] | None,
    changed: Mapping[str, Candidate | None],
    by_id: Mapping[str, Candidate],
) -> dict[str, CampaignPlan]:
    """Each campaign's plan, its pools grouped again only when it holds a changed number or
    its numbers changed."""
    plans_now: dict[str, CampaignPlan] = {}
    for plan in plans.values() if now is None else now:
        held = plans.get(plan.id)
        pools = held.pools if held and held.number_ids == plan.number_ids else None
        if pools is not None and changed.keys().isdisjoint(plan.number_ids):
            plans_now[plan.id] = replace(plan, pools=pools)
        else:
            plans_now[plan.id] = planned(plan, by_id)
    return plans_now

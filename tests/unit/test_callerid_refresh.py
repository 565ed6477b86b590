"""Refreshing the caller-ID index after a change (rules O3-O5): the refreshed index is the one
a whole build over the numbers as they now stand would make, so decisions cannot tell them
apart. No database."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace

from numberdesk.domain.callerid_index import (
    AgentNumbers,
    CampaignPlan,
    Candidate,
    Snapshot,
    build_snapshot,
)
from numberdesk.domain.callerid_refresh import refreshed

POLICY = ("local_presence", "nearby", "agent", "campaign", "organisation")
AREAS = {"212": "NY", "718": "NY", "415": "CA", "510": "CA", "312": "IL"}


def number(i: int, area: str, *mapped: str, **kw: object) -> Candidate:
    """A US number in ``area``, covering the ``mapped`` area codes too."""
    e164 = f"+1{area}555{i:04d}"
    return Candidate(f"num_{i:03d}", e164, "US", (area, *mapped), AREAS[area], False, **kw)  # type: ignore[arg-type]


NUMBERS = [number(i, list(AREAS)[i % 5], *(["415"] if i % 7 == 0 else [])) for i in range(40)]
AGENTS = [
    AgentNumbers("usr_1", caller_id=NUMBERS[0].e164),
    AgentNumbers("usr_2", personal_number_id=NUMBERS[3].id, company_number_id="num_900"),
    AgentNumbers("usr_3", caller_id="+13125559999"),  # not the org's (yet)
]
CAMPAIGNS = [
    CampaignPlan("cmp_east", tuple(n.id for n in NUMBERS[:12]), daily_cap=50),
    CampaignPlan("cmp_west", tuple(n.id for n in NUMBERS[20:30]), sticky=False),
]


def built(numbers: list[Candidate], **kw: object) -> Snapshot:
    """The index a whole build makes of ``numbers``."""
    options: dict[str, object] = {"agents": AGENTS, "campaigns": CAMPAIGNS, "policy": POLICY}
    return build_snapshot(numbers, **(options | kw))  # type: ignore[arg-type]


def refresh(held: Snapshot, changed: Mapping[str, Candidate | None], **kw: object) -> Snapshot:
    """``held`` refreshed with ``changed`` as the service refreshes it."""
    options: dict[str, object] = {"agents": AGENTS, "policy": POLICY}
    return refreshed(held, changed, **(options | kw))  # type: ignore[arg-type]


def after(numbers: list[Candidate], changed: Mapping[str, Candidate | None]) -> list[Candidate]:
    """The org's numbers once ``changed`` applies."""
    kept = [n for n in numbers if n.id not in changed]
    return kept + [c for c in changed.values() if c is not None]


def test_a_rested_number_leaves_the_pools_it_could_be_picked_from_o3_o6() -> None:
    rested = replace(NUMBERS[5], unusable="is resting after spam reports")
    fresh = refresh(built(NUMBERS), {rested.id: rested})
    assert fresh == built(after(NUMBERS, {rested.id: rested}))
    assert rested not in fresh.by_area_code[("US", rested.area_codes[0])].usable
    assert rested in fresh.by_area_code[("US", rested.area_codes[0])].unusable


def test_a_released_number_is_gone_from_every_pool_campaign_and_card_o3() -> None:
    gone = {NUMBERS[0].id: None, NUMBERS[3].id: None, NUMBERS[21].id: None}
    fresh = refresh(built(NUMBERS), gone)
    assert fresh == built(after(NUMBERS, gone))
    assert NUMBERS[0].e164 not in fresh.by_e164
    assert fresh.agents["usr_1"].caller_number is None
    assert fresh.agents["usr_2"].personal_number is None


def test_a_bought_number_joins_its_area_codes_pools_and_the_card_that_names_it_o3() -> None:
    bought = number(999, "312", "646")  # a new mapped area code, and usr_3's caller ID
    bought = replace(bought, e164="+13125559999")
    fresh = refresh(built(NUMBERS), {bought.id: bought})
    assert fresh == built(after(NUMBERS, {bought.id: bought}))
    assert fresh.by_area_code[("US", "646")].usable == (bought,)
    assert fresh.agents["usr_3"].caller_number == bought


def test_a_number_moved_to_other_area_codes_leaves_the_old_pools_o3() -> None:
    moved = replace(NUMBERS[7], area_codes=("510",), region="CA")
    fresh = refresh(built(NUMBERS), {moved.id: moved})
    assert fresh == built(after(NUMBERS, {moved.id: moved}))
    assert all(c.id != moved.id for c in fresh.by_area_code[("US", "415")].usable)


def test_a_released_numbers_e164_bought_again_as_a_new_number_is_the_new_one_o3() -> None:
    again = replace(number(500, "212"), e164=NUMBERS[0].e164)
    changed = {NUMBERS[0].id: None, again.id: again}
    fresh = refresh(built(NUMBERS), changed)
    assert fresh == built(after(NUMBERS, changed))
    assert fresh.by_e164[again.e164] == again
    assert fresh.agents["usr_1"].caller_number == again


def test_campaigns_and_org_settings_as_they_now_stand_are_taken_o3_o6() -> None:
    campaigns = [replace(CAMPAIGNS[0], number_ids=CAMPAIGNS[0].number_ids[:4], sticky=False)]
    policy = ("campaign", "organisation")
    fresh = refresh(
        built(NUMBERS),
        {},
        campaigns=campaigns,
        policy=policy,
        default_caller_id=NUMBERS[1].e164,
        daily_cap=20,
    )
    expected = built(
        NUMBERS, campaigns=campaigns, policy=policy, default_caller_id=NUMBERS[1].e164, daily_cap=20
    )
    assert fresh == expected
    assert fresh.default_number == NUMBERS[1]


def test_a_batch_of_changes_to_numbers_sharing_pools_is_refreshed_at_once_o3_o6() -> None:
    """One bulk change (a route set for many numbers, an order of many): rests, moves,
    releases and purchases landing in the same pools, refreshed together."""
    changed: dict[str, Candidate | None] = {}
    for i, n in enumerate(NUMBERS[:30]):
        if i % 3 == 0:
            changed[n.id] = replace(n, unusable="is resting")
        elif i % 3 == 1:
            changed[n.id] = replace(n, area_codes=("212", "646"), region="NY")
        else:
            changed[n.id] = None
    changed |= {new.id: new for new in (number(700 + i, "212", "646") for i in range(10))}
    fresh = refresh(built(NUMBERS), changed, campaigns=CAMPAIGNS)
    assert fresh == built(after(NUMBERS, changed))
    assert len(fresh.by_area_code[("US", "646")].usable) == 10 + 10


def test_many_changes_one_after_another_keep_the_index_a_whole_build_would_make_o3_o5() -> None:
    """Random purchases, releases, rests, wakes and area-code moves, each refreshed from the
    last refresh; after each, the index equals the whole build's, every pool, card and plan
    (a decision only looks up the index, so equal indexes decide alike)."""
    rng = random.Random(17)
    numbers, held = list(NUMBERS), built(NUMBERS)
    for turn in range(60):
        changed: dict[str, Candidate | None] = {}
        for _ in range(rng.randint(1, 4)):
            pick = rng.choice(numbers)
            roll = rng.random()
            if roll < 0.25:
                changed[pick.id] = None
            elif roll < 0.5:
                changed[pick.id] = replace(pick, unusable=None if pick.unusable else "is resting")
            elif roll < 0.75:
                area = rng.choice(list(AREAS))
                changed[pick.id] = replace(pick, area_codes=(area,), region=AREAS[area])
            else:
                new = number(100 + turn * 4 + len(changed), rng.choice(list(AREAS)), "646")
                changed[new.id] = new
        numbers = after(numbers, changed)
        held = refresh(held, changed, campaigns=CAMPAIGNS)
        whole = built(numbers)
        assert held == whole, f"turn {turn}: {changed}"

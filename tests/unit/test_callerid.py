"""The outbound caller-ID decision (rules O1-O5), without a database."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from numberdesk.domain.callerid import (
    AgentCard,
    AgentNumbers,
    Ask,
    Call,
    Callee,
    CampaignPlan,
    Candidate,
    Decision,
    Picked,
    Snapshot,
    Usage,
    build_snapshot,
    decide,
    deciding,
)
from numberdesk.domain.callerid_index import card_of
from numberdesk.domain.callerid_picks import Use, decide_in_memory, least_used
from numberdesk.domain.callerid_tiers import pools_by_key, tiers_of
from numberdesk.domain.errors import Forbidden, Invalid
from numberdesk.services.callerid_choice import callee_of

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
DEFAULT = ("local_presence", "agent", "campaign", "organisation")


def number(
    ident: str, e164: str, *areas: str, region: str | None = None, **kw: object
) -> Candidate:
    """A US number covering ``areas`` (its own area code first)."""
    return Candidate(ident, e164, "US", tuple(areas), region, masked=False, **kw)  # type: ignore[arg-type]


def snapshot(
    *numbers: Candidate,
    default: str | None = None,
    policy: tuple[str, ...] = DEFAULT,
    cap: int | None = None,
) -> Snapshot:
    """Index numbers the way the service does."""
    return build_snapshot(numbers, policy=policy, default_caller_id=default, daily_cap=cap)


def callee(e164: str, region: str | None = None) -> Callee:
    """A US callee."""
    return Callee(e164, "US", e164[2:], region)


AGENT = AgentCard("usr_1")


def agent_of(
    snap: Snapshot, caller_id: str | None = None, personal: str | None = None
) -> AgentCard:
    """The agent's card as the snapshot holds it: the numbers it names found among the org's."""
    card = AgentNumbers("usr_1", caller_id=caller_id, personal_number_id=personal)
    return card_of(card, snap.numbers, snap.by_e164)


NY = number("ny", "+12125550001", "212", region="NY")
SF = number("sf", "+14155550001", "415", region="CA")
CHI = number("chi", "+13125550001", "312", region="IL")


def test_local_number_wins_then_agent_caller_id_then_org_number_insellerate_o3() -> None:
    snap = snapshot(NY, SF, CHI, default=CHI.e164)
    agent = agent_of(snap, caller_id=SF.e164)
    assert decide_in_memory(snap, Usage(), Call(agent, callee("+12125559999")), NOW).number == NY
    miami = decide_in_memory(snap, Usage(), Call(agent, callee("+13055559999")), NOW)
    assert (miami.number, miami.step) == (SF, "agent")
    assert [t.result for t in miami.trace] == ["no_match", "chosen"]
    nobody = decide_in_memory(snap, Usage(), Call(AGENT, callee("+13055559999")), NOW)
    assert (nobody.number, nobody.step) == (CHI, "organisation")


def test_agent_caller_id_overrides_campaign_numbers_leaddesk_o3() -> None:
    snap = snapshot(NY, SF, CHI)
    campaign = CampaignPlan("cmp", (NY.id, CHI.id))
    call = Call(agent_of(snap, caller_id=SF.e164), callee("+13055559999"), campaign)
    decision = decide_in_memory(snap, Usage(), call, NOW)
    assert (decision.number, decision.step) == (SF, "agent")


def test_agents_own_caller_id_comes_first_when_it_matches_the_area_code_o3() -> None:
    other_ny = number("ny2", "+12125550002", "212")
    snap = snapshot(NY, other_ny)
    call = Call(agent_of(snap, caller_id=other_ny.e164), callee("+12125559999"))
    assert decide_in_memory(snap, Usage(calls_today={"ny2": 9}), call, NOW).number == other_ny


def test_campaign_numbers_come_before_the_orgs_in_local_presence_o3() -> None:
    campaign_ny = number("ny2", "+12125550002", "212")
    snap = snapshot(NY, campaign_ny)
    call = Call(AGENT, callee("+12125559999"), CampaignPlan("cmp", ("ny2",)))
    assert decide_in_memory(snap, Usage(calls_today={"ny2": 5}), call, NOW).number == campaign_ny


def test_one_number_covers_many_area_codes_o3() -> None:
    mapped = number("ny", "+12125550001", "212", "646", "332")
    snap = snapshot(mapped)
    assert (
        decide_in_memory(snap, Usage(), Call(AGENT, callee("+16465559999")), NOW).number == mapped
    )


def test_longest_area_code_match_wins_o3() -> None:
    broad = Candidate("uk1", "+441610000001", "GB", ("161",), None, masked=False)
    narrow = Candidate("uk2", "+441610000002", "GB", ("161", "1614"), None, masked=False)
    uk = snapshot(broad, narrow)
    call = Call(AGENT, Callee("+441614960000", "GB", "1614960000", None))
    assert decide_in_memory(uk, Usage(calls_today={"uk2": 50}), call, NOW).number == narrow


def test_nearby_uses_the_callees_region_o3() -> None:
    buffalo = number("buf", "+17165550001", "716", region="NY")
    snap = snapshot(buffalo, SF, policy=("nearby", "organisation"))
    decision = decide_in_memory(
        snap, Usage(), Call(AGENT, callee("+15185559999", region="NY")), NOW
    )
    assert (decision.number, decision.step) == (buffalo, "nearby")


def test_ineligible_numbers_are_skipped_and_the_trace_says_why_o4() -> None:
    suspended = replace(NY, unusable="is suspended: mandate revoked")
    resting = number("ny2", "+12125550002", "212", rested_until=NOW + timedelta(days=3))
    capped = number("ny3", "+12125550003", "212")
    snap = snapshot(suspended, resting, capped, SF, default=SF.e164, cap=10)
    decision = decide_in_memory(
        snap, Usage(calls_today={"ny3": 10}), Call(AGENT, callee("+12125559999")), NOW
    )
    assert decision.number == SF
    reason = decision.trace[0].reason
    assert decision.trace[0].result == "skipped"
    assert "suspended" in reason
    assert "resting until" in reason
    assert "daily cap of 10" in reason


def test_rest_ends_when_the_cool_down_is_over_o6() -> None:
    rested = replace(NY, rested_until=NOW - timedelta(seconds=1))
    assert (
        decide_in_memory(snapshot(rested), Usage(), Call(AGENT, callee("+12125559999")), NOW).number
        == rested
    )


def test_callee_sees_the_number_they_saw_last_time_o5() -> None:
    ny2 = number("ny2", "+12125550002", "212")
    usage = Usage(calls_today={"ny2": 40, "ny": 1}, last_shown_to_callee="ny2")
    decision = decide_in_memory(snapshot(NY, ny2), usage, Call(AGENT, callee("+12125559999")), NOW)
    assert decision.number == ny2
    # Support can tell a sticky number from a pick: the trace says why this one.
    assert "the number this callee was shown last time" in decision.trace[-1].reason


def test_campaign_can_turn_sticky_off_o5() -> None:
    ny2 = number("ny2", "+12125550002", "212")
    usage = Usage(calls_today={"ny2": 40, "ny": 1}, last_shown_to_callee="ny2")
    call = Call(AGENT, callee("+12125559999"), CampaignPlan("cmp", (), sticky=False))
    decision = decide_in_memory(snapshot(NY, ny2), usage, call, NOW)
    assert decision.number == NY
    assert "shown last time" not in decision.trace[-1].reason


def test_a_pool_of_several_numbers_asks_for_its_pick_and_shows_it_o5() -> None:
    a, b, c = (number(i, f"+1212555000{n}", "212") for n, i in enumerate("abc", 1))
    snap = snapshot(a, b, c)
    call = Call(AGENT, callee("+12125559999"))
    asking = decide(snap, Usage(), call, NOW)
    assert asking.number is None
    assert asking.asks is not None
    assert (asking.asks.key, asking.step) == ("local:US:212", "local_presence")
    answered = decide(snap, Usage(picks={"local:US:212": "b"}), call, NOW)
    assert (answered.number, answered.picked) == (b, "local:US:212")


def test_given_its_pick_a_decision_goes_on_where_it_stopped_with_the_same_answer_o5_o7() -> None:
    a, b, c = (number(i, f"+1212555000{n}", "212") for n, i in enumerate("abc", 1))
    snap = snapshot(
        a, b, c, CHI, default=CHI.e164, policy=("agent", "local_presence", "organisation")
    )
    call = Call(AGENT, callee("+12125559999"))
    for pick in ("b", None):
        walk = deciding(snap, Usage(), call, NOW)
        step, tier = next(walk)
        assert (step, tier.key) == ("local_presence", "local:US:212")
        went_on = walked_to_the_end(walk, Picked(pick))
        usage = Usage(picks={"local:US:212": pick})
        assert went_on == decide(snap, usage, call, NOW)  # as if walked with the pick known
        steps = [(e.step, e.result) for e in went_on.trace]
        chosen = (
            [("local_presence", "chosen")]
            if pick
            else [("local_presence", "skipped"), ("organisation", "chosen")]
        )
        assert steps == [("agent", "no_match"), *chosen]
        assert went_on.number == (b if pick else CHI)


def test_a_pool_that_chose_the_callees_last_number_says_so_in_the_trace_o5() -> None:
    a, b = (number(i, f"+1212555000{n}", "212") for n, i in enumerate("ab", 1))
    walk = deciding(snapshot(a, b), Usage(), Call(AGENT, callee("+12125559999")), NOW)
    next(walk)
    decision = walked_to_the_end(walk, Picked("b", last_shown=True))
    assert (decision.number, decision.picked) == (b, "local:US:212")
    assert decision.trace[-1].reason.endswith("the number this callee was shown last time (O5)")


def test_a_pick_that_may_no_longer_be_shown_moves_the_walk_on_o4_o5() -> None:
    a, b = (number(i, f"+1212555000{n}", "212") for n, i in enumerate("ab", 1))
    resting = replace(b, rested_until=NOW + timedelta(days=1))
    snap = snapshot(a, resting, CHI, default=CHI.e164)
    walk = deciding(snap, Usage(), Call(AGENT, callee("+12125559999")), NOW)
    next(walk)
    decision = walked_to_the_end(walk, Picked("b"))
    assert (decision.number, decision.step) == (CHI, "organisation")


def walked_to_the_end(walk: Generator[Ask, Picked, Decision], pick: Picked) -> Decision:
    """The decision a walk comes to, sent ``pick`` for the pool it asked about and asking
    nothing more."""
    with pytest.raises(StopIteration) as walked:
        walk.send(pick)
    decision: Decision = walked.value.value
    return decision


def test_the_pick_is_the_number_used_least_today_then_least_recently_o5() -> None:
    a, b, c = (number(i, f"+1212555000{n}", "212") for n, i in enumerate("abc", 1))
    pool = snapshot(a, b, c).by_area_code["US", "212"]
    hour = timedelta(hours=1)
    uses = {"a": Use(6, NOW - hour), "b": Use(1, NOW - 3 * hour), "c": Use(1, NOW - 2 * hour)}
    assert least_used(pool, uses, None, NOW) == b
    assert least_used(pool, uses | {"b": Use(1, NOW)}, None, NOW) == c
    assert least_used(pool, uses | {"c": Use()}, None, NOW) == c  # never used comes first


def test_the_pick_passes_over_numbers_that_may_not_be_shown_now_o4_o5() -> None:
    a, b, c = (number(i, f"+1212555000{n}", "212") for n, i in enumerate("abc", 1))
    pool = snapshot(a, replace(b, rested_until=NOW + timedelta(days=1)), c).by_area_code[
        "US", "212"
    ]
    assert least_used(pool, {"a": Use(4), "c": Use(5)}, 5, NOW) == a
    assert least_used(pool, {"a": Use(5), "c": Use(5)}, 5, NOW) is None


def test_when_the_pick_finds_every_number_at_its_cap_the_policy_moves_on_o6_o7() -> None:
    ny2 = number("ny2", "+12125550002", "212")
    snap = snapshot(NY, ny2, CHI, default=CHI.e164, cap=3)
    usage = Usage(calls_today={"ny": 3, "ny2": 3})
    decision = decide_in_memory(snap, usage, Call(AGENT, callee("+12125559999")), NOW)
    assert (decision.number, decision.step) == (CHI, "organisation")
    assert "reached its daily cap of 3 calls" in decision.trace[0].reason


def test_a_number_alone_in_its_pool_needs_no_pick_o5() -> None:
    decision = decide(snapshot(NY), Usage(), Call(AGENT, callee("+12125559999")), NOW)
    assert (decision.number, decision.picked, decision.asks) == (NY, None, None)


def test_the_callee_sees_their_last_number_without_a_pick_o5() -> None:
    ny2 = number("ny2", "+12125550002", "212")
    usage = Usage(last_shown_to_callee="ny2")
    decision = decide(snapshot(NY, ny2), usage, Call(AGENT, callee("+12125559999")), NOW)
    assert (decision.number, decision.picked, decision.asks) == (ny2, None, None)


def test_a_skipped_step_names_a_few_refused_numbers_and_counts_the_rest_o7() -> None:
    many = [
        number(f"n{i:02}", f"+121255501{i:02}", "212", unusable="is suspended") for i in range(9)
    ]
    decision = decide_in_memory(snapshot(*many), Usage(), Call(AGENT, callee("+12125559999")), NOW)
    assert decision.trace[0].result == "skipped"
    assert decision.trace[0].reason.count("is suspended") == 5
    assert decision.trace[0].reason.endswith("and 4 more numbers not usable")


def test_campaign_step_prefers_numbers_of_the_callees_country_o3() -> None:
    manchester = Candidate("uk", "+441610000001", "GB", ("161",), None, masked=False)
    snap = snapshot(NY, manchester, policy=("campaign",))
    call = Call(
        AGENT, Callee("+441619999999", "GB", "1619999999", None), CampaignPlan("c", ("ny", "uk"))
    )
    assert decide_in_memory(snap, Usage(calls_today={"uk": 9}), call, NOW).number == manchester


def test_campaign_policy_replaces_the_orgs_o3() -> None:
    snap = snapshot(NY, SF, default=SF.e164)
    call = Call(AGENT, callee("+12125559999"), CampaignPlan("c", (), policy=("organisation",)))
    assert decide_in_memory(snap, Usage(), call, NOW).number == SF


def test_requested_caller_id_is_used_when_the_agent_may_use_it_o2() -> None:
    snap = snapshot(NY, SF)
    call = Call(agent_of(snap, personal="sf"), callee("+12125559999"), requested=SF.e164)
    decision = decide_in_memory(snap, Usage(), call, NOW)
    assert (decision.number, decision.step) == (SF, "requested")


@pytest.mark.parametrize(
    ("requested", "detail"),
    [("+13125550001", "not a caller ID this agent may use"), ("+19995550000", "not a caller ID")],
)
def test_requested_caller_id_the_agent_may_not_use_is_refused_o2(
    requested: str, detail: str
) -> None:
    snap = snapshot(NY, CHI)
    with pytest.raises(Forbidden, match=detail) as refused:
        decide_in_memory(
            snap, Usage(), Call(AGENT, callee("+12125559999"), requested=requested), NOW
        )
    assert refused.value.code == "caller_id_not_allowed"


def test_requested_caller_id_that_is_resting_is_refused_with_the_reason_o2_o4() -> None:
    snap = snapshot(replace(SF, rested_until=NOW + timedelta(days=1)))
    call = Call(agent_of(snap, caller_id=SF.e164), callee("+12125559999"), requested=SF.e164)
    with pytest.raises(Forbidden, match="resting until"):
        decide_in_memory(snap, Usage(), call, NOW)


def test_nothing_eligible_gives_no_number_and_a_full_trace_o7() -> None:
    decision = decide_in_memory(
        snapshot(replace(NY, unusable="is suspended")),
        Usage(),
        Call(AGENT, callee("+12125559999")),
        NOW,
    )
    assert decision.number is None
    assert [(t.step, t.result) for t in decision.trace] == [
        ("local_presence", "skipped"),
        ("agent", "no_match"),
        ("campaign", "no_match"),
        ("organisation", "no_match"),
    ]


def test_number_whose_mandate_ran_out_is_never_shown_c3_o4() -> None:
    running_out = replace(NY, mandate_ends=NOW)
    snap = snapshot(running_out, CHI, default=CHI.e164)
    before = decide_in_memory(
        snap, Usage(), Call(AGENT, callee("+12125559999")), NOW - timedelta(hours=1)
    )
    assert before.number == running_out
    after = decide_in_memory(snap, Usage(), Call(AGENT, callee("+12125559999")), NOW)
    assert (after.number, after.step) == (CHI, "organisation")
    assert "mandate that ran out" in after.trace[0].reason


def test_a_callee_dialled_again_is_read_with_each_orgs_own_country_n1_o3() -> None:
    """Callees read once are remembered (``phones.REMEMBERED``) per country and policy: the
    same digits dialled from a British org are a London callee, from an American one a New
    York callee; the region is there only when the policy asks for ``nearby``; a callee that
    is not a valid number is refused every time."""
    for _ in range(2):
        london = callee_of("020 7946 0000", "GB", nearby=False)
        assert (london.e164, london.country, london.region) == ("+442079460000", "GB", None)
        assert callee_of("212 555 0100", "US", nearby=False).e164 == "+12125550100"
        assert callee_of("212 555 0100", "US", nearby=True).region is not None
        with pytest.raises(Invalid):
            callee_of("020 7946 0000", "US", nearby=False)


def test_an_agent_caller_id_that_is_not_one_of_the_orgs_numbers_is_never_shown_o3() -> None:
    snap = snapshot(NY, default=NY.e164)
    agent = agent_of(snap, caller_id=SF.e164, personal="sf")
    assert (agent.caller_number, agent.personal_number) == (None, None)
    decision = decide_in_memory(snap, Usage(), Call(agent, callee("+13055559999")), NOW)
    assert (decision.number, decision.step) == (NY, "organisation")
    assert [t.result for t in decision.trace] == ["no_match", "no_match", "no_match", "chosen"]


def test_every_pool_a_call_may_ask_to_pick_from_is_listed_under_its_tiers_key_o5() -> None:
    """The store's copies of pools are renewed from ``pools_by_key`` when numbers change: it
    must name each pool by the key the decision's tiers keep its use under."""
    new_york = [number(f"ny{i}", f"+121255500{i:02d}", "212", "646", region="NY") for i in range(3)]
    west = [number(f"ca{i}", f"+141555500{i:02d}", "415", region="CA") for i in range(2)]
    plan = CampaignPlan("cmp", ("ny0", "ny1", "ca0", "ca1"))
    snap = build_snapshot([*new_york, *west], campaigns=[plan], policy=DEFAULT)
    listed = pools_by_key(snap)
    seen = set()
    for to, region in (("+12125559999", "NY"), ("+16465559999", "NY"), ("+14155559999", "CA")):
        for campaign in (None, snap.campaigns["cmp"]):
            call = Call(AGENT, callee(to, region), campaign)
            for step in ("local_presence", "nearby", "campaign"):
                for tier in tiers_of(step, snap, call):
                    if tier.pool:
                        assert listed[tier.key] is tier.pool, tier.key
                        seen.add(tier.key)
    assert seen == {
        "local:US:212", "local:US:646", "local:US:415", "local:cmp:US:212", "local:cmp:US:646",
        "local:cmp:US:415",
        "near:US:NY", "near:US:CA", "near:cmp:US:NY", "near:cmp:US:CA", "campaign:cmp:US",
        "campaign:cmp",
    }  # fmt: skip

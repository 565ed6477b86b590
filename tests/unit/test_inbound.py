"""The inbound decision (rules I1-I12, N2, N11, S3), without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from numberdesk.domain.company import CompanySettings, Rule, RuleAction, windows_from_json
from numberdesk.domain.inbound import (
    Action,
    Agent,
    Channel,
    Contact,
    Decision,
    DialledNumber,
    InboundCall,
    Reason,
    Snapshot,
    Target,
    TargetType,
    decide,
)
from numberdesk.domain.numbers import Kind, Status
from numberdesk.domain.routes import NOT_ASSIGNED, Ring, Route, RouteType, Scope
from numberdesk.domain.users import Presence

OURS = "+12125550100"
CALLER = "+13055559876"
FRIDAY_AFTERNOON = datetime(2026, 11, 6, 14, 0)
FRIDAY_NIGHT = datetime(2026, 11, 6, 23, 0)
SATURDAY_EARLY = datetime(2026, 11, 7, 1, 30)
OFFICE_HOURS = windows_from_json(
    [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}]
)


def number(route: Route = NOT_ASSIGNED, **kw: object) -> DialledNumber:
    """Our active voice number with ``route``."""
    fields: dict[str, object] = {"status": Status.ACTIVE, "kind": Kind.VOICE, **kw}
    return DialledNumber("num_1", OURS, route=route, **fields)  # type: ignore[arg-type]


def agent(ident: str, presence: Presence = Presence.AVAILABLE, **kw: object) -> Agent:
    """An agent with an extension, a work phone and a voicemail box."""
    fields: dict[str, object] = {
        "extension": f"sip:{ident}@pbx.example.com",
        "work_phone": "+12125550999",
        "voicemail_email": f"{ident}@example.com",
        "greeting_url": f"https://example.com/{ident}.mp3",
        **kw,
    }
    return Agent(ident, presence, **fields)  # type: ignore[arg-type]


def snapshot(dialled: DialledNumber | None, *agents: Agent, **kw: object) -> Snapshot:
    """What the service hands the decision, on a Friday afternoon unless told otherwise."""
    fields: dict[str, object] = {"local_time": FRIDAY_AFTERNOON, **kw}
    return Snapshot(dialled, agents={a.id: a for a in agents}, **fields)  # type: ignore[arg-type]


def voice(snap: Snapshot, caller: str | None = CALLER) -> Decision:
    """Decide a call from ``caller`` to our number."""
    return decide(snap, InboundCall(OURS, caller, Channel.VOICE))


def text(snap: Snapshot, caller: str | None = CALLER) -> Decision:
    """Decide a text from ``caller`` to our number."""
    return decide(snap, InboundCall(OURS, caller, Channel.SMS))


def agent_ids(decision: Decision) -> list[str | None]:
    """Whom the targets reach."""
    return [t.agent_id for t in decision.targets]


def to(agent_id: str, ring: Ring = Ring.EXTENSION) -> Route:
    """An agent route."""
    return Route(RouteType.AGENT, agent_id=agent_id, ring=ring)


# I1, N2: calls that never reach anyone


def test_call_to_a_number_that_is_not_ours_is_disconnected_i1() -> None:
    decision = voice(snapshot(None))
    assert (decision.action, decision.reason, decision.targets) == (
        Action.DISCONNECT,
        Reason.NOT_OUR_NUMBER,
        (),
    )
    assert decision.trace[0].result == "refused"


def test_call_to_a_suspended_number_is_disconnected_i1_n3() -> None:
    decision = voice(snapshot(number(to("usr_1"), status=Status.SUSPENDED), agent("usr_1")))
    assert (decision.action, decision.reason) == (Action.DISCONNECT, Reason.NUMBER_INACTIVE)
    assert "suspended" in decision.trace[0].reason


def test_masked_number_never_takes_an_inbound_call_i1_n2() -> None:
    decision = voice(snapshot(number(to("usr_1"), kind=Kind.MASKED), agent("usr_1")))
    assert (decision.action, decision.reason) == (Action.DISCONNECT, Reason.NUMBER_MASKED)


def test_not_assigned_number_plays_the_disconnected_tone_leaddesk_i1() -> None:
    decision = voice(snapshot(number()))
    assert (decision.action, decision.reason) == (Action.DISCONNECT, Reason.NOT_ASSIGNED)
    assert [t.step for t in decision.trace] == ["number", "route"]


def test_sms_number_takes_no_calls_and_voice_number_takes_no_texts_n2() -> None:
    sms_only = snapshot(number(to("usr_1"), kind=Kind.SMS), agent("usr_1"))
    assert voice(sms_only).reason == Reason.CANNOT_RECEIVE_CALLS
    assert text(sms_only).action == Action.RING
    voice_only = snapshot(number(to("usr_1")), agent("usr_1"))
    assert (text(voice_only).action, text(voice_only).reason) == (
        Action.DISCONNECT,
        Reason.CANNOT_RECEIVE_TEXTS,
    )


# I2, I3: routes and agents (LeadDesk 2-way VoIP, Insellerate callbacks)


def test_leaddesk_callback_to_agents_own_number_rings_their_extension_when_available_i2_i3() -> (
    None
):
    decision = voice(snapshot(number(to("usr_1")), agent("usr_1")))
    assert (decision.action, decision.reason) == (Action.RING, Reason.AGENT_AVAILABLE)
    assert decision.targets == (
        Target(TargetType.AGENT, agent_id="usr_1", uri="sip:usr_1@pbx.example.com"),
    )
    assert decision.known_caller is None
    assert decision.selected == ()


def test_leaddesk_callback_gets_busy_when_agent_is_logged_in_but_busy_i3() -> None:
    decision = voice(snapshot(number(to("usr_1")), agent("usr_1", Presence.BUSY)))
    assert (decision.action, decision.reason, decision.targets) == (
        Action.BUSY,
        Reason.AGENT_BUSY,
        (),
    )


def test_leaddesk_callback_goes_to_voicemail_with_greeting_when_agent_logged_out_i3() -> None:
    decision = voice(snapshot(number(to("usr_1")), agent("usr_1", Presence.LOGGED_OUT)))
    assert (decision.action, decision.reason) == (Action.VOICEMAIL, Reason.AGENT_LOGGED_OUT)
    assert decision.targets == (
        Target(
            TargetType.VOICEMAIL,
            agent_id="usr_1",
            email="usr_1@example.com",
            greeting_url="https://example.com/usr_1.mp3",
        ),
    )


def test_logged_out_agent_with_a_not_reachable_number_is_redirected_there_i3() -> None:
    away = agent("usr_1", Presence.LOGGED_OUT, not_reachable_number="+12125550777")
    decision = voice(snapshot(number(to("usr_1")), away))
    assert decision.action == Action.VOICEMAIL
    assert decision.targets == (Target(TargetType.NUMBER, agent_id="usr_1", number="+12125550777"),)


def test_logged_out_agent_without_a_not_reachable_destination_gets_busy_i3() -> None:
    away = agent("usr_1", Presence.LOGGED_OUT, voicemail_email=None)
    decision = voice(snapshot(number(to("usr_1")), away))
    assert (decision.action, decision.reason) == (Action.BUSY, Reason.AGENT_UNREACHABLE)
    assert "set a voicemail e-mail or number" in decision.trace[-1].reason


def test_agent_route_rings_the_work_phone_where_the_route_says_so_i3() -> None:
    decision = voice(snapshot(number(to("usr_1", Ring.WORK_PHONE)), agent("usr_1")))
    assert decision.targets == (Target(TargetType.AGENT, agent_id="usr_1", number="+12125550999"),)


def test_work_phone_route_rings_the_extension_when_the_agent_has_no_work_phone_i3() -> None:
    decision = voice(
        snapshot(number(to("usr_1", Ring.WORK_PHONE)), agent("usr_1", work_phone=None))
    )
    assert decision.targets[0].uri == "sip:usr_1@pbx.example.com"
    assert "has no work phone" in decision.trace[-2].reason


def test_available_agent_with_nothing_to_ring_goes_to_voicemail_i3() -> None:
    bare = agent("usr_1", extension=None, work_phone=None)
    decision = voice(snapshot(number(to("usr_1")), bare))
    assert (decision.action, decision.reason) == (Action.VOICEMAIL, Reason.AGENT_UNREACHABLE)


def test_route_to_an_agent_who_left_the_org_disconnects_with_the_reason_i2() -> None:
    decision = voice(snapshot(number(to("usr_gone"))))
    assert (decision.action, decision.reason) == (Action.DISCONNECT, Reason.TARGET_MISSING)


def test_queue_route_places_the_caller_in_the_queue_leaddesk_i2() -> None:
    route = Route(RouteType.QUEUE, queue_id="que_1")
    decision = voice(snapshot(number(route), queues={"que_1": "sip:sales@pbx.example.com"}))
    assert (decision.action, decision.reason) == (Action.QUEUE, Reason.QUEUE)
    assert decision.targets[0].to_json() == {
        "type": "queue",
        "queue_id": "que_1",
        "uri": "sip:sales@pbx.example.com",
    }
    assert voice(snapshot(number(route))).reason == Reason.TARGET_MISSING


def test_custom_route_rings_the_destination_set_up_by_support_i2() -> None:
    route = Route(RouteType.CUSTOM, destination_id="dst_1")
    decision = voice(snapshot(number(route), destinations={"dst_1": "sip:ivr@pbx.example.com"}))
    assert (decision.action, decision.reason) == (Action.RING, Reason.CUSTOM_DESTINATION)
    assert decision.targets[0].uri == "sip:ivr@pbx.example.com"


def test_forward_route_forwards_to_the_external_number_i2() -> None:
    decision = voice(snapshot(number(Route(RouteType.FORWARD, forward_to="+14155550100"))))
    assert (decision.action, decision.reason) == (Action.FORWARD, Reason.ROUTE_FORWARD)
    assert decision.targets == (Target(TargetType.NUMBER, number="+14155550100"),)


def test_number_with_forward_to_forwards_every_call_before_its_route_n11() -> None:
    snap = snapshot(number(to("usr_1"), forward_to="+14155550100"), agent("usr_1"))
    decision = voice(snap)
    assert (decision.action, decision.reason) == (Action.FORWARD, Reason.FORWARDED)
    assert decision.targets[0].number == "+14155550100"


def test_forwarding_is_for_calls_so_a_text_follows_the_route_n11_s3() -> None:
    snap = snapshot(number(to("usr_1"), kind=Kind.OMNI, forward_to="+14155550100"), agent("usr_1"))
    assert text(snap).reason == Reason.TEXT_TO_AGENTS


def test_callback_reaches_agent_who_last_called_the_caller_i2() -> None:
    route = Route(RouteType.LAST_CALLER)
    snap = snapshot(
        number(route), agent("usr_1"), agent("usr_2"), last_callers_on_number=("usr_2", "usr_1")
    )
    decision = voice(snap)
    assert (decision.action, agent_ids(decision)) == (Action.RING, ["usr_2"])
    assert decision.trace[1].step == "last_caller"
    assert "usr_2 last called +13055559876 from +12125550100" in decision.trace[1].reason


def test_last_caller_on_this_number_ignores_calls_made_from_other_numbers_i2() -> None:
    route = Route(RouteType.LAST_CALLER, fallback=Route(RouteType.AGENT, agent_id="usr_9"))
    snap = snapshot(number(route), agent("usr_1"), agent("usr_9"), last_callers_on_any=("usr_1",))
    assert agent_ids(voice(snap)) == ["usr_9"]
    anywhere = snapshot(
        number(replace(route, scope=Scope.ANY)),
        agent("usr_1"),
        agent("usr_9"),
        last_callers_on_any=("usr_1",),
    )
    assert agent_ids(voice(anywhere)) == ["usr_1"]


def test_insellerate_borrower_calling_a_local_number_reaches_the_last_user_on_work_phone_i2() -> (
    None
):
    route = Route(RouteType.LAST_CALLER, scope=Scope.ANY, ring=Ring.WORK_PHONE)
    user = agent("usr_loan", work_phone="+13055550123")
    decision = voice(snapshot(number(route), user, last_callers_on_any=("usr_loan",)))
    assert (decision.action, decision.reason) == (Action.RING, Reason.AGENT_AVAILABLE)
    assert decision.targets == (
        Target(TargetType.AGENT, agent_id="usr_loan", number="+13055550123"),
    )


def test_last_caller_who_was_busy_gets_busy_not_the_fallback_i2_i3() -> None:
    route = Route(RouteType.LAST_CALLER, fallback=Route(RouteType.QUEUE, queue_id="que_1"))
    snap = snapshot(number(route), agent("usr_1", Presence.BUSY), last_callers_on_number=("usr_1",))
    assert voice(snap).action == Action.BUSY


def test_nobody_called_this_caller_so_the_fallback_route_decides_i2() -> None:
    route = Route(RouteType.LAST_CALLER, fallback=Route(RouteType.QUEUE, queue_id="que_1"))
    decision = voice(snapshot(number(route), queues={"que_1": None}))
    assert (decision.action, decision.reason) == (Action.QUEUE, Reason.QUEUE)
    assert [(t.step, t.result) for t in decision.trace] == [
        ("number", "passed"),
        ("last_caller", "no_match"),
        ("fallback", "chosen"),
        ("route", "chosen"),
    ]


def test_nobody_called_and_no_fallback_disconnects_with_the_reason_i2() -> None:
    decision = voice(snapshot(number(Route(RouteType.LAST_CALLER))))
    assert (decision.action, decision.reason) == (Action.DISCONNECT, Reason.NO_LAST_CALLER)
    assert "nobody called +13055559876" in decision.trace[1].reason


def test_withheld_caller_goes_to_the_fallback_route_i2() -> None:
    route = Route(RouteType.LAST_CALLER, fallback=Route(RouteType.AGENT, agent_id="usr_2"))
    snap = snapshot(
        number(route), agent("usr_1"), agent("usr_2"), last_callers_on_number=("usr_1",)
    )
    decision = voice(snap, caller=None)
    assert agent_ids(decision) == ["usr_2"]
    assert "withheld" in decision.trace[1].reason


def test_last_caller_who_left_the_org_is_skipped_for_the_one_before_i2() -> None:
    route = Route(RouteType.LAST_CALLER)
    snap = snapshot(number(route), agent("usr_1"), last_callers_on_number=("usr_gone", "usr_1"))
    decision = voice(snap)
    assert agent_ids(decision) == ["usr_1"]
    assert decision.trace[1].result == "skipped"


# I4-I10: company numbers (LoftyWorks)

COMPANY = Route(RouteType.COMPANY)
EVENINGS = Rule(
    RuleAction.BLAST,
    agent_ids=("usr_a", "usr_b", "usr_c"),
    name="Evenings",
    window=windows_from_json([{"days": ["fri"], "start": "18:00", "end": "02:00"}])[0],
)
SETTINGS = CompanySettings(Rule(RuleAction.USER, agent_id="usr_desk"), (EVENINGS,))
TEAM = (agent("usr_desk"), agent("usr_a"), agent("usr_b"), agent("usr_c"), agent("usr_owner"))


def company(*agents: Agent, settings: CompanySettings | None = SETTINGS, **kw: object) -> Snapshot:
    """A company number with the LoftyWorks-style rules and the whole team."""
    dialled = number(COMPANY, kind=Kind.OMNI, company=settings)
    return snapshot(dialled, *(agents or TEAM), **kw)


def contact(ident: str, owner: str | None, day: int) -> Contact:
    """A contact with the caller's phone, created on ``day`` November 2026."""
    return Contact(ident, owner, datetime(2026, 11, day, 9, 0))


def test_loftyworks_known_caller_goes_to_the_contacts_primary_agent_i4() -> None:
    decision = voice(company(contacts=(contact("c1", "usr_owner", 1),)))
    assert (decision.action, agent_ids(decision)) == (Action.RING, ["usr_owner"])
    assert (decision.known_caller, decision.selected, decision.rule) == (
        True,
        ("usr_owner",),
        None,
    )
    assert decision.timeline is not None
    assert decision.timeline.contact_ids == ("c1",)
    assert decision.timeline.text.endswith("sent to usr_owner, primary agent of this contact")


def test_same_primary_agent_on_duplicate_contacts_gets_a_timeline_entry_on_all_i4() -> None:
    contacts = (contact("c1", "usr_owner", 1), contact("c2", "usr_owner", 3))
    decision = voice(company(contacts=contacts))
    assert agent_ids(decision) == ["usr_owner"]
    assert decision.timeline is not None
    assert decision.timeline.contact_ids == ("c1", "c2")
    assert decision.timeline.agent_id == "usr_owner"
    assert decision.timeline.text == (
        "Inbound call from +13055559876 to company number +12125550100, sent to usr_owner, "
        "primary agent of all 2 contacts with this phone"
    )


def test_different_primary_agents_newest_contact_wins_and_only_it_gets_the_entry_i4() -> None:
    contacts = (
        contact("c_old", "usr_a", 1),
        contact("c_new", "usr_owner", 4),
        contact("c_mid", "usr_b", 2),
    )
    decision = voice(company(contacts=contacts))
    assert agent_ids(decision) == ["usr_owner"]
    assert decision.timeline is not None
    assert decision.timeline.contact_ids == ("c_new",)
    assert "the newest of 3 contacts with this phone" in decision.timeline.text
    assert "primary agents differ" in decision.trace[1].reason


def test_known_caller_whose_primary_agent_is_logged_out_gets_their_voicemail_i4_i3() -> None:
    away = agent("usr_owner", Presence.LOGGED_OUT)
    decision = voice(company(away, contacts=(contact("c1", "usr_owner", 1),)))
    assert (decision.action, decision.known_caller) == (Action.VOICEMAIL, True)


def test_contacts_without_a_primary_agent_leave_the_caller_to_the_rules_i4_i5() -> None:
    decision = voice(company(contacts=(contact("c1", None, 1), contact("c2", "usr_gone", 2))))
    assert (agent_ids(decision), decision.known_caller) == (["usr_desk"], False)
    assert decision.trace[1].result == "no_match"


def test_loftyworks_unknown_caller_outside_custom_hours_goes_to_the_default_user_i5() -> None:
    decision = voice(company())
    assert (decision.action, agent_ids(decision)) == (Action.RING, ["usr_desk"])
    assert (decision.known_caller, decision.selected, decision.rule) == (
        False,
        ("usr_desk",),
        "default",
    )
    assert decision.timeline is None
    assert "the default rule is in force on fri 14:00" in decision.trace[1].reason


def test_loftyworks_unknown_caller_during_custom_rule_hours_blasts_the_selected_agents_i5_i6() -> (
    None
):
    decision = voice(company(local_time=FRIDAY_NIGHT))
    assert (decision.action, decision.reason) == (Action.RING, Reason.BLAST)
    assert agent_ids(decision) == ["usr_a", "usr_b", "usr_c"]
    assert (decision.rule, decision.selected) == ("Evenings", ("usr_a", "usr_b", "usr_c"))


def test_midnight_crossing_rule_is_still_in_force_early_next_morning_i5() -> None:
    assert voice(company(local_time=SATURDAY_EARLY)).rule == "Evenings"
    assert voice(company(local_time=datetime(2026, 11, 7, 2, 0))).rule == "default"


def test_blast_rings_only_available_agents_inside_business_hours_i6() -> None:
    late_shift = windows_from_json([{"days": ["fri"], "start": "20:00", "end": "02:00"}])
    team = (
        agent("usr_a", Presence.BUSY),
        agent("usr_b", business_hours=OFFICE_HOURS),  # Friday 23:00 is after hours
        agent("usr_c", business_hours=late_shift),
    )
    decision = voice(company(*team, local_time=FRIDAY_NIGHT))
    assert (decision.action, agent_ids(decision)) == (Action.RING, ["usr_c"])
    assert decision.selected == ("usr_a", "usr_b", "usr_c")
    skipped = [t.reason for t in decision.trace if t.result == "skipped"]
    assert skipped == [
        "usr_a is busy (rule I6)",
        "usr_b is outside business hours (fri 23:00) (rule I6)",
    ]


def test_blast_with_nobody_available_is_missed_for_every_selected_agent_i6_i7() -> None:
    team = (agent("usr_a", Presence.LOGGED_OUT), agent("usr_b", Presence.BUSY))
    decision = voice(company(*team, local_time=FRIDAY_NIGHT))
    assert (decision.action, decision.reason) == (Action.BUSY, Reason.NOBODY_AVAILABLE)
    assert decision.selected == ("usr_a", "usr_b")
    assert "missed for all" in decision.trace[-1].reason
    assert "usr_c is no longer in the org" in decision.trace[2].reason


def test_number_rule_forwards_unknown_callers_to_the_bridge_number_i5() -> None:
    bridge = CompanySettings(Rule(RuleAction.NUMBER, number="+14155550123"))
    decision = voice(company(settings=bridge))
    assert (decision.action, decision.reason) == (Action.FORWARD, Reason.RULE_NUMBER)
    assert decision.targets == (Target(TargetType.NUMBER, number="+14155550123"),)
    assert decision.selected == ()


def test_company_number_without_settings_disconnects_unknown_callers_saying_how_to_fix_i5() -> None:
    decision = voice(company(settings=None))
    assert (decision.action, decision.reason) == (Action.DISCONNECT, Reason.COMPANY_NOT_CONFIGURED)
    assert "PUT /v1/numbers/num_1/company" in decision.trace[-1].reason
    known = voice(company(settings=None, contacts=(contact("c1", "usr_owner", 1),)))
    assert agent_ids(known) == ["usr_owner"]


def test_fifty_first_simultaneous_call_to_a_company_number_gets_busy_i10() -> None:
    assert voice(company(active_calls=49)).action == Action.RING
    decision = voice(company(active_calls=50, contacts=(contact("c1", "usr_owner", 1),)))
    assert (decision.action, decision.reason) == (Action.BUSY, Reason.CAPACITY)
    assert decision.trace[-1].step == "capacity"


def test_company_call_limit_is_configurable_i10() -> None:
    small = replace(SETTINGS, max_concurrent_calls=2)
    assert voice(company(settings=small, active_calls=2)).reason == Reason.CAPACITY


def test_texts_do_not_count_against_the_call_limit_i10_s3() -> None:
    assert text(company(active_calls=500)).action == Action.RING


# S3: texts


def test_unknown_text_to_a_company_number_goes_to_every_selected_agent_at_once_s3() -> None:
    team = (agent("usr_a", Presence.LOGGED_OUT), agent("usr_b", Presence.BUSY), agent("usr_c"))
    decision = text(company(*team, local_time=FRIDAY_NIGHT))
    assert (decision.action, decision.reason) == (Action.RING, Reason.TEXT_TO_AGENTS)
    assert decision.targets == tuple(
        Target(TargetType.AGENT, agent_id=a) for a in ("usr_a", "usr_b", "usr_c")
    )
    assert (decision.selected, decision.known_caller) == (("usr_a", "usr_b", "usr_c"), False)


def test_text_from_a_known_caller_goes_to_the_owner_with_a_timeline_entry_s3_i4() -> None:
    away = agent("usr_owner", Presence.LOGGED_OUT)
    decision = text(company(away, contacts=(contact("c1", "usr_owner", 1),)))
    assert (decision.action, agent_ids(decision)) == (Action.RING, ["usr_owner"])
    assert decision.timeline is not None
    assert decision.timeline.text.startswith("Inbound text from +13055559876")


def test_text_reaches_an_agent_whatever_their_presence_s3() -> None:
    dialled = number(to("usr_1"), kind=Kind.SMS)
    decision = text(snapshot(dialled, agent("usr_1", Presence.LOGGED_OUT)))
    assert (decision.action, decision.targets) == (
        Action.RING,
        (Target(TargetType.AGENT, agent_id="usr_1"),),
    )


def test_unknown_text_under_a_number_rule_is_forwarded_to_the_bridge_number_s3_i5() -> None:
    bridge = CompanySettings(Rule(RuleAction.NUMBER, number="+14155550123"))
    assert text(company(settings=bridge)).action == Action.FORWARD


# I12: every decision explains itself


def test_every_decision_has_an_action_a_reason_and_a_trace_naming_rules_i12() -> None:
    decision = voice(company(local_time=FRIDAY_NIGHT))
    assert decision.trace[0].step == "number"
    assert all(
        t.result in {"passed", "chosen", "skipped", "no_match", "refused"} for t in decision.trace
    )
    assert "(rule I6)" in decision.trace[-1].reason
    assert decision.targets[0].to_json() == {
        "type": "agent",
        "agent_id": "usr_a",
        "uri": "sip:usr_a@pbx.example.com",
    }


def test_decision_json_is_the_inbound_answer_with_company_extras_i12_i7() -> None:
    body = voice(company(local_time=FRIDAY_NIGHT)).to_json()
    assert (body["action"], body["reason"], body["rule"]) == ("ring", "blast", "Evenings")
    assert body["selected"] == ["usr_a", "usr_b", "usr_c"]
    assert body["known_caller"] is False
    assert body["trace"][0] == {  # type: ignore[index]
        "step": "number",
        "result": "passed",
        "reason": "+12125550100 is ours and active",
    }
    assert "selected" not in voice(snapshot(number())).to_json()


def test_only_unknown_callers_on_company_numbers_open_an_inbox_item_i7_i8() -> None:
    assert voice(company(local_time=FRIDAY_NIGHT)).opens_inbox_item
    assert text(company()).opens_inbox_item
    assert not voice(company(contacts=(contact("c1", "usr_owner", 1),))).opens_inbox_item
    assert not voice(
        company(settings=CompanySettings(Rule(RuleAction.NUMBER, number="+14155550123")))
    ).opens_inbox_item
    assert not voice(snapshot(number(to("usr_1")), agent("usr_1"))).opens_inbox_item

"""Inbound decisions through the API, as a PBX asks once per call or text (rules I1-I12, S3).

Each route type, the numbers that only get a disconnected tone, withheld callers, what every
decision records, and the call limit (on PostgreSQL also under 60 simultaneous calls).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import inbound as inbound_service
from numberdesk.services.desk import Desk
from numberdesk.store import schema
from tests.conftest import Api, Clock
from tests.integration.helpers import add_number, builds_of_concurrent_calls, e164_of
from tests.integration.inbound_helpers import (
    CALLER,
    agent,
    buy,
    company_team,
    count,
    decided,
    event,
    inbound,
    inbox_of,
    recorded,
    set_company,
    set_presence,
    set_route,
)

ANN = {
    "work_phone": "+12125550999",
    "extension": "sip:ann@pbx.example.com",
    "voicemail_email": "ann.voicemail@example.com",
    "greeting_url": "https://example.com/greetings/ann.mp3",
}


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """An org with one New York number and one agent, Ann (her id and key; her card is ANN)."""
    created = api.new_org("Desk", "US")
    key = created["api_key"]
    ann, ann_key = agent(api, key, **ANN)
    return {**created, "key": key, "number": buy(api, key), "ann": ann, "ann_key": ann_key}


def test_agent_route_rings_when_available_busy_tone_when_busy_voicemail_when_logged_out_i3(
    api: Api, org: dict[str, Any]
) -> None:
    key, ann, number = org["key"], org["ann"], org["number"]
    set_route(api, key, number["id"], {"type": "agent", "agent_id": ann})
    rings = decided(api, key, number["e164"])
    assert (rings["action"], rings["reason"]) == ("ring", "agent_available")
    assert rings["targets"] == [{"type": "agent", "agent_id": ann, "uri": ANN["extension"]}]
    assert "selected" not in rings  # only company numbers say whom they selected
    set_presence(api, key, ann, "busy")
    busy = decided(api, key, number["e164"])
    assert (busy["action"], busy["reason"], busy["targets"]) == ("busy", "agent_busy", [])
    set_presence(api, key, ann, "logged_out")
    voicemail = decided(api, key, number["e164"])
    assert (voicemail["action"], voicemail["reason"]) == ("voicemail", "agent_logged_out")
    assert voicemail["targets"] == [
        {
            "type": "voicemail",
            "agent_id": ann,
            "email": ANN["voicemail_email"],
            "greeting_url": ANN["greeting_url"],
        }
    ]


def test_queue_custom_and_forward_routes_send_the_call_there_i2(
    api: Api, org: dict[str, Any]
) -> None:
    key, number = org["key"], org["number"]
    queue = api.call("POST", "/v1/queues", key, json={"name": "Sales", "uri": "sip:q@pbx.example"})
    assert queue.status_code == 201, queue.text
    set_route(api, key, number["id"], {"type": "queue", "queue_id": queue.json()["id"]})
    queued = decided(api, key, number["e164"])
    assert (queued["action"], queued["targets"][0]["uri"]) == ("queue", "sip:q@pbx.example")
    body = {"name": "Night desk", "uri": "sip:night@pbx.example"}
    destination = api.call("POST", "/v1/destinations", key, json=body)
    assert destination.status_code == 201, destination.text
    custom = {"type": "custom", "destination_id": destination.json()["id"]}
    set_route(api, key, number["id"], custom)
    rung = decided(api, key, number["e164"])
    assert (rung["action"], rung["reason"]) == ("ring", "custom_destination")
    assert rung["targets"][0]["uri"] == "sip:night@pbx.example"
    set_route(api, key, number["id"], {"type": "forward", "forward_to": "(415) 555-0100"})
    forwarded = decided(api, key, number["e164"])
    assert (forwarded["action"], forwarded["targets"]) == (
        "forward",
        [{"type": "number", "number": "+14155550100"}],
    )


def test_borrower_calling_back_reaches_the_agent_who_last_called_on_their_work_phone_i2(
    api: Api, org: dict[str, Any]
) -> None:
    key, ann, number = org["key"], org["ann"], org["number"]
    bob, _ = agent(api, key)
    route = {
        "type": "last_caller",
        "scope": "number",
        "ring": "work_phone",
        "fallback": {"type": "agent", "agent_id": bob},
    }
    set_route(api, key, number["id"], route)
    borrower = "+12125550142"  # a New York callee: the New York number is shown (local presence)
    out = api.call("POST", "/v1/decisions/outbound", key, json={"agent_id": ann, "to": borrower})
    assert out.json()["number_id"] == number["id"], out.text
    callback = decided(api, key, number["e164"], borrower)
    assert callback["targets"] == [{"type": "agent", "agent_id": ann, "number": "+12125550999"}]
    assert callback["trace"][1]["step"] == "last_caller"
    stranger = decided(api, key, number["e164"], "+13125550100")
    assert [t["agent_id"] for t in stranger["targets"]] == [bob]
    assert [t["step"] for t in stranger["trace"]][1:3] == ["last_caller", "fallback"]


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [("masked", "active", "number_masked"), ("voice", "suspended", "number_inactive")],
)
def test_masked_and_inactive_numbers_get_a_disconnected_tone_i1(
    api: Api, desk: Desk, kind: str, status: str, reason: str
) -> None:
    created = api.new_org("Desk", "US")
    number_id = add_number(desk, created["org_id"], kind=kind, status=status)
    answer = decided(api, created["api_key"], e164_of(desk, created["org_id"], number_id))
    assert (answer["action"], answer["reason"], answer["targets"]) == ("disconnect", reason, [])
    assert recorded(desk, answer["call_id"])["number_id"] == number_id


def test_numbers_not_ours_or_not_assigned_get_a_disconnected_tone_i1(
    api: Api, desk: Desk, org: dict[str, Any]
) -> None:
    key, number = org["key"], org["number"]
    unassigned = decided(api, key, number["e164"])
    assert (unassigned["action"], unassigned["reason"]) == ("disconnect", "not_assigned")
    stranger = decided(api, key, "+14155550100")
    assert (stranger["action"], stranger["reason"]) == ("disconnect", "not_our_number")
    assert "not one of our numbers" in stranger["trace"][0]["reason"]
    stored = recorded(desk, stranger["call_id"])
    assert (stored["number_id"], stored["to"], stored["action"]) == (
        None,
        "+14155550100",
        "disconnect",
    )


def test_known_caller_goes_to_the_contacts_owner_with_a_timeline_entry_i4(
    api: Api, desk: Desk, org: dict[str, Any]
) -> None:
    key, ann, number = org["key"], org["ann"], org["number"]
    bob, _ = agent(api, key)
    set_company(api, key, number["id"], {"default_rule": {"action": "user", "agent_id": bob}})
    contact = {"name": "Jo", "phones": [CALLER], "primary_agent_id": ann}
    assert api.call("PUT", "/v1/contacts/crm-1", key, json=contact).status_code == 201
    answer = decided(api, key, number["e164"], call_id="pbx-known-1")
    assert (answer["known_caller"], answer["selected"], answer["rule"]) == (True, [ann], None)
    assert [t["agent_id"] for t in answer["targets"]] == [ann]
    assert "inbox_item_id" not in answer  # a known caller's call opens no inbox item
    timeline = api.call("GET", "/v1/contacts/crm-1", key).json()["timeline"]
    assert [(e["kind"], e["call_id"]) for e in timeline] == [("inbound_call", "pbx-known-1")]
    assert ann in timeline[0]["text"]
    assert count(desk, "inbox_items") == 0


def test_unknown_caller_is_blasted_to_available_agents_i6(api: Api, desk: Desk) -> None:
    team = company_team(api, source="Website", tag="web")
    key, number = team["key"], team["number"]
    (ann, ann_key), (bob, _), (cid, _) = team["agents"]
    set_presence(api, key, bob, "busy")
    set_presence(api, key, cid, "logged_out")
    answer = decided(api, key, number["e164"])
    assert (answer["action"], answer["reason"]) == ("ring", "blast")
    assert (answer["known_caller"], answer["rule"]) == (False, "default")
    assert [t["agent_id"] for t in answer["targets"]] == [ann]
    assert answer["selected"] == [ann, bob, cid]
    assert inbox_of(api, ann_key) == []  # ringing: in nobody's inbox until answered or missed
    stored = recorded(desk, answer["call_id"])
    assert (stored["caller"], stored["selected"], stored["known_caller"]) == (
        CALLER,
        [ann, bob, cid],
        False,
    )
    with desk.store.transaction() as tx:
        item = tx.conn.execute(select(schema.inbox_items)).one()
    assert (item.id, item.status, item.source, item.tag) == (
        answer["inbox_item_id"],
        "ringing",
        "Website",
        "web",
    )


def test_nobody_available_is_busy_and_a_missed_item_for_every_selected_agent_i6_i7(
    api: Api,
) -> None:
    team = company_team(api, size=2)
    key, number = team["key"], team["number"]
    (ann, ann_key), (bob, bob_key) = team["agents"]
    set_presence(api, key, ann, "busy")
    set_presence(api, key, bob, "logged_out")
    answer = decided(api, key, number["e164"])
    assert (answer["action"], answer["reason"]) == ("busy", "nobody_available")
    item = (answer["inbox_item_id"], "unclaimed")
    assert inbox_of(api, ann_key) == inbox_of(api, bob_key) == [item]


def test_withheld_caller_is_an_unknown_caller_and_opens_no_inbox_item_i5(
    api: Api, desk: Desk
) -> None:
    team = company_team(api, size=1)
    for withheld in ("anonymous", "", None, "12"):
        answer = decided(api, team["key"], team["number"]["e164"], withheld)
        assert (answer["action"], answer["known_caller"]) == ("ring", False)
        assert answer["trace"][0]["step"] == "caller"
        assert "withheld" in answer["trace"][0]["reason"]
        assert "inbox_item_id" not in answer  # nobody could call or text it back
        assert recorded(desk, answer["call_id"])["caller"] is None
    assert count(desk, "inbox_items") == 0


def test_text_to_a_company_number_waits_in_every_selected_agents_inbox_at_once_s3(
    api: Api, desk: Desk
) -> None:
    team = company_team(api, size=2)
    key = team["key"]
    omni = buy(api, key, kind="omni")
    rule = {"action": "blast", "agent_ids": [a for a, _ in team["agents"]]}
    set_company(api, key, omni["id"], {"default_rule": rule})
    answer = decided(api, key, omni["e164"], channel="sms")
    assert (answer["action"], answer["reason"]) == ("ring", "text_to_agents")
    (_, ann_key), (_, bob_key) = team["agents"]
    item = (answer["inbox_item_id"], "unclaimed")
    assert inbox_of(api, ann_key) == inbox_of(api, bob_key) == [item]
    assert count(desk, "inbound_active_calls") == 0  # texts do not count as calls (I10)
    voice_only = decided(api, key, team["number"]["e164"], channel="sms")
    assert voice_only["reason"] == "cannot_receive_texts"


def test_every_decision_is_recorded_once_and_a_reused_call_id_is_refused_i12(
    api: Api, desk: Desk
) -> None:
    team = company_team(api, size=1)
    key, e164 = team["key"], team["number"]["e164"]
    first = decided(api, key, e164, call_id="pbx-1")
    assert first["call_id"] == "pbx-1"
    made_up = decided(api, key, e164)
    assert made_up["call_id"].startswith("call_")
    again = inbound(api, key, e164, call_id="pbx-1")
    assert (again.status_code, again.json()["code"]) == (409, "call_exists")
    tables = ("inbound_calls", "inbox_items", "inbound_active_calls")
    assert [count(desk, t) for t in tables] == [2, 2, 2]


def test_a_dry_run_decides_but_records_nothing(api: Api, desk: Desk) -> None:
    team = company_team(api, size=1)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    e164 = team["number"]["e164"]
    ((agent_id, _),) = team["agents"]
    contact = {"name": "Known", "phones": [CALLER], "primary_agent_id": agent_id}
    assert api.call("PUT", "/v1/contacts/crm-1", team["key"], json=contact).status_code == 201
    unknown = "+12125550177"  # an unknown caller would open an inbox item
    for caller in (CALLER, CALLER, unknown):
        answer = inbound_service.decide_inbound(
            desk, owner, to=e164, caller=caller, call_id="pbx-try", dry_run=True
        )
        assert (answer.decision.action.value, answer.inbox_item_id) == ("ring", None)
    tables = ("inbound_calls", "inbox_items", "inbound_active_calls", "timeline_entries")
    assert [count(desk, t) for t in tables] == [0, 0, 0, 0]
    # The same known caller, decided for real, writes their timeline (I4) and the rest; the
    # unknown caller, decided for real, opens the inbox item its dry run did not (I7).
    assert decided(api, team["key"], e164, call_id="pbx-try")["call_id"] == "pbx-try"
    assert [count(desk, t) for t in tables] == [1, 0, 1, 1]
    assert decided(api, team["key"], e164, caller=unknown)["inbox_item_id"]
    assert [count(desk, t) for t in tables] == [2, 1, 2, 1]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_calls_arriving_while_the_index_is_rebuilt_wait_for_that_one_build_i1(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The calls that arrive while a process rebuilds its inbound index after a configuration
    change use that one build; all of them are routed by the new configuration. (On SQLite
    the calls queue on the database's one write lock before they look at the index, so only
    PostgreSQL can show it.)"""
    team = company_team(api, size=1)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    number = team["number"]

    def try_a_call() -> str:
        answer = inbound_service.decide_inbound(
            desk, owner, to=number["e164"], caller=CALLER, dry_run=True
        )
        return answer.decision.action.value

    builds, actions = builds_of_concurrent_calls(monkeypatch, inbound_service, try_a_call)
    assert (builds, set(actions)) == (1, {"ring"})
    set_route(api, team["key"], number["id"], {"type": "not_assigned"})
    builds, actions = builds_of_concurrent_calls(monkeypatch, inbound_service, try_a_call)
    assert (builds, set(actions)) == (1, {"disconnect"})


def test_a_route_changed_through_another_process_is_followed_by_the_next_call_i1(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    """Each API process decides on the index it holds and records the decision only while the
    org's config version is that index's: a call decided on an index that a change made
    through another process left out of date is not recorded, but decided again, once, on the
    new route."""
    team = company_team(api, size=2)
    key, number = team["key"], team["number"]
    (first_agent, _), (second_agent, _) = team["agents"]
    set_route(api, key, number["id"], {"type": "agent", "agent_id": first_agent})
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)

    def rung(call_id: str) -> list[str | None]:
        answer = inbound_service.decide_inbound(
            other_process, owner, to=number["e164"], caller=CALLER, call_id=call_id
        )
        return [t.agent_id for t in answer.decision.targets]

    assert rung("call-before") == [first_agent]
    before = count(desk, "inbound_calls")
    set_route(api, key, number["id"], {"type": "agent", "agent_id": second_agent})
    assert rung("call-after") == [second_agent]
    assert recorded(desk, "call-after")["action"] == "ring"
    assert count(desk, "inbound_calls") == before + 1  # the stale decision was not recorded


def test_a_refusal_on_an_out_of_date_index_is_checked_against_the_configuration_of_now_i1(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    """A process whose index still reads national numbers as American refuses a British one;
    the org moved to GB through another process, so the refusal is checked against the
    configuration of now and the call decided on it: the number is not ours (disconnect),
    not a 422."""
    team = company_team(api, size=1)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)

    def action(to: str) -> str:
        answer = inbound_service.decide_inbound(other_process, owner, to=to, caller=CALLER)
        return answer.decision.action.value

    assert action(team["number"]["e164"]) == "ring"  # the index is built, read as US
    moved = api.call("PATCH", "/v1/org", team["key"], json={"country": "GB"})
    assert moved.status_code == 200, moved.text
    assert action("020 7123 4567") == "disconnect"


def test_bad_input_is_refused_and_changes_nothing(api: Api, desk: Desk) -> None:
    team = company_team(api, size=1)
    key, e164 = team["key"], team["number"]["e164"]
    bad = inbound(api, key, "12")
    assert (bad.status_code, bad.json()["errors"][0]["field"]) == (422, "to")
    assert inbound(api, key, "").status_code == 422
    assert inbound(api, key, e164, channel="fax").status_code == 422
    assert inbound(api, key, e164, call_id="a/b").status_code == 422
    assert inbound(api, key, e164, call_id="x" * 65).status_code == 422
    assert inbound(api, key, e164, colour="red").status_code == 422
    assert api.call("POST", "/v1/decisions/inbound", key, json={"from": CALLER}).status_code == 422
    assert api.call("POST", "/v1/decisions/inbound", key, json=[1]).status_code == 422
    assert inbound(api, key, 12125550100).status_code == 422  # type: ignore[arg-type]
    tables = ("inbound_calls", "inbox_items", "inbound_active_calls")
    assert [count(desk, t) for t in tables] == [0, 0, 0]


def test_only_owners_and_admins_ask_for_inbound_decisions_a2(api: Api, desk: Desk) -> None:
    team = company_team(api, size=1)
    _, agent_key = team["agents"][0]
    refused = inbound(api, agent_key, team["number"]["e164"])
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert inbound(api, None, team["number"]["e164"]).status_code == 401
    _, admin_key = api.new_user(team["key"], role="admin")
    assert inbound(api, admin_key, team["number"]["e164"]).status_code == 200
    assert count(desk, "inbound_calls") == 1


def test_company_number_takes_its_call_limit_then_busy_until_a_call_ends_i10(
    api: Api, desk: Desk, clock: Clock
) -> None:
    team = company_team(api, size=1, max_concurrent_calls=2)
    key, e164 = team["key"], team["number"]["e164"]
    calls = [decided(api, key, e164, f"+1305555{n:04d}") for n in range(3)]
    assert [c["action"] for c in calls] == ["ring", "ring", "busy"]
    assert calls[2]["reason"] == "capacity"
    assert event(api, key, calls[0]["call_id"], "ended").status_code == 200
    assert decided(api, key, e164)["action"] == "ring"
    assert decided(api, key, e164)["reason"] == "capacity"
    limit = desk.settings.max_call_minutes
    clock.at += timedelta(minutes=limit - 1)  # no end ever came, but the longest call lasts on
    assert decided(api, key, e164)["reason"] == "capacity"
    clock.at += timedelta(minutes=2)  # past the maximum duration: they stop counting
    assert decided(api, key, e164)["action"] == "ring"
    assert count(desk, "inbound_active_calls") == 1  # the expired rows were dropped


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_60_simultaneous_calls_to_one_company_number_admit_exactly_50_i10(
    api: Api, desk: Desk
) -> None:
    team = company_team(api, size=2)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    e164 = team["number"]["e164"]

    def one(n: int) -> tuple[str, str]:
        answer = inbound_service.decide_inbound(desk, owner, to=e164, caller=f"+1305555{n:04d}")
        return answer.decision.action.value, answer.decision.reason.value

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = Counter(pool.map(one, range(60)))
    assert results == {("ring", "blast"): 50, ("busy", "capacity"): 10}
    assert count(desk, "inbound_active_calls") == 50
    assert count(desk, "inbound_calls") == 60

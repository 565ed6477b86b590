"""Call events through the API, as the PBX reports them (rules I7, I8, I10, A2).

``answered`` makes the call and its inbox item the answering agent's; ``ended`` without an
answer leaves the item unclaimed for every selected agent; refusals change nothing. On
PostgreSQL, agents racing to claim one missed call: exactly one wins.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from numberdesk.services.desk import Desk
from tests.conftest import Api
from tests.integration.helpers import post
from tests.integration.inbound_helpers import (
    buy,
    claim,
    company_team,
    count,
    decided,
    event,
    inbox_of,
    recorded,
    set_route,
)


@pytest.fixture
def team(api: Api) -> dict[str, Any]:
    """Three available agents blasted by a company number."""
    return company_team(api)


def ringing(api: Api, team: dict[str, Any]) -> Any:
    """An unknown caller's call now ringing at every agent of the team."""
    return decided(api, team["key"], team["number"]["e164"])


def test_answered_call_becomes_the_answering_agents_item_only_i7(
    api: Api, team: dict[str, Any]
) -> None:
    key = team["key"]
    (ann, ann_key), (_, bob_key), _ = team["agents"]
    call = ringing(api, team)
    answered = event(api, key, call["call_id"], "answered", ann)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert (body["status"], body["answered_by"], body["ended_at"]) == ("answered", ann, None)
    assert body["inbox_item_id"] == call["inbox_item_id"]
    assert inbox_of(api, ann_key) == [(call["inbox_item_id"], "answered")]
    assert inbox_of(api, bob_key) == []
    ended = event(api, key, call["call_id"], "ended").json()
    assert (ended["status"], ended["answered_by"]) == ("ended", ann)
    assert ended["ended_at"] is not None
    assert (inbox_of(api, ann_key), inbox_of(api, bob_key)) == (
        [(call["inbox_item_id"], "answered")],
        [],
    )


def test_call_ended_unanswered_is_unclaimed_for_every_selected_agent_i7_i8(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    key = team["key"]
    call = ringing(api, team)
    assert count(desk, "inbound_active_calls") == 1
    ended = event(api, key, call["call_id"], "ended")
    assert ended.status_code == 200, ended.text
    assert (ended.json()["status"], ended.json()["answered_by"]) == ("ended", None)
    assert count(desk, "inbound_active_calls") == 0  # no longer counts against the limit (I10)
    missed = [(call["inbox_item_id"], "unclaimed")]
    assert [inbox_of(api, k) for _, k in team["agents"]] == [missed] * 3
    (_, ann_key), (_, bob_key), _ = team["agents"]
    claimed = claim(api, bob_key, call["inbox_item_id"], "call_back")
    assert claimed.status_code == 200, claimed.text
    late = claim(api, ann_key, call["inbox_item_id"], "text_back")
    assert (late.status_code, late.json()["code"]) == (409, "already_claimed")
    assert inbox_of(api, ann_key) == []


def test_events_after_the_end_are_refused_and_change_nothing(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    key, (ann, ann_key) = team["key"], team["agents"][0]
    call = ringing(api, team)
    first = event(api, key, call["call_id"], "ended")
    assert first.status_code == 200, first.text
    assert first.json()["ended_at"] is not None
    ended = recorded(desk, call["call_id"])
    assert (ended["answered_by"], ended["ended_at"] is not None) == (None, True)
    second = event(api, key, call["call_id"], "ended")
    assert (second.status_code, second.json()["code"]) == (409, "call_ended")
    late_answer = event(api, key, call["call_id"], "answered", ann)
    assert (late_answer.status_code, late_answer.json()["code"]) == (409, "call_ended")
    assert recorded(desk, call["call_id"]) == ended  # neither the end time nor an answer moved
    assert inbox_of(api, ann_key) == [(call["inbox_item_id"], "unclaimed")]


def test_a_call_is_answered_once_409_already_answered(api: Api, team: dict[str, Any]) -> None:
    key, (ann, _), (bob, bob_key) = team["key"], team["agents"][0], team["agents"][1]
    call = ringing(api, team)
    assert event(api, key, call["call_id"], "answered", ann).status_code == 200
    second = event(api, key, call["call_id"], "answered", bob)
    assert (second.status_code, second.json()["code"]) == (409, "already_answered")
    assert inbox_of(api, bob_key) == []


def test_events_for_unknown_or_another_orgs_calls_are_404_call_not_found(
    api: Api, team: dict[str, Any]
) -> None:
    call = ringing(api, team)
    unknown = event(api, team["key"], "call_nope", "ended")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "call_not_found")
    other = api.new_org("Other")["api_key"]
    foreign = event(api, other, call["call_id"], "ended")
    assert (foreign.status_code, foreign.json()["code"]) == (404, "call_not_found")
    assert event(api, team["key"], call["call_id"], "ended").status_code == 200


def test_answered_needs_a_selected_agent_of_the_org_i7(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    key = team["key"]
    call = ringing(api, team)
    outsider, _ = api.new_user(key)
    not_selected = event(api, key, call["call_id"], "answered", outsider["id"])
    assert (not_selected.status_code, not_selected.json()["code"]) == (422, "not_selected")
    missing = event(api, key, call["call_id"], "answered")
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "agent_id")
    nobody = event(api, key, call["call_id"], "answered", "usr_nobody")
    assert (nobody.status_code, nobody.json()["code"]) == (404, "user_not_found")
    foreign, _ = api.new_user(api.new_org("Other")["api_key"])
    assert event(api, key, call["call_id"], "answered", foreign["id"]).status_code == 404
    assert event(api, key, call["call_id"], "hung_up").status_code == 422
    assert count(desk, "inbound_active_calls") == 1
    ann = team["agents"][0][0]
    assert event(api, key, call["call_id"], "answered", ann).json()["status"] == "answered"


def test_any_live_agent_may_answer_a_call_that_selected_nobody_i7(api: Api) -> None:
    key = api.new_org("Desk", "US")["api_key"]
    queue = post(api, key, "/v1/queues", {"name": "Q", "uri": "sip:q@pbx.example"})
    number = buy(api, key)
    set_route(api, key, number["id"], {"type": "queue", "queue_id": queue["id"]})
    call = decided(api, key, number["e164"])
    assert (call["action"], call.get("selected")) == ("queue", None)
    someone, _ = api.new_user(key)
    answered = event(api, key, call["call_id"], "answered", someone["id"]).json()
    assert (answered["status"], answered["inbox_item_id"]) == ("answered", None)


def test_only_owners_and_admins_report_call_events_a2(api: Api, team: dict[str, Any]) -> None:
    call = ringing(api, team)
    ann, ann_key = team["agents"][0]
    refused = event(api, ann_key, call["call_id"], "answered", ann)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert inbox_of(api, ann_key) == []
    _, admin_key = api.new_user(team["key"], role="admin")
    reported = event(api, admin_key, call["call_id"], "answered", ann)
    assert (reported.status_code, reported.json()["status"]) == (200, "answered")
    assert inbox_of(api, ann_key) == [(call["inbox_item_id"], "answered")]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_agents_racing_to_claim_one_missed_call_exactly_one_wins_i8(api: Api) -> None:
    team = company_team(api, size=5)
    call = ringing(api, team)
    assert event(api, team["key"], call["call_id"], "ended").status_code == 200
    keys = [k for _, k in team["agents"]] * 4

    def one(key: str) -> tuple[int, str]:
        response = claim(api, key, call["inbox_item_id"], "call_back")
        return response.status_code, response.json().get("code", "won")

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = Counter(pool.map(one, keys))
    assert results == {(200, "won"): 1, (409, "already_claimed"): 19}
    owners = [k for _, k in team["agents"] if inbox_of(api, k)]
    assert len(owners) == 1

"""The inbox through the API: visibility, the claim and its race (rules I7, I8, I9, A2).

Answered calls go through ``POST /v1/calls/{call_id}/events``, as the PBX reports them.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from numberdesk.domain.errors import Problem
from numberdesk.domain.ids import new_id
from numberdesk.domain.inbox import ClaimAction, InboxItem, ItemStatus
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import inbox
from numberdesk.services.desk import Desk
from tests.conftest import Api, Clock
from tests.integration.helpers import add_number
from tests.integration.inbound_helpers import (
    CALLER,
    claim,
    company_team,
    count,
    decided,
    event,
    inbox_of,
)


def missed_call(desk: Desk, org_id: str, agents: list[str], caller: str = "+12125550142") -> str:
    """A missed call of a company number offered to ``agents`` (as the inbound path leaves it)."""
    number_id = add_number(desk, org_id)
    item = InboxItem(
        org_id, new_id("itm"), new_id("call"), number_id, caller, "voice", desk.now(),
        ItemStatus.UNCLAIMED, selected=agents, source="Lettings site", tag="lettings",
    )  # fmt: skip
    with desk.store.transaction() as tx:
        inbox.open_item(tx, item)
    return item.id


@pytest.fixture
def team(api: Api) -> dict[str, Any]:
    """An org with three agents (their users and keys)."""
    created = api.new_org("Lofty", "GB")
    agents = [api.new_user(created["api_key"]) for _ in range(3)]
    return {"org_id": created["org_id"], "key": created["api_key"], "agents": agents}


def ids_in(api: Api, key: str) -> list[str]:
    """The ids in an agent's inbox."""
    return [item for item, _ in inbox_of(api, key)]


def test_one_agent_claims_a_missed_call_and_it_leaves_the_others_inbox_i7_i8(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    (ann, ann_key), (bob, bob_key), (_, cid_key) = team["agents"]
    item = missed_call(desk, team["org_id"], [ann["id"], bob["id"]])
    assert (ids_in(api, ann_key), ids_in(api, bob_key), ids_in(api, cid_key)) == (
        [item], [item], [],
    )  # fmt: skip
    won = claim(api, bob_key, item, action="call_back")
    assert won.status_code == 200, won.text
    assert (won.json()["owner_id"], won.json()["status"]) == (bob["id"], "claimed")
    late = claim(api, ann_key, item, action="text_back")
    assert (late.status_code, late.json()["code"]) == (409, "already_claimed")
    assert (ids_in(api, ann_key), ids_in(api, bob_key)) == ([], [item])


def test_an_agent_who_was_not_offered_the_call_cannot_claim_it_i8(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    (ann, _), _, (_, cid_key) = team["agents"]
    item = missed_call(desk, team["org_id"], [ann["id"]])
    response = claim(api, cid_key, item, action="call_back")
    assert (response.status_code, response.json()["code"]) == (403, "not_selected")
    other = api.new_org("Other")["api_key"]
    assert claim(api, other, item, action="call_back").status_code == 404


def test_a_contact_made_from_an_unknown_caller_gets_the_numbers_source_and_tag_i9(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    (ann, ann_key), _, _ = team["agents"]
    item = missed_call(desk, team["org_id"], [ann["id"]])
    made = claim(api, ann_key, item, action="create_contact", contact_external_id="crm-77")
    assert made.status_code == 200, made.text
    contact = api.call("GET", "/v1/contacts/crm-77", ann_key).json()
    assert (contact["source"], contact["tags"]) == ("Lettings site", ["lettings"])
    assert (contact["phones"], contact["primary_agent_id"]) == (["+12125550142"], ann["id"])
    assert "created from the voice" in contact["timeline"][0]["text"]


def test_linking_adds_the_numbers_source_and_tag_as_tags_keeping_the_contacts_source_i9(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    (ann, ann_key), _, _ = team["agents"]
    body = {"name": "Jo", "phones": ["+447911123456"], "primary_agent_id": ann["id"]}
    put = api.call("PUT", "/v1/contacts/crm-5", team["key"], json={**body, "source": "Referral"})
    assert put.status_code == 201, put.text
    item = missed_call(desk, team["org_id"], [ann["id"]])
    linked = claim(api, ann_key, item, action="link_contact", contact_external_id="crm-5")
    assert linked.status_code == 200, linked.text
    contact = api.call("GET", "/v1/contacts/crm-5", ann_key).json()
    assert (contact["source"], contact["tags"]) == ("Referral", ["Lettings site", "lettings"])
    assert contact["phones"] == ["+12125550142", "+447911123456"]


def test_bad_claims_are_refused_and_leave_the_item_unclaimed_i8(
    api: Api, desk: Desk, team: dict[str, Any]
) -> None:
    (ann, ann_key), _, _ = team["agents"]
    item = missed_call(desk, team["org_id"], [ann["id"]])
    assert claim(api, ann_key, item, action="wave").status_code == 422
    assert claim(api, ann_key, item, action="link_contact").status_code == 422
    missing = claim(api, ann_key, item, action="link_contact", contact_external_id="nope")
    assert missing.status_code == 404
    slashed = claim(api, ann_key, item, action="create_contact", contact_external_id="a/b")
    assert slashed.status_code == 422
    assert slashed.json()["errors"][0]["field"] == "contact_external_id"
    body = {"name": "Jo", "phones": ["+447911123456"], "primary_agent_id": ann["id"]}
    assert api.call("PUT", "/v1/contacts/crm-5", team["key"], json=body).status_code == 201
    taken = claim(api, ann_key, item, action="create_contact", contact_external_id="crm-5")
    assert (taken.status_code, taken.json()["code"]) == (409, "contact_exists")
    assert api.call("GET", "/v1/contacts/crm-5", ann_key).json()["phones"] == ["+447911123456"]
    assert claim(api, ann_key, "itm_nope", action="call_back").status_code == 404
    assert claim(api, ann_key, item, action="call_back").status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_exactly_one_of_many_simultaneous_claims_wins_i8(api: Api, desk: Desk) -> None:
    created = api.new_org("Race", "US")
    agents = [api.new_user(created["api_key"])[0]["id"] for _ in range(5)]
    items = [missed_call(desk, created["org_id"], agents) for _ in range(20)]

    def attempt(pair: tuple[str, str]) -> str:
        item_id, agent_id = pair
        actor = Actor(created["org_id"], agent_id, Role.AGENT)
        try:
            inbox.claim_item(desk, actor, item_id, ClaimAction.CALL_BACK)
        except Problem as problem:
            return problem.code
        return "won"

    pairs = [(i, a) for i in items for a in agents for _ in range(2)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, pairs))
    per_item = Counter(item for (item, _), r in zip(pairs, results, strict=True) if r == "won")
    assert per_item == dict.fromkeys(items, 1)
    assert Counter(results) == {"won": 20, "already_claimed": 180}


@pytest.fixture
def answered(api: Api) -> dict[str, Any]:
    """A company number blasting three agents, with a tagged source; Ann answered a call."""
    team = company_team(api, source="Lettings site", tag="lettings")
    (ann, _), *_ = team["agents"]
    call = decided(api, team["key"], team["number"]["e164"], CALLER)
    assert event(api, team["key"], call["call_id"], "answered", ann).status_code == 200
    return {**team, "item": call["inbox_item_id"]}


def test_the_answering_agent_follows_up_their_call_and_it_stays_theirs_alone_i7_i8(
    api: Api, answered: dict[str, Any]
) -> None:
    (ann, ann_key), (_, bob_key), _ = answered["agents"]
    item = answered["item"]
    done = claim(api, ann_key, item, action="call_back")
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["status"], body["owner_id"], body["claim_action"]) == ("claimed", ann, "call_back")
    assert (ids_in(api, ann_key), ids_in(api, bob_key)) == ([item], [])


def test_other_agents_cannot_act_on_an_answered_call_and_are_told_why_i7_i8(
    api: Api, answered: dict[str, Any]
) -> None:
    (ann, ann_key), (_, bob_key), _ = answered["agents"]
    item = answered["item"]
    offered = claim(api, bob_key, item, action="call_back")
    assert (offered.status_code, offered.json()["code"]) == (409, "already_claimed")
    assert "Another agent answered" in offered.json()["detail"]
    _, outsider_key = api.new_user(answered["key"])
    never = claim(api, outsider_key, item, action="text_back")
    assert (never.status_code, never.json()["code"]) == (403, "not_selected")
    mine = api.call("GET", "/v1/inbox", ann_key).json()["items"]
    assert [(i["id"], i["status"], i["owner_id"]) for i in mine] == [(item, "answered", ann)]
    assert claim(api, ann_key, item, action="text_back").status_code == 200


def test_a_contact_made_from_an_answered_call_gets_the_numbers_source_and_tag_i9(
    api: Api, answered: dict[str, Any]
) -> None:
    (ann, ann_key), _, _ = answered["agents"]
    made = claim(api, ann_key, answered["item"], action="create_contact", contact_external_id="c9")
    assert made.status_code == 200, made.text
    assert (made.json()["claim_action"], made.json()["status"]) == ("create_contact", "claimed")
    contact = api.call("GET", "/v1/contacts/c9", ann_key).json()
    assert (contact["source"], contact["tags"]) == ("Lettings site", ["lettings"])
    assert (contact["phones"], contact["primary_agent_id"]) == ([CALLER], ann)
    assert made.json()["contact_id"] == contact["id"]


def test_linking_from_an_answered_call_adds_the_numbers_source_and_tag_as_tags_i9(
    api: Api, answered: dict[str, Any]
) -> None:
    (ann, ann_key), _, _ = answered["agents"]
    body = {
        "name": "Jo",
        "phones": ["+447911123456"],
        "primary_agent_id": ann,
        "source": "Referral",
    }
    assert api.call("PUT", "/v1/contacts/crm-5", answered["key"], json=body).status_code == 201
    linked = claim(
        api, ann_key, answered["item"], action="link_contact", contact_external_id="crm-5"
    )
    assert linked.status_code == 200, linked.text
    contact = api.call("GET", "/v1/contacts/crm-5", ann_key).json()
    assert (contact["source"], contact["tags"]) == ("Referral", ["Lettings site", "lettings"])
    assert linked.json()["contact_id"] == contact["id"]


def test_after_calling_back_the_owner_may_still_save_the_caller_but_not_repeat_the_claim_i8_i9(
    api: Api, answered: dict[str, Any]
) -> None:
    (ann, ann_key), _, _ = answered["agents"]
    item = answered["item"]
    assert claim(api, ann_key, item, action="call_back").status_code == 200
    again = claim(api, ann_key, item, action="text_back")
    assert (again.status_code, again.json()["code"]) == (409, "already_claimed")
    assert "You already claimed" in again.json()["detail"]
    saved = claim(api, ann_key, item, action="create_contact", contact_external_id="crm-8")
    assert saved.status_code == 200, saved.text
    assert (saved.json()["claim_action"], saved.json()["owner_id"]) == ("call_back", ann)
    contact = api.call("GET", "/v1/contacts/crm-8", ann_key).json()
    assert (saved.json()["contact_id"], contact["source"]) == (contact["id"], "Lettings site")
    twice = claim(api, ann_key, item, action="link_contact", contact_external_id="crm-8")
    assert (twice.status_code, twice.json()["code"]) == (409, "already_claimed")
    assert "already made" in twice.json()["detail"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_the_answering_agents_simultaneous_actions_claim_once_and_make_one_contact_i8_i9(
    api: Api, desk: Desk, answered: dict[str, Any]
) -> None:
    (_, ann_key), _, _ = answered["agents"]
    item = answered["item"]

    def act(body: dict[str, Any]) -> tuple[int, str]:
        response = claim(api, ann_key, item, **body)
        return response.status_code, response.json().get("code", "won")

    backs = [{"action": a} for a in ("call_back", "text_back") for _ in range(5)]
    saves = [{"action": "create_contact", "contact_external_id": f"crm-{n}"} for n in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        assert Counter(pool.map(act, backs)) == {(200, "won"): 1, (409, "already_claimed"): 9}
        assert Counter(pool.map(act, saves)) == {(200, "won"): 1, (409, "already_claimed"): 9}
    assert count(desk, "contacts") == 1


def test_a_call_whose_end_never_came_is_a_missed_call_once_it_cannot_still_be_ringing_i7_i10(
    api: Api, desk: Desk, clock: Clock
) -> None:
    """The PBX's ``ended`` event got lost: while the call could still be ringing it is in
    nobody's inbox; after the longest a call may last (I10) every selected agent sees it as
    missed, and the first to act claims it (I7, I8)."""
    team = company_team(api)
    (ann, ann_key), (_, bob_key), _ = team["agents"]
    item = decided(api, team["key"], team["number"]["e164"], CALLER)["inbox_item_id"]
    clock.at += timedelta(minutes=desk.settings.max_call_minutes - 1)
    assert (ids_in(api, ann_key), ids_in(api, bob_key)) == ([], [])
    early = claim(api, ann_key, item, action="call_back")
    assert (early.status_code, early.json()["code"]) == (409, "still_ringing")
    clock.at += timedelta(minutes=1)
    missed = [(item, "unclaimed")]
    assert (inbox_of(api, ann_key), inbox_of(api, bob_key)) == (missed, missed)
    won = claim(api, ann_key, item, action="call_back")
    assert (won.status_code, won.json()["owner_id"]) == (200, ann)
    assert (inbox_of(api, ann_key), inbox_of(api, bob_key)) == ([(item, "claimed")], [])

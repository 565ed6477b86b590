"""The seed stories of issue 5, end to end through the HTTP API only (rules I2-I9, S3).

The PBX (an owner's key) asks ``POST /v1/decisions/inbound`` and reports call events;
agents read ``GET /v1/inbox`` and claim; contacts come from the CRM and show a timeline.

- LeadDesk 2-way VoIP: a lead calling back an agent's own number reaches that agent (I2, I3).
- Insellerate local presence: a borrower calling back reaches the last user who called them,
  on the user's work phone; nobody called: the fallback route (I2, I3).
- LoftyWorks company number: known callers go to the contact's owner (I4); unknown callers
  follow the rule in force in the org's time zone (I5, I6); missed calls wait for exactly one
  claim (I7, I8); a contact made from a claim gets the number's source and tag (I9); texts go
  to every selected agent at once (S3).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Api, Clock
from tests.integration.helpers import post
from tests.integration.inbound_helpers import (
    buy,
    claim,
    decided,
    event,
    set_presence,
    set_route,
)

LEAD = "+358401234567"  # a Finnish mobile
BORROWER = "+12125550142"  # a New York borrower
CALLER = "+447911123456"  # a UK mobile
# Monday 6 July 2026: London is on summer time (UTC+1), so UTC and local time differ.
IN_OFFICE_HOURS = datetime(2026, 7, 6, 8, 30, tzinfo=UTC)  # 09:30 in London
AFTER_OFFICE_HOURS = datetime(2026, 7, 6, 16, 30, tzinfo=UTC)  # 17:30 in London


# -- small helpers ---------------------------------------------------------------------------


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    """Assert the status; the JSON body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(response: Any, status: int, code: str) -> None:
    """Assert a problem document with this status and code."""
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def targets(decision: dict[str, Any]) -> list[dict[str, Any]]:
    """The decision's targets, without the fields left empty."""
    return [{k: v for k, v in t.items() if v is not None} for t in decision["targets"]]


def inbox(api: Api, key: str) -> dict[str, dict[str, Any]]:
    """An agent's inbox, by item id."""
    return {i["id"]: i for i in ok(api.call("GET", "/v1/inbox", key))["items"]}


def contact(api: Api, key: str, external_id: str, **body: Any) -> dict[str, Any]:
    """Upsert a contact from the CRM."""
    response = api.call("PUT", f"/v1/contacts/{external_id}", key, json=body)
    assert response.status_code in (200, 201), response.text
    made: dict[str, Any] = response.json()
    return made


def timeline(api: Api, key: str, external_id: str) -> list[dict[str, Any]]:
    """A contact's timeline."""
    entries: list[dict[str, Any]] = ok(api.call("GET", f"/v1/contacts/{external_id}", key))[
        "timeline"
    ]
    return entries


def ring(agent: dict[str, Any], *, phone: bool = False) -> dict[str, Any]:
    """The target that rings an agent's extension (or work phone)."""
    where = {"number": agent["work_phone"]} if phone else {"uri": agent["extension"]}
    return {"type": "agent", "agent_id": agent["id"], **where}


# -- LeadDesk: 2-way VoIP, one number per agent (I2, I3) -------------------------------------


@pytest.fixture
def leaddesk(api: Api) -> dict[str, Any]:
    """A Finnish org; agent Aino calls out with her own number, which routes back to her."""
    key = api.new_org("LeadDesk Oy", "FI", timezone="Europe/Helsinki")["api_key"]
    number = buy(api, key, area_code="9", country="FI")
    aino, _ = api.new_user(
        key,
        name="Aino",
        extension="sip:aino@pbx.leaddesk.example",
        caller_id=number["e164"],
        voicemail_email="aino@leaddesk.example",
        greeting_url="https://leaddesk.example/greetings/aino.mp3",
    )
    colleague, _ = api.new_user(key, name="Eero", extension="sip:eero@pbx.leaddesk.example")
    set_presence(api, key, colleague["id"], "available")  # never rung: the route names Aino
    set_route(api, key, number["id"], {"type": "agent", "agent_id": aino["id"]})
    return {"key": key, "to": number["e164"], "aino": aino}


def test_leaddesk_lead_calling_back_rings_the_agent_who_owns_the_number_i2_i3(
    api: Api, leaddesk: dict[str, Any]
) -> None:
    key, aino = leaddesk["key"], leaddesk["aino"]
    set_presence(api, key, aino["id"], "available")
    decision = decided(api, key, leaddesk["to"], LEAD)
    assert (decision["action"], decision["reason"]) == ("ring", "agent_available")
    assert targets(decision) == [ring(aino)]
    assert decision["call_id"]
    assert decision.get("inbox_item_id") is None  # not a company number: no inbox item


def test_leaddesk_lead_hears_a_busy_tone_while_the_agent_is_on_another_call_i3(
    api: Api, leaddesk: dict[str, Any]
) -> None:
    key, aino = leaddesk["key"], leaddesk["aino"]
    set_presence(api, key, aino["id"], "available")
    assert decided(api, key, leaddesk["to"], LEAD)["action"] == "ring"
    set_presence(api, key, aino["id"], "busy")  # presence is read per call, not cached
    decision = decided(api, key, leaddesk["to"], LEAD)
    assert (decision["action"], decision["reason"]) == ("busy", "agent_busy")
    assert decision["targets"] == []
    assert decision["trace"][-1]["result"] == "refused"
    assert "I3" in decision["trace"][-1]["reason"]


def test_leaddesk_lead_reaches_the_agents_voicemail_and_greeting_when_she_is_logged_out_i3(
    api: Api, leaddesk: dict[str, Any]
) -> None:
    key, aino = leaddesk["key"], leaddesk["aino"]
    set_presence(api, key, aino["id"], "available")
    assert decided(api, key, leaddesk["to"], LEAD)["action"] == "ring"
    set_presence(api, key, aino["id"], "logged_out")
    decision = decided(api, key, leaddesk["to"], LEAD)
    assert (decision["action"], decision["reason"]) == ("voicemail", "agent_logged_out")
    voicemail = {
        "type": "voicemail",
        "agent_id": aino["id"],
        "email": "aino@leaddesk.example",
        "greeting_url": "https://leaddesk.example/greetings/aino.mp3",
    }
    assert targets(decision) == [voicemail]
    # Her not-reachable destination may be a number instead of the e-mail box.
    changed = {"not_reachable_number": "+358501234567"}
    ok(api.call("PATCH", f"/v1/users/{aino['id']}", key, json=changed))
    decision = decided(api, key, leaddesk["to"], LEAD)
    assert (decision["action"], decision["reason"]) == ("voicemail", "agent_logged_out")
    assert targets(decision) == [
        {"type": "number", "agent_id": aino["id"], "number": "+358501234567"}
    ]


# -- Insellerate: the borrower calls back a local-presence number (I2, I3) -------------------


@pytest.fixture
def insellerate(api: Api, clock: Clock) -> dict[str, Any]:
    """A US lender: a New York local-presence number and a Chicago number, both routed to the
    last user who called the borrower from any of our numbers, on the work phone, falling back
    to the loan officers' queue; two loan officers, logged in."""
    key = api.new_org("Insellerate Lending", "US", timezone="America/Chicago")["api_key"]
    local, chicago = buy(api, key), buy(api, key, area_code="312")
    queue = post(api, key, "/v1/queues", {"name": "Loan officers", "uri": "sip:loans@pbx.test"})
    users: dict[str, dict[str, Any]] = {}
    for name, phone in (("alice", "+13125550101"), ("bob", "+13125550102")):
        user, _ = api.new_user(
            key, name=name.title(), extension=f"sip:{name}@pbx.test", work_phone=phone
        )
        set_presence(api, key, user["id"], "available")
        users[name] = user
    fallback = {"type": "queue", "queue_id": queue["id"]}
    last_caller = {
        "type": "last_caller",
        "scope": "any",
        "ring": "work_phone",
        "fallback": fallback,
    }
    for number in (local, chicago):
        set_route(api, key, number["id"], last_caller)
    return {"key": key, "local": local, "chicago": chicago, "queue": queue, **users}


def call_out(api: Api, key: str, clock: Clock, agent: dict[str, Any], to: str) -> str:
    """A user calls a borrower ten minutes after the last call; the caller ID shown."""
    clock.at += timedelta(minutes=10)
    body = {"agent_id": agent["id"], "to": to}
    caller_id: str = ok(api.call("POST", "/v1/decisions/outbound", key, json=body))["caller_id"]
    return caller_id


def test_insellerate_borrower_calling_back_reaches_the_last_caller_on_their_work_phone_i2_i3(
    api: Api, clock: Clock, insellerate: dict[str, Any]
) -> None:
    key, alice, bob = insellerate["key"], insellerate["alice"], insellerate["bob"]
    local = insellerate["local"]["e164"]
    assert call_out(api, key, clock, alice, BORROWER) == local  # local presence (O3)
    assert call_out(api, key, clock, bob, BORROWER) == local
    clock.at += timedelta(hours=1)
    decision = decided(api, key, local, BORROWER)
    assert (decision["action"], decision["reason"]) == ("ring", "agent_available")
    assert targets(decision) == [ring(bob, phone=True)]
    call_out(api, key, clock, alice, BORROWER)  # now Alice called last
    assert targets(decided(api, key, local, BORROWER)) == [ring(alice, phone=True)]


def test_insellerate_borrower_reaches_the_last_caller_on_any_of_our_numbers_with_scope_any_i2(
    api: Api, clock: Clock, insellerate: dict[str, Any]
) -> None:
    key, bob, chicago = insellerate["key"], insellerate["bob"], insellerate["chicago"]
    assert call_out(api, key, clock, bob, BORROWER) == insellerate["local"]["e164"]
    decision = decided(api, key, chicago["e164"], BORROWER)  # not the number Bob called from
    assert targets(decision) == [ring(bob, phone=True)]
    # With scope "number", only calls from the Chicago number count: nobody made one.
    fallback = {"type": "queue", "queue_id": insellerate["queue"]["id"]}
    own = {"type": "last_caller", "scope": "number", "ring": "work_phone", "fallback": fallback}
    set_route(api, key, chicago["id"], own)
    assert decided(api, key, chicago["e164"], BORROWER)["action"] == "queue"


def test_insellerate_borrower_nobody_called_goes_to_the_fallback_route_i2(
    api: Api, clock: Clock, insellerate: dict[str, Any]
) -> None:
    key, local = insellerate["key"], insellerate["local"]["e164"]
    call_out(api, key, clock, insellerate["alice"], "+12125550199")  # another borrower
    queue = insellerate["queue"]
    for caller in (BORROWER, "anonymous"):  # never called, or withheld
        decision = decided(api, key, local, caller)
        assert (decision["action"], decision["reason"]) == ("queue", "queue"), caller
        assert targets(decision) == [
            {"type": "queue", "queue_id": queue["id"], "uri": queue["uri"]}
        ]
        steps = [(t["step"], t["result"]) for t in decision["trace"]]
        assert ("last_caller", "no_match") in steps, steps
        assert ("fallback", "chosen") in steps, steps


# -- LoftyWorks: a company number (I4-I9, S3) ------------------------------------------------


@pytest.fixture
def lofty(api: Api, clock: Clock) -> dict[str, Any]:
    """A London lettings agency at 09:30 on a Monday: a company number whose unknown callers
    are blasted to five agents in office hours (Mon-Fri 09:00-17:00 London) and go to Dan
    otherwise. Of the five, Ann and Bob can answer; Cid is busy, Dee is outside her business
    hours (13:00-17:00), Eve is logged out."""
    clock.at = IN_OFFICE_HOURS
    key = api.new_org("LoftyWorks Lettings", "GB", timezone="Europe/London")["api_key"]
    number = buy(api, key, "omni", area_code="161", country="GB")  # calls and texts
    set_route(api, key, number["id"], {"type": "company"})
    afternoons = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "13:00", "end": "17:00"}]
    people: dict[str, tuple[dict[str, Any], str]] = {}
    for name, status in [
        ("ann", "available"),
        ("bob", "available"),
        ("cid", "busy"),
        ("dee", "available"),
        ("eve", "logged_out"),
        ("dan", "available"),
    ]:
        card: dict[str, Any] = {"name": name.title(), "extension": f"sip:{name}@pbx.lofty.example"}
        if name == "dee":
            card["business_hours"] = afternoons
        user, user_key = api.new_user(key, **card)
        set_presence(api, key, user["id"], status)
        people[name] = (user, user_key)
    team = [people[n][0]["id"] for n in ("ann", "bob", "cid", "dee", "eve")]
    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    office = {"name": "Office hours", "days": weekdays, "start": "09:00", "end": "17:00"}
    settings = {
        "source": "Rightmove",
        "tag": "lettings",
        "default_rule": {"action": "user", "agent_id": people["dan"][0]["id"]},
        "custom_rules": [{**office, "action": "blast", "agent_ids": team}],
    }
    ok(api.call("PUT", f"/v1/numbers/{number['id']}/company", key, json=settings))
    return {"key": key, "to": number["e164"], "number_id": number["id"], "team": team, **people}


def missed_call(api: Api, lofty: dict[str, Any]) -> dict[str, Any]:
    """An unknown caller is blasted in office hours and nobody answers; the decision."""
    decision: dict[str, Any] = decided(api, lofty["key"], lofty["to"], CALLER)
    assert (decision["action"], decision["reason"]) == ("ring", "blast"), decision
    ended = ok(event(api, lofty["key"], decision["call_id"], "ended"))
    assert (ended["status"], ended["answered_by"]) == ("ended", None)
    return decision


def test_lofty_known_caller_goes_to_the_contacts_owner_with_a_timeline_entry_i4(
    api: Api, lofty: dict[str, Any]
) -> None:
    key, (bob, _) = lofty["key"], lofty["bob"]
    # The CRM wrote the phone nationally; the PBX sends E.164 (N1).
    contact(api, key, "crm-1", name="Tenant", phones=["07911 123456"], primary_agent_id=bob["id"])
    decision = decided(api, key, lofty["to"], CALLER)  # office hours: unknown callers are blasted
    assert (decision["action"], decision["reason"]) == ("ring", "agent_available")
    assert targets(decision) == [ring(bob)]
    assert (decision["known_caller"], decision["selected"]) == (True, [bob["id"]])
    assert decision.get("inbox_item_id") is None  # a known caller is not an inbox item
    [entry] = timeline(api, key, "crm-1")
    assert (entry["kind"], entry["call_id"]) == ("inbound_call", decision["call_id"])
    assert CALLER in entry["text"]


def test_lofty_caller_on_several_contacts_of_one_agent_gets_an_entry_on_each_contact_i4(
    api: Api, clock: Clock, lofty: dict[str, Any]
) -> None:
    key, (bob, _) = lofty["key"], lofty["bob"]
    for external_id, phones in [
        ("crm-1", [CALLER]),
        ("crm-2", ["+447911123457", CALLER]),
        ("crm-3", ["+447911123457"]),  # another phone: no entry
    ]:
        clock.at += timedelta(minutes=1)
        contact(api, key, external_id, name=external_id, phones=phones, primary_agent_id=bob["id"])
    decision = decided(api, key, lofty["to"], CALLER)
    assert targets(decision) == [ring(bob)]
    assert (decision["known_caller"], decision["selected"]) == (True, [bob["id"]])
    for external_id in ("crm-1", "crm-2"):
        [entry] = timeline(api, key, external_id)
        assert (entry["kind"], entry["call_id"]) == ("inbound_call", decision["call_id"])
    assert timeline(api, key, "crm-3") == []


def test_lofty_caller_on_contacts_of_different_agents_goes_to_the_newest_contacts_agent_only_i4(
    api: Api, clock: Clock, lofty: dict[str, Any]
) -> None:
    key, (ann, _), (bob, _) = lofty["key"], lofty["ann"], lofty["bob"]
    contact(api, key, "crm-z", name="Old", phones=[CALLER], primary_agent_id=bob["id"])
    clock.at += timedelta(minutes=5)
    contact(api, key, "crm-a", name="New", phones=[CALLER], primary_agent_id=ann["id"])
    clock.at += timedelta(minutes=5)  # editing the old contact does not make it the newest
    contact(api, key, "crm-z", name="Old, edited", phones=[CALLER], primary_agent_id=bob["id"])
    decision = decided(api, key, lofty["to"], CALLER)
    assert targets(decision) == [ring(ann)]
    assert (decision["known_caller"], decision["selected"]) == (True, [ann["id"]])
    [entry] = timeline(api, key, "crm-a")
    assert (entry["kind"], entry["call_id"]) == ("inbound_call", decision["call_id"])
    assert timeline(api, key, "crm-z") == []


def test_lofty_unknown_caller_in_office_hours_is_blasted_to_the_available_agents_i5_i6(
    api: Api, lofty: dict[str, Any]
) -> None:
    (ann, _), (bob, _) = lofty["ann"], lofty["bob"]
    decision = decided(api, lofty["key"], lofty["to"], CALLER)  # 09:30 London, 08:30 UTC
    assert (decision["action"], decision["reason"]) == ("ring", "blast")
    assert (decision["known_caller"], decision["rule"]) == (False, "Office hours")
    assert decision["selected"] == lofty["team"]
    assert targets(decision) == [ring(ann), ring(bob)]  # not busy Cid, Dee, logged-out Eve
    skipped = [t["reason"] for t in decision["trace"] if t["result"] == "skipped"]
    for name in ("cid", "dee", "eve"):  # the trace says why each one did not ring
        assert any(lofty[name][0]["id"] in why for why in skipped), (name, skipped)
    assert decision["inbox_item_id"]


def test_lofty_unknown_caller_after_office_hours_goes_to_the_default_user_i5(
    api: Api, clock: Clock, lofty: dict[str, Any]
) -> None:
    clock.at = AFTER_OFFICE_HOURS  # 17:30 London, but still 16:30 UTC
    dan, _ = lofty["dan"]
    decision = decided(api, lofty["key"], lofty["to"], CALLER)
    assert (decision["action"], decision["reason"]) == ("ring", "agent_available")
    assert (decision["known_caller"], decision["rule"]) == (False, "default")
    assert decision["selected"] == [dan["id"]]
    assert targets(decision) == [ring(dan)]


def test_lofty_blast_nobody_can_take_is_missed_for_every_selected_agent_at_once_i6_i7(
    api: Api, lofty: dict[str, Any]
) -> None:
    key = lofty["key"]
    for name in ("ann", "bob"):
        set_presence(api, key, lofty[name][0]["id"], "busy")
    decision = decided(api, key, lofty["to"], CALLER)
    assert (decision["action"], decision["reason"]) == ("busy", "nobody_available")
    assert decision["selected"] == lofty["team"]
    item_id = decision["inbox_item_id"]
    for name in ("ann", "bob", "cid", "dee", "eve"):
        assert inbox(api, lofty[name][1])[item_id]["status"] == "unclaimed", name
    assert item_id not in inbox(api, lofty["dan"][1])


def test_lofty_unanswered_blast_lands_unclaimed_in_every_selected_agents_inbox_i7(
    api: Api, lofty: dict[str, Any]
) -> None:
    key, (_, ann_key) = lofty["key"], lofty["ann"]
    decision = decided(api, key, lofty["to"], CALLER)
    item_id = decision["inbox_item_id"]
    assert item_id not in inbox(api, ann_key)  # still ringing: in nobody's inbox yet
    ended = ok(event(api, key, decision["call_id"], "ended"))
    assert (ended["status"], ended["answered_by"]) == ("ended", None)
    assert (ended["call_id"], ended["inbox_item_id"]) == (decision["call_id"], item_id)
    for name in ("ann", "bob", "cid", "dee", "eve"):  # the ones who did not ring too
        item = inbox(api, lofty[name][1])[item_id]
        assert (item["status"], item["owner_id"]) == ("unclaimed", None), name
        assert (item["caller"], item["channel"]) == (CALLER, "voice")
        assert (item["call_id"], item["number_id"]) == (decision["call_id"], lofty["number_id"])
    assert item_id not in inbox(api, lofty["dan"][1])  # not selected
    refused(event(api, key, decision["call_id"], "ended"), 409, "call_ended")


def test_lofty_exactly_one_agent_claims_the_missed_call_and_it_leaves_the_others_inbox_i8(
    api: Api, lofty: dict[str, Any]
) -> None:
    item_id = missed_call(api, lofty)["inbox_item_id"]
    (bob, bob_key), (_, dan_key) = lofty["bob"], lofty["dan"]
    refused(claim(api, dan_key, item_id, "call_back"), 403, "not_selected")
    won = ok(claim(api, bob_key, item_id, "call_back"))
    assert (won["status"], won["owner_id"], won["claim_action"]) == (
        "claimed", bob["id"], "call_back",
    )  # fmt: skip
    for name in ("ann", "cid", "dee", "eve"):
        refused(claim(api, lofty[name][1], item_id, "text_back"), 409, "already_claimed")
        assert item_id not in inbox(api, lofty[name][1]), name
    assert inbox(api, bob_key)[item_id]["status"] == "claimed"


def test_lofty_answered_blast_is_visible_to_the_answering_agent_only_i7(
    api: Api, lofty: dict[str, Any]
) -> None:
    key, (bob, bob_key), (dan, _) = lofty["key"], lofty["bob"], lofty["dan"]
    decision = decided(api, key, lofty["to"], CALLER)
    call_id, item_id = decision["call_id"], decision["inbox_item_id"]
    refused(event(api, key, call_id, "answered", dan["id"]), 422, "not_selected")
    answered = ok(event(api, key, call_id, "answered", bob["id"]))
    assert (answered["status"], answered["answered_by"]) == ("answered", bob["id"])
    refused(event(api, key, call_id, "answered", lofty["ann"][0]["id"]), 409, "already_answered")
    assert ok(event(api, key, call_id, "ended"))["status"] == "ended"
    item = inbox(api, bob_key)[item_id]
    assert (item["status"], item["owner_id"]) == ("answered", bob["id"])
    for name in ("ann", "cid", "dee", "eve", "dan"):
        assert item_id not in inbox(api, lofty[name][1]), name
    refused(claim(api, lofty["ann"][1], item_id, "call_back"), 409, "already_claimed")


def test_lofty_contact_created_from_a_claim_gets_the_numbers_source_and_tag_i9(
    api: Api, lofty: dict[str, Any]
) -> None:
    key, (ann, ann_key) = lofty["key"], lofty["ann"]
    item_id = missed_call(api, lofty)["inbox_item_id"]
    made = ok(claim(api, ann_key, item_id, "create_contact", contact_external_id="crm-new"))
    assert (made["owner_id"], made["claim_action"]) == (ann["id"], "create_contact")
    created = ok(api.call("GET", "/v1/contacts/crm-new", ann_key))
    assert (created["source"], created["tags"]) == ("Rightmove", ["lettings"])
    assert (created["phones"], created["primary_agent_id"]) == ([CALLER], ann["id"])
    assert made["contact_id"] == created["id"]
    # From now on the caller is known: the next call goes to Ann, not to the blast (I4).
    decision = decided(api, key, lofty["to"], CALLER)
    assert targets(decision) == [ring(ann)]
    assert (decision["known_caller"], decision["selected"]) == (True, [ann["id"]])
    calls = [(e["kind"], e["call_id"]) for e in timeline(api, key, "crm-new")]
    assert ("inbound_call", decision["call_id"]) in calls, calls
    assert [kind for kind, _ in calls].count("inbound_call") == 1, calls


def test_lofty_text_from_an_unknown_number_lands_in_every_selected_agents_inbox_at_once_s3(
    api: Api, lofty: dict[str, Any]
) -> None:
    key = lofty["key"]
    decision = decided(api, key, lofty["to"], CALLER, channel="sms")
    assert (decision["action"], decision["reason"]) == ("ring", "text_to_agents")
    assert decision["selected"] == lofty["team"]
    assert targets(decision) == [{"type": "agent", "agent_id": a} for a in lofty["team"]]
    item_id = decision["inbox_item_id"]
    for name in ("ann", "bob", "cid", "dee", "eve"):  # busy or logged out too, no events
        item = inbox(api, lofty[name][1])[item_id]
        assert (item["status"], item["channel"]) == ("unclaimed", "sms"), name
    assert item_id not in inbox(api, lofty["dan"][1])
    ok(claim(api, lofty["eve"][1], item_id, "text_back"))
    refused(claim(api, lofty["ann"][1], item_id, "call_back"), 409, "already_claimed")
    assert item_id not in inbox(api, lofty["ann"][1])

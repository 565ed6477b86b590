"""The sender of an outbound text through the API (rules S1, S2, N2, A1, A2)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

TEXT = "/v1/decisions/text"


def buy(api: Api, key: str, kind: str) -> dict[str, Any]:
    """Buy one New York number of ``kind``; the new number."""
    body = {"country": "US", "area_code": "212", "kind": kind, "quantity": 1}
    response = api.call("POST", "/v1/number-orders", key, json=body)
    assert response.status_code == 201, response.text
    number: dict[str, Any] = response.json()["numbers"][0]
    return number


def assign(api: Api, key: str, user_id: str, **numbers: str | None) -> None:
    """Set a user's personal and/or company number."""
    response = api.call("PUT", f"/v1/users/{user_id}/numbers", key, json=numbers)
    assert response.status_code == 200, response.text


def decide(api: Api, key: str, **body: Any) -> Any:
    """Ask for the sender of a text."""
    return api.call("POST", TEXT, key, json=body)


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """An org with an sms personal number, an omni company number and a voice number, and an
    agent holding the first two."""
    key = api.new_org("Texters", "US")["api_key"]
    sms, omni, voice = buy(api, key, "sms"), buy(api, key, "omni"), buy(api, key, "voice")
    agent, agent_key = api.new_user(key)
    assign(api, key, agent["id"], personal_number_id=sms["id"], company_number_id=omni["id"])
    return {
        "key": key,
        "agent": agent,
        "agent_key": agent_key,
        "sms": sms,
        "omni": omni,
        "voice": voice,
    }


def test_manual_text_uses_the_personal_or_company_number_the_agent_chose_and_writes_nothing_s1(
    api: Api, org: dict[str, Any]
) -> None:
    me, key = org["agent"]["id"], org["agent_key"]
    audited = api.audit_count(org["key"])
    personal = decide(api, key, user_id=me, mode="manual", **{"from": org["sms"]["e164"]})
    assert personal.status_code == 200, personal.text
    body = personal.json()
    assert (body["sender"], body["number_id"], body["step"]) == (
        org["sms"]["e164"],
        org["sms"]["id"],
        "manual",
    )
    national = org["omni"]["e164"].removeprefix("+1")
    company = decide(api, key, user_id=me, mode="manual", **{"from": national}).json()
    assert (company["sender"], company["number_id"]) == (org["omni"]["e164"], org["omni"]["id"])
    assert api.audit_count(org["key"]) == audited  # a decision writes nothing


def test_manual_text_from_a_number_the_agent_may_not_use_is_403_naming_options_s1(
    api: Api, org: dict[str, Any]
) -> None:
    me, key = org["agent"]["id"], org["agent_key"]
    other = buy(api, org["key"], "sms")
    refused = decide(api, key, user_id=me, mode="manual", **{"from": other["e164"]})
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "sender_not_allowed"
    assert org["sms"]["e164"] in body["detail"]
    assert org["omni"]["e164"] in body["detail"]
    assert {o["number_id"] for o in body["options"]} == {org["sms"]["id"], org["omni"]["id"]}


def test_manual_text_from_a_voice_only_number_is_403_n2_s1(api: Api, org: dict[str, Any]) -> None:
    key, me = org["key"], org["agent"]["id"]
    assign(api, key, me, personal_number_id=org["voice"]["id"])
    refused = decide(api, key, user_id=me, mode="manual", **{"from": org["voice"]["e164"]})
    assert refused.status_code == 403
    assert refused.json()["code"] == "sender_not_allowed"
    assert "voice number and cannot send texts" in refused.json()["detail"]


def test_manual_text_without_from_is_422_listing_the_options_s1(
    api: Api, org: dict[str, Any]
) -> None:
    refused = decide(api, org["agent_key"], user_id=org["agent"]["id"], mode="manual")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "sender_required"
    assert [o["e164"] for o in body["options"]] == [org["sms"]["e164"], org["omni"]["e164"]]


def test_auto_text_uses_sender_id_then_personal_then_company_number_s2(
    api: Api, org: dict[str, Any]
) -> None:
    key, me = org["key"], org["agent"]["id"]
    sender = buy(api, key, "sms")
    patched = api.call("PATCH", f"/v1/users/{me}", key, json={"sender_id": sender["e164"]})
    assert patched.status_code == 200, patched.text
    first = decide(api, key, user_id=me, mode="auto").json()
    assert (first["sender"], first["number_id"], first["step"]) == (
        sender["e164"],
        sender["id"],
        "sender_id",
    )
    cleared = api.call("PATCH", f"/v1/users/{me}", key, json={"sender_id": None})
    assert cleared.status_code == 200, cleared.text
    second = decide(api, key, user_id=me, mode="auto").json()
    assert (second["sender"], second["step"]) == (org["sms"]["e164"], "personal")
    assert [t["result"] for t in second["trace"]] == ["no_match", "chosen"]
    assign(api, key, me, personal_number_id=None)
    third = decide(api, key, user_id=me, mode="auto").json()
    assert (third["sender"], third["step"]) == (org["omni"]["e164"], "company")
    assert [t["step"] for t in third["trace"]] == ["sender_id", "personal", "company"]


def test_auto_text_skips_a_voice_only_personal_number_with_the_reason_n2_s2(
    api: Api, org: dict[str, Any]
) -> None:
    key, me = org["key"], org["agent"]["id"]
    assign(api, key, me, personal_number_id=org["voice"]["id"])
    answer = decide(api, org["agent_key"], user_id=me, mode="auto")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["sender"], body["step"]) == (org["omni"]["e164"], "company")
    skipped = body["trace"][1]
    assert (skipped["step"], skipped["result"]) == ("personal", "skipped")
    assert f"{org['voice']['e164']} is a voice number and cannot send texts" in skipped["reason"]


def test_auto_text_with_nothing_to_send_from_is_409_no_sender_with_trace_s2(
    api: Api, org: dict[str, Any]
) -> None:
    key = org["key"]
    user, _ = api.new_user(key)
    assign(api, key, user["id"], personal_number_id=org["voice"]["id"])
    refused = decide(api, key, user_id=user["id"], mode="auto")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "no_sender"
    assert [(t["step"], t["result"]) for t in body["trace"]] == [
        ("sender_id", "no_match"),
        ("personal", "skipped"),
        ("company", "no_match"),
    ]
    assert "voice number and cannot send texts" in body["trace"][1]["reason"]


def test_agent_may_not_ask_for_another_users_text_sender_a2(api: Api, org: dict[str, Any]) -> None:
    other, _ = api.new_user(org["key"])
    refused = decide(api, org["agent_key"], user_id=other["id"], mode="auto")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"


def test_another_orgs_user_or_an_unknown_user_is_404_a1(api: Api, org: dict[str, Any]) -> None:
    stranger_key = api.new_org("Elsewhere", "US")["api_key"]
    refused = decide(api, stranger_key, user_id=org["agent"]["id"], mode="auto")
    assert refused.status_code == 404
    assert refused.json()["code"] == "user_not_found"
    assert decide(api, org["key"], user_id="usr_nobody", mode="auto").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"mode": "sometimes"},
        {"mode": None},
        {"mode": "auto", "colour": "red"},
        {"mode": "auto", "from": "+12125550101"},
        {"mode": "manual", "from": "not a number"},
    ],
    ids=["unknown_mode", "no_mode", "unknown_field", "from_in_auto", "bad_from"],
)
def test_bad_mode_or_body_is_422(api: Api, org: dict[str, Any], body: dict[str, Any]) -> None:
    refused = decide(api, org["agent_key"], user_id=org["agent"]["id"], **body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["status"] == 422


def test_missing_user_id_is_422(api: Api, org: dict[str, Any]) -> None:
    refused = api.call("POST", TEXT, org["key"], json={"mode": "auto"})
    assert refused.status_code == 422
    assert "user_id" in {e["field"] for e in refused.json()["errors"]}


def test_auto_text_goes_out_under_the_agents_alphanumeric_sender_id_s2(
    api: Api, org: dict[str, Any]
) -> None:
    key, agent = org["key"], org["agent"]["id"]
    named = api.call("PATCH", f"/v1/users/{agent}", key, json={"sender_id": "ACME Loans"})
    assert named.status_code == 200, named.text
    answer = decide(api, key, user_id=agent, mode="auto").json()
    assert (answer["sender"], answer["step"]) == ("ACME Loans", "sender_id")


@pytest.mark.parametrize("name", ["ACME-LOANS!", "A much too long name", "12345"])
def test_a_sender_id_that_networks_cannot_carry_is_refused_s2(
    api: Api, org: dict[str, Any], name: str
) -> None:
    key, agent = org["key"], org["agent"]["id"]
    entries = api.audit_count(key)
    response = api.call("PATCH", f"/v1/users/{agent}", key, json={"sender_id": name})
    assert response.status_code == 422, response.text
    assert api.audit_count(key) == entries

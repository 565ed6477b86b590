"""Campaigns through the HTTP API: numbers, groups, caller-ID policy (rules N2, N12, O3, A1-A3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from numberdesk.domain.groups import MAX_DAILY_CAP
from numberdesk.services.desk import Desk
from tests.integration.helpers import add_number, audit, e164_of, post

if TYPE_CHECKING:
    from tests.conftest import Api


def campaigns(api: Api, key: str) -> list[dict[str, Any]]:
    """Every campaign of the org."""
    items: list[dict[str, Any]] = api.call("GET", "/v1/campaigns", key).json()["items"]
    return items


def test_campaign_lifecycle_with_numbers_groups_and_policy_n12_o3(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    direct, grouped, other = (add_number(desk, org["org_id"]) for _ in range(3))
    group = post(api, key, "/v1/groups", {"name": "Callers", "number_ids": [grouped]})

    campaign = post(
        api,
        key,
        "/v1/campaigns",
        {"name": "Spring", "number_ids": [direct], "group_ids": [group["id"]]},
    )
    assert campaign["number_ids"] == [direct]
    assert campaign["group_ids"] == [group["id"]]
    assert campaign["caller_id_policy"] is None  # the org default
    assert campaign["daily_cap"] is None
    assert campaign["sticky"] is True
    assert api.call("GET", f"/v1/campaigns/{campaign['id']}", key).json() == campaign
    assert campaigns(api, key) == [campaign]

    patched = api.call(
        "PATCH",
        f"/v1/campaigns/{campaign['id']}",
        key,
        json={
            "number_ids": [other],
            "caller_id_policy": ["campaign", "agent"],
            "daily_cap": 80,
            "sticky": False,
        },
    ).json()
    assert patched["number_ids"] == [other]
    assert patched["group_ids"] == [group["id"]]  # left out, so unchanged
    assert patched["caller_id_policy"] == ["campaign", "agent"]
    assert (patched["daily_cap"], patched["sticky"]) == (80, False)

    reset = api.call(
        "PATCH",
        f"/v1/campaigns/{campaign['id']}",
        key,
        json={"caller_id_policy": None, "daily_cap": None, "group_ids": []},
    ).json()
    assert (reset["caller_id_policy"], reset["daily_cap"], reset["group_ids"]) == (None, None, [])

    assert api.call("DELETE", f"/v1/campaigns/{campaign['id']}", key).status_code == 204
    gone = api.call("GET", f"/v1/campaigns/{campaign['id']}", key)
    assert (gone.status_code, gone.json()["code"]) == (404, "campaign_not_found")
    assert api.call("GET", f"/v1/groups/{group['id']}", key).json() == group  # groups stay
    entries = audit(api, key, "campaign")
    assert [e["action"] for e in entries] == ["create", "update", "update", "delete"]
    assert entries[1]["before"]["number_ids"] == [direct]
    assert entries[1]["after"]["caller_id_policy"] == ["campaign", "agent"]


def test_sms_number_is_refused_as_campaign_caller_id_n2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    sms = add_number(desk, org["org_id"], "sms")

    response = api.call("POST", "/v1/campaigns", key, json={"name": "Texts", "number_ids": [sms]})

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "capability_missing"
    assert e164_of(desk, org["org_id"], sms) in problem["detail"]
    assert "sms number" in problem["detail"]
    assert "N2" in problem["detail"]
    assert "voice or omni" in problem["detail"]  # what to do instead
    assert problem["number_id"] == sms
    assert problem["errors"][0]["field"] == "number_ids"
    assert campaigns(api, key) == []
    assert audit(api, key, "campaign") == []


def test_sms_number_in_a_group_is_refused_as_campaign_caller_id_n2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    voice, sms = add_number(desk, org["org_id"]), add_number(desk, org["org_id"], "sms")
    clean = post(api, key, "/v1/groups", {"name": "Voice only", "number_ids": [voice]})
    mixed = post(api, key, "/v1/groups", {"name": "Mixed", "number_ids": [voice, sms]})
    campaign = post(api, key, "/v1/campaigns", {"name": "Spring", "group_ids": [clean["id"]]})
    before = audit(api, key, "campaign")

    created = api.call(
        "POST", "/v1/campaigns", key, json={"name": "Autumn", "group_ids": [mixed["id"]]}
    )
    patched = api.call(
        "PATCH",
        f"/v1/campaigns/{campaign['id']}",
        key,
        json={"group_ids": [clean["id"], mixed["id"]]},
    )

    for response in (created, patched):
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "capability_missing"
        assert e164_of(desk, org["org_id"], sms) in problem["detail"]
        assert "group 'Mixed'" in problem["detail"]
        assert (problem["number_id"], problem["group_id"]) == (sms, mixed["id"])
        assert problem["errors"][0]["field"] == "group_ids"
    assert audit(api, key, "campaign") == before
    assert campaigns(api, key) == [campaign]


def test_masked_and_omni_numbers_can_be_campaign_caller_ids_n2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    masked, omni = (
        add_number(desk, org["org_id"], "masked"),
        add_number(desk, org["org_id"], "omni"),
    )
    pending = add_number(desk, org["org_id"], "masked", status="pending")

    made = post(
        api,
        org["api_key"],
        "/v1/campaigns",
        {"name": "Masked", "number_ids": [masked, omni, pending]},
    )

    assert sorted(made["number_ids"]) == sorted([masked, omni, pending])


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        (["local_presence", "teleport"], "'teleport'"),
        (["agent", "campaign", "agent"], "'agent' is listed twice"),
        ([], "at least one step"),
    ],
)
def test_bad_caller_id_policy_is_422_naming_the_step_o3(
    api: Api, policy: list[str], named: str
) -> None:
    key = api.new_org()["api_key"]
    campaign = post(api, key, "/v1/campaigns", {"name": "Spring"})
    before = audit(api, key, "campaign")

    created = api.call("POST", "/v1/campaigns", key, json={"name": "X", "caller_id_policy": policy})
    patched = api.call(
        "PATCH", f"/v1/campaigns/{campaign['id']}", key, json={"caller_id_policy": policy}
    )

    for response in (created, patched):
        assert response.status_code == 422
        assert named in response.json()["detail"]
        assert response.json()["errors"][0]["field"] == "caller_id_policy"
    assert audit(api, key, "campaign") == before
    assert campaigns(api, key) == [campaign]


@pytest.mark.parametrize("cap", [0, -5, 2.5, "10", True, MAX_DAILY_CAP + 1, 2**31, 10**30])
def test_daily_cap_must_be_a_whole_number_from_one_to_its_most_o6(api: Api, cap: object) -> None:
    key = api.new_org()["api_key"]
    capped = post(api, key, "/v1/campaigns", {"name": "Capped", "daily_cap": 5})

    created = api.call("POST", "/v1/campaigns", key, json={"name": "Other", "daily_cap": cap})
    patched = api.call("PATCH", f"/v1/campaigns/{capped['id']}", key, json={"daily_cap": cap})

    for response in (created, patched):
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "daily_cap"
    assert campaigns(api, key) == [capped]


def test_daily_cap_may_be_as_high_as_its_most_o6(api: Api) -> None:
    key = api.new_org()["api_key"]
    made = post(api, key, "/v1/campaigns", {"name": "Busy", "daily_cap": MAX_DAILY_CAP})
    assert made["daily_cap"] == MAX_DAILY_CAP


def test_duplicate_campaign_name_is_409_and_changes_nothing(api: Api) -> None:
    key = api.new_org()["api_key"]
    post(api, key, "/v1/campaigns", {"name": "Spring"})
    autumn = post(api, key, "/v1/campaigns", {"name": "Autumn"})
    before = audit(api, key, "campaign")

    created = api.call("POST", "/v1/campaigns", key, json={"name": "Spring"})
    renamed = api.call("PATCH", f"/v1/campaigns/{autumn['id']}", key, json={"name": "Spring"})

    for response in (created, renamed):
        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_name"
        assert "'Spring'" in response.json()["detail"]
    assert audit(api, key, "campaign") == before
    assert sorted(c["name"] for c in campaigns(api, key)) == ["Autumn", "Spring"]


def test_another_orgs_numbers_groups_and_campaigns_answer_404_a1(api: Api, desk: Desk) -> None:
    mine, theirs = api.new_org("Mine"), api.new_org("Theirs")
    their_number = add_number(desk, theirs["org_id"])
    their_group = post(api, theirs["api_key"], "/v1/groups", {"name": "G", "number_ids": []})
    their_campaign = post(api, theirs["api_key"], "/v1/campaigns", {"name": "C"})
    key = mine["api_key"]

    by_number = api.call(
        "POST", "/v1/campaigns", key, json={"name": "X", "number_ids": [their_number]}
    )
    by_group = api.call(
        "POST", "/v1/campaigns", key, json={"name": "X", "group_ids": [their_group["id"]]}
    )
    assert (by_number.status_code, by_number.json()["code"]) == (404, "number_not_found")
    assert (by_group.status_code, by_group.json()["code"]) == (404, "group_not_found")
    for method in ("GET", "PATCH", "DELETE"):
        response = api.call(method, f"/v1/campaigns/{their_campaign['id']}", key, json={})
        assert (response.status_code, response.json()["code"]) == (404, "campaign_not_found")

    assert campaigns(api, key) == []
    assert audit(api, key, "campaign") == []
    assert campaigns(api, theirs["api_key"]) == [their_campaign]


def test_agent_reads_campaigns_but_cannot_change_them_a2(api: Api) -> None:
    org = api.new_org()
    campaign = post(api, org["api_key"], "/v1/campaigns", {"name": "Spring"})
    user = post(
        api, org["api_key"], "/v1/users", {"name": "Bo", "email": "bo@example.com", "role": "agent"}
    )
    agent = post(api, org["api_key"], "/v1/api-keys", {"user_id": user["id"]})["api_key"]
    before = audit(api, org["api_key"], "campaign")

    assert campaigns(api, agent) == [campaign]
    assert api.call("GET", f"/v1/campaigns/{campaign['id']}", agent).json() == campaign
    changes = [
        api.call("POST", "/v1/campaigns", agent, json={"name": "Mine"}),
        api.call("PATCH", f"/v1/campaigns/{campaign['id']}", agent, json={"sticky": False}),
        api.call("DELETE", f"/v1/campaigns/{campaign['id']}", agent),
    ]

    for response in changes:
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert audit(api, org["api_key"], "campaign") == before
    assert campaigns(api, agent) == [campaign]


def test_malformed_json_is_400_and_changes_nothing(api: Api) -> None:
    key = api.new_org()["api_key"]
    campaign = post(api, key, "/v1/campaigns", {"name": "Spring"})
    headers = {"Content-Type": "application/json"}

    created = api.call("POST", "/v1/campaigns", key, content=b"{name: Spring}", headers=headers)
    patched = api.call(
        "PATCH", f"/v1/campaigns/{campaign['id']}", key, content=b'{"sticky": fal', headers=headers
    )

    for response in (created, patched):
        assert (response.status_code, response.json()["code"]) == (400, "malformed_json")
    assert campaigns(api, key) == [campaign]
    assert len(audit(api, key, "campaign")) == 1

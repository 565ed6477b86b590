"""Groups of numbers through the HTTP API (rules N2, N12, A1-A3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from numberdesk.services.desk import Desk
from numberdesk.store.groups import CampaignRepo, GroupRepo
from tests.integration.helpers import add_number, at_once, audit, e164_of

if TYPE_CHECKING:
    from tests.conftest import Api


def agent_key(api: Api, org: dict[str, str]) -> str:
    """A key of a new agent of the org."""
    user = api.call(
        "POST",
        "/v1/users",
        org["api_key"],
        json={"name": "Agent Ann", "email": "ann@example.com", "role": "agent"},
    )
    assert user.status_code == 201, user.text
    made = api.call("POST", "/v1/api-keys", org["api_key"], json={"user_id": user.json()["id"]})
    assert made.status_code == 201, made.text
    key: str = made.json()["api_key"]
    return key


def make_group(api: Api, key: str, name: str, number_ids: list[str]) -> dict[str, Any]:
    """Create a group and return it."""
    response = api.call("POST", "/v1/groups", key, json={"name": name, "number_ids": number_ids})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_group_lifecycle_is_audited_with_before_and_after_n12_a3(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    voice, sms, masked = (add_number(desk, org["org_id"], k) for k in ("voice", "sms", "masked"))

    group = make_group(api, key, "New York", [voice, sms])
    assert group["name"] == "New York"
    assert sorted(group["number_ids"]) == sorted([voice, sms])  # any kind of number
    assert group["id"].startswith("grp_")
    assert group["created_at"]

    assert api.call("GET", f"/v1/groups/{group['id']}", key).json() == group
    listed = api.call("GET", "/v1/groups", key).json()
    assert listed == {"items": [group], "next": None}

    patched = api.call(
        "PATCH",
        f"/v1/groups/{group['id']}",
        key,
        json={"name": "Manhattan", "number_ids": [masked]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Manhattan"
    assert patched.json()["number_ids"] == [masked]  # the set is replaced

    assert api.call("DELETE", f"/v1/groups/{group['id']}", key).status_code == 204
    gone = api.call("GET", f"/v1/groups/{group['id']}", key)
    assert gone.status_code == 404
    assert gone.json()["code"] == "group_not_found"

    entries = audit(api, key, "group")
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert entries[0]["after"]["name"] == "New York"
    assert entries[1]["before"]["number_ids"] == sorted([voice, sms])
    assert entries[1]["after"]["number_ids"] == [masked]
    assert entries[2]["before"]["name"] == "Manhattan"
    assert all(e["actor_user_id"] == org["owner_user_id"] for e in entries)


def test_group_list_pages_with_a_cursor(api: Api) -> None:
    key = api.new_org()["api_key"]
    names = [f"Group {i}" for i in range(5)]
    for name in names:
        make_group(api, key, name, [])

    first = api.call("GET", "/v1/groups?limit=3", key).json()
    rest = api.call("GET", f"/v1/groups?limit=3&cursor={first['next']}", key).json()

    assert len(first["items"]) == 3
    assert len(rest["items"]) == 2
    assert sorted(g["name"] for g in first["items"] + rest["items"]) == names
    assert rest["next"] is None


def test_duplicate_group_name_is_409_and_changes_nothing(api: Api) -> None:
    key = api.new_org()["api_key"]
    make_group(api, key, "Sales", [])
    other = make_group(api, key, "Support", [])
    before = audit(api, key, "group")

    created = api.call("POST", "/v1/groups", key, json={"name": "Sales", "number_ids": []})
    renamed = api.call("PATCH", f"/v1/groups/{other['id']}", key, json={"name": " Sales "})

    for response in (created, renamed):
        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_name"
        assert "'Sales'" in response.json()["detail"]
    assert audit(api, key, "group") == before
    names = [g["name"] for g in api.call("GET", "/v1/groups", key).json()["items"]]
    assert sorted(names) == ["Sales", "Support"]


def test_another_orgs_number_and_group_answer_404_a1(api: Api, desk: Desk) -> None:
    mine, theirs = api.new_org("Mine"), api.new_org("Theirs")
    their_number = add_number(desk, theirs["org_id"])
    their_group = make_group(api, theirs["api_key"], "Theirs", [their_number])
    key = mine["api_key"]
    group = make_group(api, key, "Mine", [])
    before = audit(api, key, "group")

    created = api.call("POST", "/v1/groups", key, json={"name": "X", "number_ids": [their_number]})
    patched = api.call(
        "PATCH", f"/v1/groups/{group['id']}", key, json={"number_ids": [their_number]}
    )
    assert created.status_code == patched.status_code == 404
    assert created.json()["code"] == patched.json()["code"] == "number_not_found"
    assert their_number in created.json()["detail"]
    for method in ("GET", "PATCH", "DELETE"):
        response = api.call(method, f"/v1/groups/{their_group['id']}", key, json={"name": "Y"})
        assert response.status_code == 404
        assert response.json()["code"] == "group_not_found"

    assert audit(api, key, "group") == before
    theirs_now = api.call("GET", f"/v1/groups/{their_group['id']}", theirs["api_key"]).json()
    assert theirs_now == their_group


def test_released_number_cannot_join_a_group_n8(api: Api, desk: Desk) -> None:
    org = api.new_org()
    released = add_number(desk, org["org_id"], status="released")

    response = api.call(
        "POST", "/v1/groups", org["api_key"], json={"name": "Old", "number_ids": [released]}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "number_not_live"
    assert e164_of(desk, org["org_id"], released) in response.json()["detail"]
    assert api.call("GET", "/v1/groups", org["api_key"]).json()["items"] == []


def test_agent_reads_groups_but_cannot_change_them_a2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    number = add_number(desk, org["org_id"])
    group = make_group(api, org["api_key"], "Sales", [number])
    agent = agent_key(api, org)
    before = audit(api, org["api_key"], "group")

    assert api.call("GET", "/v1/groups", agent).json()["items"] == [group]
    assert api.call("GET", f"/v1/groups/{group['id']}", agent).json() == group
    changes = [
        api.call("POST", "/v1/groups", agent, json={"name": "Mine", "number_ids": [number]}),
        api.call("PATCH", f"/v1/groups/{group['id']}", agent, json={"name": "Renamed"}),
        api.call("DELETE", f"/v1/groups/{group['id']}", agent),
    ]

    for response in changes:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert "owners and admins" in response.json()["detail"]
    assert audit(api, org["api_key"], "group") == before
    assert api.call("GET", f"/v1/groups/{group['id']}", agent).json() == group


def test_malformed_or_invalid_group_requests_are_refused_and_change_nothing(api: Api) -> None:
    key = api.new_org()["api_key"]
    group = make_group(api, key, "Sales", [])
    before = audit(api, key, "group")
    headers = {"Content-Type": "application/json"}

    malformed = api.call("POST", "/v1/groups", key, content=b'{"name": "X",', headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "malformed_json"
    for body in ({"name": "   "}, {"name": None}, {"number_ids": None}, {"colour": "red"}):
        response = api.call("PATCH", f"/v1/groups/{group['id']}", key, json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"]
    missing = api.call("POST", "/v1/groups", key, json={"number_ids": []})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "name"

    assert audit(api, key, "group") == before
    assert api.call("GET", f"/v1/groups/{group['id']}", key).json() == group


def test_sms_number_cannot_join_a_group_a_campaign_uses_n2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    voice, sms = add_number(desk, org["org_id"]), add_number(desk, org["org_id"], "sms")
    group = make_group(api, key, "Callers", [voice])
    campaign = api.call(
        "POST", "/v1/campaigns", key, json={"name": "Renewals", "group_ids": [group["id"]]}
    )
    assert campaign.status_code == 201, campaign.text
    before = audit(api, key, "group")

    response = api.call(
        "PATCH", f"/v1/groups/{group['id']}", key, json={"number_ids": [voice, sms]}
    )

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "capability_missing"
    assert e164_of(desk, org["org_id"], sms) in problem["detail"]
    assert "'Renewals'" in problem["detail"]
    assert "'Callers'" in problem["detail"]
    assert "N2" in problem["detail"]
    assert (problem["number_id"], problem["group_id"]) == (sms, group["id"])
    assert audit(api, key, "group") == before
    assert api.call("GET", f"/v1/groups/{group['id']}", key).json()["number_ids"] == [voice]


def test_deleting_a_group_takes_it_out_of_its_campaigns_n12(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    number = add_number(desk, org["org_id"])
    kept, doomed = make_group(api, key, "Kept", [number]), make_group(api, key, "Doomed", [number])
    made = api.call(
        "POST",
        "/v1/campaigns",
        key,
        json={"name": "Spring", "group_ids": [kept["id"], doomed["id"]]},
    )
    campaign = made.json()

    assert api.call("DELETE", f"/v1/groups/{doomed['id']}", key).status_code == 204

    now = api.call("GET", f"/v1/campaigns/{campaign['id']}", key).json()
    assert now["group_ids"] == [kept["id"]]
    change = audit(api, key, "campaign")[-1]
    assert change["action"] == "update"
    assert sorted(change["before"]["group_ids"]) == sorted([kept["id"], doomed["id"]])
    assert change["after"]["group_ids"] == [kept["id"]]
    assert api.call("GET", f"/v1/groups/{kept['id']}", key).json()["number_ids"] == [number]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_group_deleted_by_several_requests_at_once_is_deleted_once_n12_a3(
    api: Api, desk: Desk
) -> None:
    org = api.new_org()
    key = org["api_key"]
    group = make_group(api, key, "Doomed", [add_number(desk, org["org_id"])])
    path = f"/v1/groups/{group['id']}"

    answers = at_once(*[lambda: api.call("DELETE", path, key)] * 6)

    assert sorted(a.status_code for a in answers) == [204] + [404] * 5
    assert [e["action"] for e in audit(api, key, "group")].count("delete") == 1


def test_a_name_taken_by_a_concurrent_request_is_still_409_not_500(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = api.new_org()["api_key"]
    make_group(api, key, "Sales", [])
    make_group(api, key, "Support", [])
    api.call("POST", "/v1/campaigns", key, json={"name": "Spring"})
    before = audit(api, key, "group") + audit(api, key, "campaign")
    # The twin request passed the name check before this one wrote: the database decides.
    monkeypatch.setattr(GroupRepo, "by_name", lambda *_: None)
    monkeypatch.setattr(CampaignRepo, "by_name", lambda *_: None)
    group_id = api.call("GET", "/v1/groups", key).json()["items"][0]["id"]

    responses = [
        api.call("POST", "/v1/groups", key, json={"name": "Support", "number_ids": []}),
        api.call("PATCH", f"/v1/groups/{group_id}", key, json={"name": "Support"}),
        api.call("POST", "/v1/campaigns", key, json={"name": "Spring"}),
    ]

    for response in responses:
        assert (response.status_code, response.json()["code"]) == (409, "duplicate_name")
    assert audit(api, key, "group") + audit(api, key, "campaign") == before

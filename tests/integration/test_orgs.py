"""Organisations and API keys through the API (rules A1, A2, A3)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from numberdesk.domain.groups import MAX_DAILY_CAP
from numberdesk.domain.resting import MAX_REST_DAYS, MAX_SPAM_THRESHOLD
from numberdesk.services.desk import Desk
from tests.conftest import ADMIN_TOKEN, Api
from tests.integration.helpers import at_once


def test_platform_creates_org_with_owner_and_key_shown_once(api: Api) -> None:
    created = api.new_org("Acme", "US", timezone="America/New_York")
    assert created["api_key"].startswith("nd.")
    org = api.call("GET", "/v1/org", created["api_key"]).json()
    assert org["id"] == created["org_id"]
    assert (org["name"], org["country"], org["timezone"]) == ("Acme", "US", "America/New_York")
    assert org["caller_id_policy"] == ["local_presence", "agent", "campaign", "organisation"]
    owner = api.call("GET", f"/v1/users/{created['owner_user_id']}", created["api_key"]).json()
    assert owner["role"] == "owner"
    assert created["api_key"] not in str(api.call("GET", "/v1/audit", created["api_key"]).json())


def test_creating_orgs_needs_the_admin_token(api: Api) -> None:
    body = {"name": "Acme", "country": "US"}
    assert api.call("POST", "/v1/orgs", None, json=body).status_code == 401
    wrong = api.call("POST", "/v1/orgs", "not-the-token", json=body)
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_admin_token"
    assert wrong.headers["content-type"].startswith("application/problem+json")


def test_unknown_country_is_refused_with_the_fix(api: Api) -> None:
    response = api.call("POST", "/v1/orgs", ADMIN_TOKEN, json={"name": "X", "country": "ZZ"})
    assert response.status_code == 422
    assert response.json()["code"] == "unknown_country"
    assert "ISO 3166" in response.json()["detail"]


def test_unknown_timezone_is_refused(api: Api) -> None:
    body = {"name": "X", "country": "FI", "timezone": "Mars/Olympus"}
    response = api.call("POST", "/v1/orgs", ADMIN_TOKEN, json=body)
    assert response.status_code == 422
    assert "IANA" in response.json()["detail"]


def test_missing_or_bad_key_gets_401(api: Api) -> None:
    assert api.call("GET", "/v1/org").json()["code"] == "missing_api_key"
    assert api.call("GET", "/v1/org", "nd.org_x.nope").status_code == 401
    assert api.call("GET", "/v1/org", "garbage").status_code == 401


def test_owner_changes_caller_id_policy_and_it_is_audited_a3(api: Api) -> None:
    key = api.new_org()["api_key"]
    response = api.call("PATCH", "/v1/org", key, json={"caller_id_policy": ["agent", "campaign"]})
    assert response.status_code == 200
    assert response.json()["caller_id_policy"] == ["agent", "campaign"]
    entries = api.call("GET", "/v1/audit?entity=org", key).json()["items"]
    assert entries[-1]["action"] == "update"
    assert entries[-1]["before"]["caller_id_policy"][0] == "local_presence"
    assert entries[-1]["after"]["caller_id_policy"] == ["agent", "campaign"]


def test_policy_with_unknown_or_repeated_step_is_refused_o3(api: Api) -> None:
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    for policy in (["agent", "teleport"], ["agent", "agent"], []):
        response = api.call("PATCH", "/v1/org", key, json={"caller_id_policy": policy})
        assert response.status_code == 422, policy
    assert api.audit_count(key) == before


def test_default_caller_id_must_be_one_of_our_numbers(api: Api) -> None:
    key = api.new_org()["api_key"]
    response = api.call("PATCH", "/v1/org", key, json={"default_caller_id": "+12125550123"})
    assert response.status_code == 422
    assert "not one of your numbers" in response.json()["detail"]


def test_org_name_country_or_timezone_sent_as_null_is_refused_and_kept(api: Api) -> None:
    """The org keeps what a change leaves out; null for a setting every org has was a 500."""
    key = api.new_org()["api_key"]
    before, audited = api.call("GET", "/v1/org", key).json(), api.audit_count(key)
    for field in ("name", "country", "timezone"):
        response = api.call("PATCH", "/v1/org", key, json={field: None})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert api.call("GET", "/v1/org", key).json() == before
    assert api.audit_count(key) == audited


def test_caps_and_spam_settings_out_of_range_are_refused_and_kept_o6(api: Api) -> None:
    """Integers past what a setting can mean (or the database can hold) were a 500."""
    key = api.new_org()["api_key"]
    before, audited = api.call("GET", "/v1/org", key).json(), api.audit_count(key)
    most = {"daily_cap": MAX_DAILY_CAP, "spam_threshold": MAX_SPAM_THRESHOLD}
    most["spam_rest_days"] = MAX_REST_DAYS
    for field, highest in most.items():
        for value in (0, highest + 1, 2**31, 2**63, 10**30):
            response = api.call("PATCH", "/v1/org", key, json={field: value})
            assert response.status_code == 422, (field, value, response.text)
            assert response.json()["errors"][0]["field"] == field
            assert f"from 1 to {highest:,}" in response.json()["detail"]
    assert api.call("GET", "/v1/org", key).json() == before
    assert api.audit_count(key) == audited
    highest_of_all = api.call("PATCH", "/v1/org", key, json=most)
    assert highest_of_all.status_code == 200, highest_of_all.text
    assert {field: highest_of_all.json()[field] for field in most} == most


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_settings_changed_by_several_admins_at_once_are_all_kept(api: Api) -> None:
    """Each change wrote the whole org as it had read it, undoing the others made meanwhile."""
    key = api.new_org()["api_key"]
    changes: list[dict[str, Any]] = [
        {"name": "Renamed"},
        {"timezone": "Europe/Helsinki"},
        {"caller_id_policy": ["agent", "organisation"]},
        {"daily_cap": 40},
        {"spam_threshold": 7},
        {"spam_rest_days": 14},
    ]

    answers = at_once(*[lambda c=c: api.call("PATCH", "/v1/org", key, json=c) for c in changes])

    assert [a.status_code for a in answers] == [200] * len(changes)
    org = api.call("GET", "/v1/org", key).json()
    assert {k: org[k] for change in changes for k in change} == {
        k: v for change in changes for k, v in change.items()
    }


def test_agent_cannot_change_org_settings_a2(api: Api) -> None:
    owner = api.new_org()["api_key"]
    _, agent_key = api.new_user(owner)
    response = api.call("PATCH", "/v1/org", agent_key, json={"name": "Mine"})
    assert response.status_code == 403
    assert api.call("GET", "/v1/org", agent_key).json()["name"] == "Acme"


def test_api_key_is_stored_only_as_a_hash(api: Api, desk: Desk) -> None:
    created = api.new_org()
    with desk.store.engine.connect() as conn:
        stored = " ".join(str(row) for row in conn.execute(text("SELECT * FROM api_keys")))
    assert created["api_key"].split(".")[2] not in stored

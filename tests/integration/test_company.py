"""Company-number settings through the HTTP API: unknown-caller rules, source, tag, call limit.

Rules I5, I9, I10, I11, N2, A1-A3. Every refusal also proves that nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest

from numberdesk.services.desk import Desk
from tests.conftest import Api
from tests.integration.helpers import add_number, audit
from tests.integration.inbound_helpers import buy, set_route


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """An org with one agent and one New York number; ``settings`` give the number's unknown
    callers to that agent."""
    created = api.new_org()
    key = created["api_key"]
    agent, agent_key = api.new_user(key)
    return {
        **created,
        "key": key,
        "agent": agent["id"],
        "agent_key": agent_key,
        "number_id": buy(api, key)["id"],
        "settings": {"default_rule": {"action": "user", "agent_id": agent["id"]}},
    }


def put_company(api: Api, key: str, number_id: str, settings: dict[str, Any]) -> Any:
    """PUT /v1/numbers/{id}/company."""
    return api.call("PUT", f"/v1/numbers/{number_id}/company", key, json=settings)


def get_company(api: Api, key: str, number_id: str) -> Any:
    """GET /v1/numbers/{id}/company."""
    return api.call("GET", f"/v1/numbers/{number_id}/company", key)


def saved(api: Api, key: str, number_id: str, settings: dict[str, Any]) -> dict[str, Any]:
    """PUT settings that must be saved; the answer."""
    response = put_company(api, key, number_id, settings)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert a problem with this status and code; its body."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def refused_unchanged(
    api: Api,
    key: str,
    number_id: str,
    settings: dict[str, Any],
    status: int,
    code: str,
    *,
    by: str | None = None,
) -> dict[str, Any]:
    """PUT ``settings`` (with ``by``'s key, else ``key``), which must be refused with this status
    and code; prove that the number's settings and the org's audit log stayed as they were
    (rule: a refusal changes nothing). The problem body."""

    def state() -> tuple[int, Any, int]:
        shown = get_company(api, key, number_id)
        return shown.status_code, shown.json(), api.audit_count(key)

    before = state()
    body = refused(put_company(api, by or key, number_id, settings), status, code)
    assert state() == before
    return body


def rule(name: str, days: list[str], start: str, end: str, agent_id: str) -> dict[str, Any]:
    """A custom rule that gives the call to one user."""
    return {
        "name": name,
        "days": days,
        "start": start,
        "end": end,
        "action": "user",
        "agent_id": agent_id,
    }


def test_company_settings_are_saved_and_every_user_reads_them_i5_i11(api: Api) -> None:
    created = api.new_org()
    key = created["api_key"]
    first, first_key = api.new_user(key)
    second, _ = api.new_user(key)
    number_id = buy(api, key, kind="omni")["id"]
    settings = {
        "source": "Website",
        "tag": "inbound",
        "max_concurrent_calls": 20,
        "default_rule": {"action": "user", "agent_id": first["id"]},
        "custom_rules": [
            {
                "name": "Nights",
                "days": ["fri", "mon"],
                "start": "22:00",
                "end": "06:00",
                "action": "blast",
                "agent_ids": [first["id"], second["id"]],
            },
            {
                "name": "Lunch",
                "days": ["mon"],
                "start": "12:00",
                "end": "13:00",
                "action": "number",
                "number": "(212) 555-0199",
            },
        ],
    }
    body = saved(api, key, number_id, settings)
    assert body["number_id"] == number_id
    assert body["source"] == "Website"
    assert body["tag"] == "inbound"
    assert body["max_concurrent_calls"] == 20
    assert body["default_rule"] == {"action": "user", "agent_id": first["id"]}
    nights, lunch = body["custom_rules"]
    assert nights["days"] == ["mon", "fri"]  # in weekday order
    assert nights["agent_ids"] == [first["id"], second["id"]]
    assert lunch["number"] == "+12125550199"  # read with the org's country (N1)
    read = get_company(api, first_key, number_id)  # an agent reads them (I11)
    assert read.status_code == 200, read.text
    assert read.json() == body
    [entry] = audit(api, key, "company_number")
    assert (entry["entity_id"], entry["action"]) == (number_id, "create")
    assert entry["actor_user_id"] == created["owner_user_id"]
    assert entry["before"] is None
    assert entry["after"]["default_rule"] == {"action": "user", "agent_id": first["id"]}


def test_defaults_apply_when_left_out_i10(api: Api, org: dict[str, Any]) -> None:
    body = saved(api, org["key"], org["number_id"], org["settings"])
    assert body["max_concurrent_calls"] == 50
    assert body["custom_rules"] == []
    assert body["source"] is None
    assert body["tag"] is None


def test_settings_do_not_change_the_route_and_hint_until_it_is_company_i2(
    api: Api, org: dict[str, Any]
) -> None:
    key, number_id = org["key"], org["number_id"]
    body = saved(api, key, number_id, org["settings"])
    assert "not_assigned" in body["hint"]
    assert f"/v1/numbers/{number_id}/route" in body["hint"]
    number = api.call("GET", f"/v1/numbers/{number_id}", key).json()
    assert number["route"] == {"type": "not_assigned"}  # unchanged
    set_route(api, key, number_id, {"type": "company"})
    assert get_company(api, key, number_id).json()["hint"] is None
    assert saved(api, key, number_id, org["settings"])["hint"] is None


def test_saving_the_same_settings_again_audits_nothing_a3(api: Api, org: dict[str, Any]) -> None:
    key, number_id = org["key"], org["number_id"]
    other, _ = api.new_user(key)
    saved(api, key, number_id, org["settings"])
    before = api.audit_count(key)
    saved(api, key, number_id, org["settings"])
    assert api.audit_count(key) == before
    saved(api, key, number_id, {"default_rule": {"action": "user", "agent_id": other["id"]}})
    assert api.audit_count(key) == before + 1
    updated = [e for e in audit(api, key, "company_number") if e["action"] == "update"]
    assert updated[0]["before"]["default_rule"]["agent_id"] == org["agent"]
    assert updated[0]["after"]["default_rule"]["agent_id"] == other["id"]


def test_admins_but_not_agents_change_company_settings_i11(api: Api, org: dict[str, Any]) -> None:
    key, number_id, agent_key = org["key"], org["number_id"], org["agent_key"]
    first = saved(api, key, number_id, org["settings"])
    change = {"default_rule": {"action": "blast", "agent_ids": [org["agent"]]}}
    refused_unchanged(api, key, number_id, change, 403, "forbidden", by=agent_key)
    assert get_company(api, agent_key, number_id).json() == first
    admin, admin_key = api.new_user(key, role="admin")
    assert saved(api, admin_key, number_id, change)["default_rule"] == change["default_rule"]
    updated = [e for e in audit(api, key, "company_number") if e["action"] == "update"]
    assert updated[0]["actor_user_id"] == admin["id"]


def test_eleventh_custom_rule_is_422_and_changes_nothing_i5(api: Api, org: dict[str, Any]) -> None:
    key, number_id, agent = org["key"], org["number_id"], org["agent"]
    default = org["settings"]["default_rule"]
    ten = [rule(f"Hour {h}", ["mon"], f"{h:02d}:00", f"{h:02d}:30", agent) for h in range(10)]
    first = saved(api, key, number_id, {"default_rule": default, "custom_rules": ten})
    assert len(first["custom_rules"]) == 10  # ten is the most
    eleven = [*ten, rule("Hour 10", ["mon"], "10:00", "10:30", agent)]
    settings = {"default_rule": default, "custom_rules": eleven}
    body = refused_unchanged(api, key, number_id, settings, 422, "too_many_rules")
    assert "I5" in body["detail"]
    assert get_company(api, key, number_id).json() == first


def test_sixth_blast_agent_is_422_and_changes_nothing_i5(api: Api, org: dict[str, Any]) -> None:
    key, number_id = org["key"], org["number_id"]
    agents = [org["agent"], *(api.new_user(key)[0]["id"] for _ in range(5))]
    blast_five = {"default_rule": {"action": "blast", "agent_ids": agents[:5]}}
    five = saved(api, key, number_id, blast_five)
    six = {"default_rule": {"action": "blast", "agent_ids": agents}}
    refused_unchanged(api, key, number_id, six, 422, "too_many_agents")
    assert get_company(api, key, number_id).json() == five


def test_overlapping_rules_are_409_naming_both_i5(api: Api, org: dict[str, Any]) -> None:
    key, number_id, agent = org["key"], org["number_id"], org["agent"]
    settings = {
        **org["settings"],
        "custom_rules": [
            rule("Evenings", ["mon", "tue", "wed", "thu", "fri"], "17:00", "22:00", agent),
            rule("Late", ["fri"], "21:00", "02:00", agent),
        ],
    }
    body = refused_unchanged(api, key, number_id, settings, 409, "rule_overlap")
    assert body["rules"] == ["Evenings", "Late"]
    assert "'Evenings'" in body["detail"]
    assert "'Late'" in body["detail"]
    refused(get_company(api, key, number_id), 404, "company_settings_not_found")


def test_rules_crossing_midnight_that_touch_but_do_not_overlap_are_saved_i5(
    api: Api, org: dict[str, Any]
) -> None:
    agent = org["agent"]
    settings = {
        **org["settings"],
        "custom_rules": [
            rule("Late", ["fri"], "22:00", "02:00", agent),
            rule("Saturday", ["sat"], "02:00", "12:00", agent),
        ],
    }
    assert len(saved(api, org["key"], org["number_id"], settings)["custom_rules"]) == 2


def test_rules_naming_a_user_of_another_org_are_refused_a1(api: Api, org: dict[str, Any]) -> None:
    key, number_id = org["key"], org["number_id"]
    other_key = api.new_org("Other")["api_key"]
    stranger, _ = api.new_user(other_key)
    theirs = buy(api, other_key)["id"]
    settings = {"default_rule": {"action": "user", "agent_id": stranger["id"]}}
    body = refused_unchanged(api, key, number_id, settings, 422, "invalid_field")
    assert body["errors"][0]["field"] == "default_rule.agent_id"
    # Their number, as its own org sees it, and their audit log stay as they were.
    refused_unchanged(api, other_key, theirs, settings, 404, "number_not_found", by=key)
    refused(get_company(api, key, theirs), 404, "number_not_found")


def test_masked_number_cannot_be_a_company_number_n2(
    api: Api, desk: Desk, org: dict[str, Any]
) -> None:
    masked = add_number(desk, org["org_id"], kind="masked")
    body = refused_unchanged(api, org["key"], masked, org["settings"], 422, "capability_missing")
    assert "N2" in body["detail"]


def test_released_number_cannot_get_company_settings_n3(api: Api, org: dict[str, Any]) -> None:
    key, number_id = org["key"], org["number_id"]
    assert api.call("DELETE", f"/v1/numbers/{number_id}", key).status_code == 200
    refused_unchanged(api, key, number_id, org["settings"], 409, "number_not_live")


def test_invalid_settings_are_422_naming_the_field_i5(api: Api, org: dict[str, Any]) -> None:
    key, number_id = org["key"], org["number_id"]
    before = api.audit_count(key)
    user = org["settings"]["default_rule"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "default_rule"),
        ({"default_rule": {"action": "call_everyone"}}, "default_rule.action"),
        ({"default_rule": {"action": "user"}}, "default_rule.agent_id"),
        ({"default_rule": user, "max_concurrent_calls": 0}, "max_concurrent_calls"),
        (
            {"default_rule": user, "custom_rules": [{**user, "days": ["mon"], "start": "09:00"}]},
            "custom_rules[0].name",
        ),
        ({"default_rule": user, "colour": "red"}, "colour"),
    ]
    for settings, field in cases:
        response = put_company(api, key, number_id, settings)
        assert response.status_code == 422, (settings, response.text)
        assert response.json()["errors"][0]["field"] == field, settings
    assert api.audit_count(key) == before
    refused(get_company(api, key, number_id), 404, "company_settings_not_found")

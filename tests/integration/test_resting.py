"""Resting numbers through the API: spam reports, rest by hand, wake (rules O4, O6, A1-A3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from numberdesk.cli import app as cli
from numberdesk.services.desk import Desk
from tests.conftest import Api, Clock
from tests.integration.helpers import add_number, audit

DAY = timedelta(days=1)
OUTBOUND = "/v1/decisions/outbound"
NEW_YORK_CALLEE = "+12125550142"


def buy(api: Api, key: str, area_code: str) -> dict[str, Any]:
    """Buy one voice number in a US area code; the new number."""
    body = {"country": "US", "area_code": area_code, "kind": "voice", "quantity": 1}
    response = api.call("POST", "/v1/number-orders", key, json=body)
    assert response.status_code == 201, response.text
    number: dict[str, Any] = response.json()["numbers"][0]
    return number


def report(api: Api, key: str, number_id: str, **body: Any) -> Any:
    """Report a number as spam."""
    return api.call("POST", f"/v1/numbers/{number_id}/spam-reports", key, json=body)


def reported(api: Api, key: str, number_id: str, **body: Any) -> dict[str, Any]:
    """Report a number as spam, which must be stored; the answer."""
    response = report(api, key, number_id, **body)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def number(api: Api, key: str, number_id: str) -> dict[str, Any]:
    """Read a number."""
    response = api.call("GET", f"/v1/numbers/{number_id}", key)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def caller_id(api: Api, key: str, agent_id: str) -> str:
    """The caller ID a New York callee is shown now."""
    response = api.call("POST", OUTBOUND, key, json={"agent_id": agent_id, "to": NEW_YORK_CALLEE})
    assert response.status_code == 200, response.text
    shown: str = response.json()["caller_id"]
    return shown


def resting_changes(api: Api, key: str, number_id: str) -> list[dict[str, Any]]:
    """The audit entries that rested or woke a number (A3)."""
    entries = audit(api, key, "number")
    return [e for e in entries if e["entity_id"] == number_id and e["action"] in ("rest", "wake")]


def time(value: str | None) -> datetime | None:
    """A time of a response."""
    return None if value is None else datetime.fromisoformat(value)


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """An org with a New York number (local presence for New York callees), a San Francisco
    number on the agent's card, and three more agents who take calls and report spam."""
    created = api.new_org("Lenders", "US")
    key = created["api_key"]
    ny, sf = buy(api, key, "212"), buy(api, key, "415")
    agent, agent_key = api.new_user(key, caller_id=sf["e164"])
    others = [api.new_user(key) for _ in range(3)]
    return {
        "key": key,
        "org_id": created["org_id"],
        "ny": ny,
        "sf": sf,
        "agent": agent,
        "agent_key": agent_key,
        "reporters": [agent_key] + [k for _, k in others],
        "reporter_ids": [agent["id"]] + [u["id"] for u, _ in others],
    }


def test_third_distinct_reporter_rests_the_number_for_30_days_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    ny = org["ny"]["id"]
    first, second = (reported(api, k, ny) for k in org["reporters"][:2])
    assert (first["reports_in_window"], first["threshold"], first["rested_until"]) == (1, 3, None)
    assert (second["reports_in_window"], second["rested_until"]) == (2, None)
    third = reported(api, org["reporters"][2], ny)
    assert third["reports_in_window"] == 3
    assert time(third["rested_until"]) == clock.at + 30 * DAY
    assert third["reported_by"] == org["reporter_ids"][2]
    shown = number(api, org["key"], ny)
    assert time(shown["rested_until"]) == clock.at + 30 * DAY
    assert shown["rest_reason"] == "reported as spam by 3 users within 7 days"


def test_reaching_the_threshold_is_audited_as_a_rest_by_the_reporter_a3_o6(
    api: Api, org: dict[str, Any]
) -> None:
    ny = org["ny"]["id"]
    for key in org["reporters"][:3]:
        reported(api, key, ny)
    rests = resting_changes(api, org["key"], ny)
    assert [e["action"] for e in rests] == ["rest"]
    assert rests[0]["actor_user_id"] == org["reporter_ids"][2]
    assert rests[0]["before"]["rested_until"] is None
    assert rests[0]["after"]["rest_reason"] == "reported as spam by 3 users within 7 days"


def test_same_user_reporting_twice_counts_once_o6(api: Api, org: dict[str, Any]) -> None:
    ny, (a, b) = org["ny"]["id"], org["reporters"][:2]
    assert reported(api, a, ny)["reports_in_window"] == 1
    assert reported(api, a, ny)["reports_in_window"] == 1
    assert reported(api, b, ny)["reports_in_window"] == 2
    again = reported(api, a, ny)
    assert (again["reports_in_window"], again["rested_until"]) == (2, None)
    assert number(api, org["key"], ny)["rested_until"] is None


def test_reports_older_than_7_days_do_not_count_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    ny, (a, b, c) = org["ny"]["id"], org["reporters"][:3]
    reported(api, a, ny)
    clock.at += DAY
    reported(api, b, ny)
    clock.at += 6 * DAY + timedelta(minutes=1)  # the first report is now older than 7 days
    third = reported(api, c, ny)
    assert (third["reports_in_window"], third["rested_until"]) == (2, None)
    assert number(api, org["key"], ny)["rest_reason"] is None


def test_rested_number_is_not_chosen_as_caller_id_until_woken_o4_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    key, agent = org["key"], org["agent"]["id"]
    ny, sf = org["ny"], org["sf"]
    assert caller_id(api, key, agent) == ny["e164"]
    for reporter in org["reporters"][:3]:
        reported(api, reporter, ny["id"])
    answer = api.call("POST", OUTBOUND, key, json={"agent_id": agent, "to": NEW_YORK_CALLEE})
    assert (answer.json()["caller_id"], answer.json()["step"]) == (sf["e164"], "agent")
    skipped = answer.json()["trace"][0]
    assert skipped["step"] == "local_presence"
    assert "resting" in str(skipped)
    clock.at += DAY
    woke = api.call("POST", f"/v1/numbers/{ny['id']}/wake", key)
    assert woke.status_code == 200, woke.text
    assert caller_id(api, key, agent) == ny["e164"]


def test_rest_by_hand_takes_the_number_out_of_caller_id_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    key, agent, ny = org["key"], org["agent"]["id"], org["ny"]
    until = clock.at + 2 * DAY
    body = {"until": until.isoformat(), "reason": "callers complain"}
    rested = api.call("POST", f"/v1/numbers/{ny['id']}/rest", key, json=body)
    assert rested.status_code == 200, rested.text
    shown = rested.json()
    assert (time(shown["rested_until"]), shown["rest_reason"]) == (until, "callers complain")
    assert shown["e164"] == ny["e164"]
    assert caller_id(api, key, agent) == org["sf"]["e164"]
    clock.at = until  # the rest ends by itself
    assert caller_id(api, key, agent) == ny["e164"]


def test_rest_by_hand_lasts_spam_rest_days_by_default_and_rest_and_wake_are_audited_a3_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    key, ny = org["key"], org["ny"]["id"]
    rested = api.call("POST", f"/v1/numbers/{ny}/rest", key).json()
    assert time(rested["rested_until"]) == clock.at + 30 * DAY
    assert rested["rest_reason"] == "rested by hand"
    clock.at += DAY
    woke = api.call("POST", f"/v1/numbers/{ny}/wake", key).json()
    assert (time(woke["rested_until"]), woke["rest_reason"]) == (clock.at, None)
    entries = resting_changes(api, key, ny)
    assert [e["action"] for e in entries] == ["rest", "wake"]
    assert entries[1]["before"]["rest_reason"] == "rested by hand"
    assert entries[1]["after"]["rest_reason"] is None


def test_after_wake_old_reports_no_longer_count_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    key, ny, reporters = org["key"], org["ny"]["id"], org["reporters"]
    for reporter in reporters[:3]:
        reported(api, reporter, ny)
    clock.at += DAY
    assert api.call("POST", f"/v1/numbers/{ny}/wake", key).status_code == 200
    clock.at += timedelta(minutes=5)
    fourth = reported(api, reporters[3], ny)
    assert (fourth["reports_in_window"], fourth["rested_until"]) == (1, None)
    again = reported(api, reporters[0], ny)  # a report after the wake counts again
    assert (again["reports_in_window"], again["rested_until"]) == (2, None)


def test_reports_while_resting_do_not_count_after_the_rest_ends_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    key, ny, reporters = org["key"], org["ny"]["id"], org["reporters"]
    api.call("PATCH", "/v1/org", key, json={"spam_rest_days": 2})
    for reporter in reporters[:3]:
        reported(api, reporter, ny)
    clock.at += DAY
    during = reported(api, reporters[3], ny)
    assert during["reports_in_window"] == 4
    assert time(during["rested_until"]) == clock.at + DAY  # still the first rest
    clock.at += DAY + timedelta(minutes=1)
    after = reported(api, reporters[0], ny)
    assert (after["reports_in_window"], after["rested_until"]) == (1, None)


def test_org_spam_threshold_and_rest_days_change_when_reports_rest_o6(
    api: Api, org: dict[str, Any], clock: Clock
) -> None:
    key, ny = org["key"], org["ny"]["id"]
    patched = api.call("PATCH", "/v1/org", key, json={"spam_threshold": 2, "spam_rest_days": 10})
    assert patched.status_code == 200, patched.text
    first = reported(api, org["reporters"][0], ny)
    assert (first["threshold"], first["rested_until"]) == (2, None)
    second = reported(api, org["reporters"][1], ny)
    assert time(second["rested_until"]) == clock.at + 10 * DAY
    assert number(api, key, ny)["rest_reason"] == "reported as spam by 2 users within 7 days"


def test_lowering_the_threshold_rests_at_the_next_report_o6(api: Api, org: dict[str, Any]) -> None:
    key, ny, reporters = org["key"], org["ny"]["id"], org["reporters"]
    api.call("PATCH", "/v1/org", key, json={"spam_threshold": 5})
    for reporter in reporters[:3]:
        assert reported(api, reporter, ny)["rested_until"] is None
    api.call("PATCH", "/v1/org", key, json={"spam_threshold": 3})
    fourth = reported(api, reporters[3], ny)
    assert fourth["rested_until"] is not None
    assert number(api, key, ny)["rest_reason"] == "reported as spam by 4 users within 7 days"


def test_agents_can_report_but_not_rest_or_wake_a2_o6(api: Api, org: dict[str, Any]) -> None:
    key, agent_key, ny = org["key"], org["agent_key"], org["ny"]["id"]
    before = api.audit_count(key)
    assert report(api, agent_key, ny).status_code == 201
    for action in ("rest", "wake"):
        refused = api.call("POST", f"/v1/numbers/{ny}/{action}", agent_key)
        assert refused.status_code == 403, action
        assert refused.json()["code"] == "forbidden"
    assert api.audit_count(key) == before
    assert number(api, key, ny)["rested_until"] is None


def test_agent_reports_for_themself_only_a2_o6(api: Api, org: dict[str, Any]) -> None:
    other = org["reporter_ids"][1]
    refused = report(api, org["agent_key"], org["ny"]["id"], reported_by=other)
    assert refused.status_code == 403
    own = reported(api, org["agent_key"], org["ny"]["id"], reported_by=org["agent"]["id"])
    assert (own["reported_by"], own["reports_in_window"]) == (org["agent"]["id"], 1)


def test_manager_reports_for_another_user_of_the_org_only_a1_o6(
    api: Api, org: dict[str, Any]
) -> None:
    key, ny = org["key"], org["ny"]["id"]
    for reporter_id in org["reporter_ids"][:3]:
        answer = reported(api, key, ny, reported_by=reporter_id)
        assert answer["reported_by"] == reporter_id
    assert answer["rested_until"] is not None
    stranger, _ = api.new_user(api.new_org("Other")["api_key"])
    refused = report(api, key, org["sf"]["id"], reported_by=stranger["id"])
    assert refused.status_code == 404
    assert refused.json()["code"] == "user_not_found"


def test_another_orgs_number_is_404_a1(api: Api, org: dict[str, Any]) -> None:
    other_key = api.new_org("Other")["api_key"]
    ny = org["ny"]["id"]
    for path in ("spam-reports", "rest", "wake"):
        response = api.call("POST", f"/v1/numbers/{ny}/{path}", other_key, json={})
        assert response.status_code == 404, path
        assert response.json()["code"] == "number_not_found"
    assert number(api, org["key"], ny)["rested_until"] is None


@pytest.mark.parametrize(
    "until",
    [
        "2026-11-01T09:00:00Z",  # yesterday
        "next tuesday",
        "2028-01-01T09:00:00Z",  # more than 365 days ahead
        "2026-11-10T09:00:00",  # no offset
    ],
)
def test_bad_until_is_422_and_changes_nothing_o6(api: Api, org: dict[str, Any], until: str) -> None:
    key, ny = org["key"], org["ny"]["id"]
    before = api.audit_count(key)
    response = api.call("POST", f"/v1/numbers/{ny}/rest", key, json={"until": until})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "until"
    assert api.audit_count(key) == before
    assert number(api, key, ny)["rested_until"] is None


def test_masked_number_may_be_reported_since_it_is_shown_as_caller_id_o6(
    api: Api, org: dict[str, Any], desk: Desk
) -> None:
    masked = add_number(desk, org["org_id"], kind="masked")
    api.call("PATCH", "/v1/org", org["key"], json={"spam_threshold": 1})
    answer = reported(api, org["agent_key"], masked)
    assert answer["rested_until"] is not None


def test_inactive_or_released_number_cannot_be_reported_409_n3_o6(
    api: Api, org: dict[str, Any], desk: Desk
) -> None:
    key = org["key"]
    pending = add_number(desk, org["org_id"], status="pending")
    refused = report(api, key, pending)
    assert refused.status_code == 409
    assert refused.json()["code"] == "number_not_active"
    assert api.call("DELETE", f"/v1/numbers/{org['sf']['id']}", key).status_code == 200
    for path in ("spam-reports", "rest", "wake"):
        gone = api.call("POST", f"/v1/numbers/{org['sf']['id']}/{path}", key)
        assert gone.status_code == 409, path
        assert gone.json()["code"] == "number_not_live"


def test_numbers_rest_wake_and_report_spam_commands_o6(
    api: Api, org: dict[str, Any], database_url: str
) -> None:
    runner, ny = CliRunner(), org["ny"]["id"]
    env = {"NUMBERDESK_DATABASE_URL": database_url, "NUMBERDESK_API_KEY": org["key"]}

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, ["numbers", *args], env=env)
        return result.exit_code, result.output

    until = datetime.now(UTC).replace(microsecond=0) + 2 * DAY  # the command's clock is real
    code, output = run("rest", ny, "--until", until.isoformat(), "--reason", "complaints")
    assert code == 0, output
    assert f"{until:%Y-%m-%d %H:%M}" in output
    assert number(api, org["key"], ny)["rest_reason"] == "complaints"
    code, output = run("rest", ny, "--until", "soon")
    assert code == 2
    assert "is not a time" in output
    code, output = run("wake", ny)
    assert code == 0, output
    assert number(api, org["key"], ny)["rest_reason"] is None
    code, output = run("report-spam", ny)
    assert code == 0, output
    assert "1 of 3" in output

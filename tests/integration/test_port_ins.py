"""Porting numbers in and the carrier's port-out notices, through the HTTP API (N3, N7, N8, C3).

The sandbox carrier's side is played through its endpoints (admin token).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.integration.helpers import audit, post
from tests.integration.test_cli import run

if TYPE_CHECKING:
    from tests.conftest import Api, Clock

PORTED = ["+12125550100", "2125550101"]  # the second one national: read as US (N1)
E164S = ["+12125550100", "+12125550101"]


def port_mandate(
    api: Api,
    key: str,
    *,
    purposes: list[str] | None = None,
    grantor: dict[str, Any] | None = None,
    signed: bool = True,
    **cover: Any,
) -> str:
    """A mandate (default: the org's, for port, covering all its numbers); its id."""
    if "numbers" not in cover:
        cover["all_numbers"] = True
    body = {"grantor": grantor or {"type": "org"}, "purposes": purposes or ["port"], **cover}
    made = post(api, key, "/v1/mandates", body)
    if signed:
        signing = api.call(
            "POST", f"/v1/mandates/{made['id']}/sign", key, json={"signed_by": "CEO"}
        )
        assert signing.status_code == 200, signing.text
    return str(made["id"])


def create(
    api: Api, key: str, mandate_id: str, numbers: list[str] | None = None, **extra: Any
) -> Any:
    """Ask for a port-in; the response."""
    body = {
        "numbers": PORTED if numbers is None else numbers,
        "losing_carrier": "Old Telco",
        "account_ref": "ACC-1",
        "mandate_id": mandate_id,
        **extra,
    }
    return api.call("POST", "/v1/port-ins", key, json=body)


def draft(api: Api, key: str, numbers: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A draft port-in under a fresh port mandate."""
    response = create(api, key, port_mandate(api, key), numbers, **extra)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def act(api: Api, key: str, port_in_id: str, action: str) -> Any:
    """Submit or cancel a port-in; the response."""
    return api.call("POST", f"/v1/port-ins/{port_in_id}/{action}", key)


def submitted(api: Api, key: str, numbers: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A submitted port-in."""
    made = draft(api, key, numbers, **extra)
    response = act(api, key, made["id"], "submit")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def advance(api: Api, port_in_id: str, to: str, **body: Any) -> Any:
    """The sandbox carrier moves a port-in; the response."""
    path = f"/v1/sandbox/port-ins/{port_in_id}/advance"
    return api.call("POST", path, ADMIN_TOKEN, json={"to": to, **body})


def completed(api: Api, key: str, numbers: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A port-in the carrier confirmed and completed."""
    made = submitted(api, key, numbers, **extra)
    assert advance(api, made["id"], "confirmed").status_code == 200
    response = advance(api, made["id"], "completed")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def numbers_by_e164(api: Api, key: str, query: str = "") -> dict[str, dict[str, Any]]:
    """The org's numbers listed with this query, by E.164."""
    response = api.call("GET", f"/v1/numbers?limit=500&{query}", key)
    assert response.status_code == 200, response.text
    return {n["e164"]: n for n in response.json()["items"]}


def presence(api: Api, key: str) -> set[str]:
    """Every number offered as local presence."""
    items = api.call("GET", "/v1/local-presence", key).json()["items"]
    return {e164 for area in items for e164 in area["numbers"]}


def read(api: Api, key: str, port_in_id: str) -> dict[str, Any]:
    """A port-in as its org reads it."""
    response = api.call("GET", f"/v1/port-ins/{port_in_id}", key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- The lifecycle (N7, N3) -----------------------------------------------------------------


def test_port_in_completed_by_the_carrier_makes_numbers_active_ported_in_and_usable_n7(
    api: Api,
) -> None:
    made = api.new_org()
    key = made["api_key"]
    port_in = draft(api, key)
    assert (port_in["status"], [n["e164"] for n in port_in["numbers"]]) == ("draft", E164S)
    assert numbers_by_e164(api, key) == {}

    port_in = act(api, key, port_in["id"], "submit").json()
    assert port_in["status"] == "submitted"
    assert port_in["submitted_at"]
    listed = numbers_by_e164(api, key)
    assert {e: (n["status"], n["origin"]) for e, n in listed.items()} == dict.fromkeys(
        E164S, ("porting_in", "ported_in")
    )
    assert [n["number_id"] for n in port_in["numbers"]] == [listed[e]["id"] for e in E164S]
    assert presence(api, key) == set()  # porting_in numbers take no part in calls (N3)

    confirmed = advance(api, port_in["id"], "confirmed", completion_date="2026-11-04T09:00:00Z")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["completion_date"].startswith("2026-11-04T09:00")
    done = advance(api, port_in["id"], "completed")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["closed_at"]

    arrived = numbers_by_e164(api, key)
    for e164 in E164S:
        number = arrived[e164]
        assert (number["status"], number["origin"], number["kind"]) == (
            "active",
            "ported_in",
            "voice",
        )
        assert number["owner"] == {"type": "org", "id": made["org_id"]}
    assert presence(api, key) == set(E164S)  # usable as caller ID now
    trail = [e["action"] for e in audit(api, key, "port_in") if e["entity_id"] == port_in["id"]]
    assert trail == ["create", "submit", "confirm", "complete"]
    number_trail = [
        e for e in audit(api, key, "number") if e["entity_id"] == arrived[E164S[0]]["id"]
    ]
    assert [(e["action"], e["actor_user_id"]) for e in number_trail] == [
        ("port_in", made["owner_user_id"]),
        ("arrive", None),
    ]


def test_port_in_brings_omni_numbers_when_asked_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    completed(api, key, ["+12125550102"], kind="omni")
    assert numbers_by_e164(api, key)["+12125550102"]["kind"] == "omni"


def test_port_in_of_masked_kind_is_refused_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    response = create(api, key, port_mandate(api, key), kind="masked")
    assert response.status_code == 422
    assert response.json()["code"] == "kind_not_portable"


def test_rejected_port_in_keeps_the_reason_and_releases_its_numbers_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key)
    response = advance(api, port_in["id"], "rejected", reason="Account number does not match")
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert (rejected["status"], rejected["reason"]) == ("rejected", "Account number does not match")
    assert numbers_by_e164(api, key) == {}
    released = numbers_by_e164(api, key, "status=released")
    assert set(released) == set(E164S)
    assert "Account number does not match" in released[E164S[0]]["status_reason"]
    assert create(api, key, port_mandate(api, key)).status_code == 201  # free to try again


def test_rejection_needs_the_carriers_reason_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key)
    before = api.audit_count(key)
    response = advance(api, port_in["id"], "rejected")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    assert read(api, key, port_in["id"])["status"] == "submitted"
    assert api.audit_count(key) == before


@pytest.mark.parametrize("stage", ["draft", "submitted", "confirmed"])
def test_cancel_an_open_port_in_releases_its_numbers_n7(api: Api, stage: str) -> None:
    key = api.new_org()["api_key"]
    port_in = draft(api, key) if stage == "draft" else submitted(api, key)
    if stage == "confirmed":
        assert advance(api, port_in["id"], "confirmed").status_code == 200
    response = act(api, key, port_in["id"], "cancel")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["closed_at"]
    assert numbers_by_e164(api, key) == {}
    cancelled = [e["action"] for e in audit(api, key, "port_in")][-1]
    assert cancelled == "cancel"


def test_invalid_transitions_are_409_naming_from_to_and_allowed_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    port_in = draft(api, key)
    before = api.audit_count(key)
    early = advance(api, port_in["id"], "confirmed")
    assert early.status_code == 409
    problem = early.json()
    assert problem["code"] == "invalid_transition"
    assert (problem["from"], problem["to"], problem["allowed"]) == ("draft", "confirmed", [])
    assert api.audit_count(key) == before
    assert act(api, key, port_in["id"], "submit").status_code == 200
    before = api.audit_count(key)
    again = act(api, key, port_in["id"], "submit")
    assert again.status_code == 409
    assert (again.json()["from"], again.json()["allowed"]) == ("submitted", ["cancelled"])
    skip = advance(api, port_in["id"], "completed")
    assert skip.status_code == 409
    assert skip.json()["allowed"] == ["confirmed", "rejected"]
    assert api.audit_count(key) == before
    assert act(api, key, port_in["id"], "cancel").status_code == 200
    before = api.audit_count(key)
    closed = act(api, key, port_in["id"], "cancel")
    assert closed.status_code == 409
    assert "nothing (it is closed)" in closed.json()["detail"]
    assert api.audit_count(key) == before


# --- Completion by time (N7) -----------------------------------------------------------------


def test_confirmed_port_in_completes_by_itself_once_its_date_passes_n7(
    api: Api, clock: Clock
) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key)
    when = clock.at + timedelta(days=2)
    assert (
        advance(api, port_in["id"], "confirmed", completion_date=when.isoformat()).status_code
        == 200
    )
    clock.at = when - timedelta(minutes=1)
    assert read(api, key, port_in["id"])["status"] == "confirmed"
    assert {n["status"] for n in numbers_by_e164(api, key).values()} == {"porting_in"}
    clock.at = when + timedelta(minutes=1)
    shown = read(api, key, port_in["id"])
    assert shown["status"] == "completed"
    assert shown["closed_at"].startswith(when.isoformat()[:16])
    assert {n["status"] for n in numbers_by_e164(api, key).values()} == {"active"}
    assert [e["actor_user_id"] for e in audit(api, key, "port_in")][-1] is None  # the carrier


def test_numbers_of_a_due_port_in_arrive_when_the_numbers_are_listed_n7(
    api: Api, clock: Clock
) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key)
    assert advance(api, port_in["id"], "confirmed").status_code == 200  # sandbox: tomorrow
    clock.at += timedelta(days=1, seconds=1)
    assert {n["status"] for n in numbers_by_e164(api, key).values()} == {"active"}
    listed = api.call("GET", "/v1/port-ins?status=completed", key).json()["items"]
    assert [p["id"] for p in listed] == [port_in["id"]]


def test_completion_date_needs_an_offset_and_comes_only_with_confirmation_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key)
    before = api.audit_count(key)
    naive = advance(api, port_in["id"], "confirmed", completion_date="2026-11-05T09:00:00")
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "completion_date"
    stray = advance(api, port_in["id"], "rejected", reason="x", completion_date="2026-11-05T09:00Z")
    assert stray.status_code == 422
    unknown = advance(api, port_in["id"], "cancelled")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "to"
    assert api.audit_count(key) == before
    assert read(api, key, port_in["id"])["status"] == "submitted"


# --- What cannot be ported in (N7) ----------------------------------------------------------


def test_a_number_listed_twice_is_refused_and_nothing_is_created_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    mandate_id = port_mandate(api, key)
    before = api.audit_count(key)
    response = create(api, key, mandate_id, ["+12125550100", "212-555-0100"])
    assert response.status_code == 422
    assert "listed twice" in response.json()["detail"]
    empty = create(api, key, mandate_id, [])
    assert empty.status_code == 422
    bad = create(api, key, mandate_id, ["12"])
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_phone_number"
    assert api.audit_count(key) == before
    assert api.call("GET", "/v1/port-ins", key).json()["items"] == []


def test_a_number_the_org_already_has_is_refused_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 1}
    own = post(api, key, "/v1/number-orders", order)["numbers"][0]["e164"]
    mandate_id = port_mandate(api, key)
    before = api.audit_count(key)
    response = create(api, key, mandate_id, ["+12125550100", own])
    assert response.status_code == 409
    assert response.json()["code"] == "number_already_yours"
    assert own in response.json()["detail"]
    assert api.audit_count(key) == before


def test_a_number_in_another_open_port_in_is_refused_naming_it_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    first = draft(api, key, ["+12125550100"])
    before = api.audit_count(key)
    response = create(api, key, port_mandate(api, key), ["+12125550101", "+12125550100"])
    assert response.status_code == 409
    assert response.json()["code"] == "already_porting"
    assert first["id"] in response.json()["detail"]
    assert api.audit_count(key) == before + 2  # the mandate made and signed, nothing else
    assert act(api, key, first["id"], "cancel").status_code == 200
    assert create(api, key, port_mandate(api, key), ["+12125550100"]).status_code == 201


def test_another_org_may_port_the_same_number_and_sees_nothing_of_the_first_a1(api: Api) -> None:
    first = api.new_org("A")["api_key"]
    second = api.new_org("B")["api_key"]
    theirs = draft(api, first)
    assert api.call("GET", f"/v1/port-ins/{theirs['id']}", second).status_code == 404
    assert act(api, second, theirs["id"], "cancel").status_code == 404
    assert draft(api, second)["status"] == "draft"


def test_agents_cannot_port_numbers_a2(api: Api) -> None:
    key = api.new_org()["api_key"]
    _, agent = api.new_user(key, "agent")
    response = create(api, agent, port_mandate(api, key))
    assert response.status_code == 403
    assert api.call("GET", "/v1/port-ins", agent).status_code == 403


def test_the_sandbox_refuses_a_number_it_already_serves_and_nothing_changes_n7(api: Api) -> None:
    seller = api.new_org("Seller")["api_key"]
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 1}
    served = post(api, seller, "/v1/number-orders", order)["numbers"][0]["e164"]
    key = api.new_org("Porter")["api_key"]
    port_in = draft(api, key, [served])
    before = api.audit_count(key)
    response = act(api, key, port_in["id"], "submit")
    assert response.status_code == 409
    assert response.json()["code"] == "port_in_refused"
    assert read(api, key, port_in["id"])["status"] == "draft"
    assert numbers_by_e164(api, key) == {}
    assert api.audit_count(key) == before


# --- The port mandate (N7, C3) ----------------------------------------------------------------


def _mandate_case(api: Api, key: str, clock: Clock, case: str) -> str:
    """A mandate that is wrong for porting in the way ``case`` says; its id."""
    if case == "unknown":
        return "man_nope"
    if case == "purchase_only":
        return port_mandate(api, key, purposes=["purchase"])
    if case == "unsigned":
        return port_mandate(api, key, signed=False)
    if case == "other_numbers":
        return port_mandate(api, key, numbers=["+12125550100"])
    if case == "expired":
        made = port_mandate(api, key, valid_until=(clock.at + timedelta(days=1)).isoformat())
        clock.at += timedelta(days=2)
        return made
    made = port_mandate(api, key)
    assert api.call("POST", f"/v1/mandates/{made}/revoke", key).status_code == 200
    return made


@pytest.mark.parametrize(
    ("mandate", "status", "code"),
    [
        ("unknown", 404, "mandate_not_found"),
        ("purchase_only", 422, "mandate_purpose_missing"),
        ("unsigned", 422, "mandate_not_active"),
        ("revoked", 422, "mandate_not_active"),
        ("other_numbers", 422, "mandate_number_not_covered"),
        ("expired", 422, "mandate_not_active"),
    ],
)
def test_port_in_needs_the_owners_active_port_mandate_covering_every_number_n7(
    api: Api, clock: Clock, mandate: str, status: int, code: str
) -> None:
    key = api.new_org()["api_key"]
    mandate_id = _mandate_case(api, key, clock, mandate)
    before = api.audit_count(key)
    response = create(api, key, mandate_id)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert api.audit_count(key) == before
    assert api.call("GET", "/v1/port-ins", key).json()["items"] == []


def test_submit_checks_the_mandate_again_and_changes_nothing_when_revoked_c3(api: Api) -> None:
    key = api.new_org()["api_key"]
    mandate_id = port_mandate(api, key)
    port_in = create(api, key, mandate_id).json()
    assert api.call("POST", f"/v1/mandates/{mandate_id}/revoke", key).status_code == 200
    before = api.audit_count(key)
    response = act(api, key, port_in["id"], "submit")
    assert response.status_code == 422
    assert response.json()["code"] == "mandate_not_active"
    assert read(api, key, port_in["id"])["status"] == "draft"
    assert numbers_by_e164(api, key) == {}
    assert api.audit_count(key) == before


def test_numbers_ported_under_a_sponsors_mandate_belong_to_the_sponsor_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    sponsor = post(
        api, key, "/v1/sponsors", {"name": "N Oy", "business_id": "1-2", "country": "FI"}
    )
    grantor = {"type": "sponsor", "id": sponsor["id"]}
    mandate_id = port_mandate(api, key, grantor=grantor)
    response = create(api, key, mandate_id, ["+12125550103"])
    assert response.status_code == 201, response.text
    act(api, key, response.json()["id"], "submit")
    number = numbers_by_e164(api, key)["+12125550103"]
    assert number["owner"] == {"type": "sponsor", "id": sponsor["id"]}
    assert number["mandate_id"] == mandate_id


def test_a_port_in_completing_after_its_mandate_was_revoked_arrives_suspended_c3(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key, ["+12125550104"])
    mandate_id = port_in["mandate_id"]
    assert api.call("POST", f"/v1/mandates/{mandate_id}/revoke", key).status_code == 200
    assert numbers_by_e164(api, key)["+12125550104"]["status"] == "porting_in"
    advance(api, port_in["id"], "confirmed")
    assert advance(api, port_in["id"], "completed").json()["status"] == "completed"
    number = numbers_by_e164(api, key)["+12125550104"]
    assert number["status"] == "suspended"
    assert "reactivate" in number["status_reason"]
    assert presence(api, key) == set()


def test_a_porting_in_number_cannot_be_released_only_its_port_in_cancelled_n3(api: Api) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key, ["+12125550105"])
    number_id = port_in["numbers"][0]["number_id"]
    before = api.audit_count(key)
    response = api.call("DELETE", f"/v1/numbers/{number_id}", key)
    assert response.status_code == 409
    assert response.json()["code"] == "number_porting_in"
    assert f"/v1/port-ins/{port_in['id']}/cancel" in response.json()["detail"]
    assert api.audit_count(key) == before


def test_a_retried_create_with_the_same_idempotency_key_makes_one_port_in(api: Api) -> None:
    key = api.new_org()["api_key"]
    body = {
        "numbers": ["+12125550106"],
        "losing_carrier": "Old Telco",
        "account_ref": "A",
        "mandate_id": port_mandate(api, key),
    }
    headers = {"Idempotency-Key": "port-1"}
    first = api.call("POST", "/v1/port-ins", key, json=body, headers=headers)
    again = api.call("POST", "/v1/port-ins", key, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert len(api.call("GET", "/v1/port-ins", key).json()["items"]) == 1


def test_sandbox_endpoints_need_the_admin_token(api: Api) -> None:
    key = api.new_org()["api_key"]
    port_in = submitted(api, key)
    path = f"/v1/sandbox/port-ins/{port_in['id']}/advance"
    assert api.call("POST", path, key, json={"to": "confirmed"}).status_code == 401
    assert (
        api.call("POST", "/v1/sandbox/port-outs", key, json={"e164": E164S[0]}).status_code == 401
    )
    assert advance(api, "prt_nope", "confirmed").status_code == 404


# --- Port-out (N7, N8) ------------------------------------------------------------------------


def port_out(api: Api, e164: str) -> Any:
    """The losing-carrier notice that ``e164`` left us."""
    return api.call("POST", "/v1/sandbox/port-outs", ADMIN_TOKEN, json={"e164": e164})


def test_port_out_marks_ported_out_and_takes_the_number_out_of_everything_n8(api: Api) -> None:
    made = api.new_org()
    key = made["api_key"]
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 2}
    number, other = post(api, key, "/v1/number-orders", order)["numbers"]
    nid, e164 = number["id"], number["e164"]
    api.call("PATCH", f"/v1/numbers/{nid}", key, json={"area_codes": ["646"]})
    group = post(api, key, "/v1/groups", {"name": "G", "number_ids": [nid, other["id"]]})
    campaign = post(api, key, "/v1/campaigns", {"name": "C", "number_ids": [nid]})
    user, _ = api.new_user(key, caller_id=e164)
    assert api.call("PATCH", "/v1/org", key, json={"default_caller_id": e164}).status_code == 200
    assert e164 in presence(api, key)

    response = port_out(api, e164)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {
            "org_id": made["org_id"],
            "number_id": nid,
            "e164": e164,
            "status": "ported_out",
            "released_at": response.json()["items"][0]["released_at"],
        }
    ]
    shown = api.call("GET", f"/v1/numbers/{nid}", key).json()
    assert (shown["status"], shown["area_codes"]) == ("ported_out", ["212"])
    assert presence(api, key) == {other["e164"]}  # never offered as caller ID again
    assert api.call("GET", "/v1/local-presence", key).json()["items"][0]["area_code"] == "212"
    assert api.call("GET", f"/v1/groups/{group['id']}", key).json()["number_ids"] == [other["id"]]
    assert api.call("GET", f"/v1/campaigns/{campaign['id']}", key).json()["number_ids"] == []
    assert api.call("GET", f"/v1/users/{user['id']}", key).json()["caller_id"] is None
    assert api.call("GET", "/v1/org", key).json()["default_caller_id"] is None
    trail = api.call("GET", "/v1/audit?limit=500", key).json()["items"][-5:]
    assert {(e["entity"], e["action"], e["actor_user_id"]) for e in trail} == {
        ("number", "port_out", None),
        ("group", "remove_number", None),
        ("campaign", "remove_number", None),
        ("user", "update", None),
        ("org", "update", None),
    }
    assert e164 not in numbers_by_e164(api, key)


def test_a_ported_in_number_can_port_out_again_and_then_be_ported_back_n7(api: Api) -> None:
    key = api.new_org()["api_key"]
    completed(api, key, ["+12125550107"])
    assert port_out(api, "+12125550107").status_code == 200
    assert numbers_by_e164(api, key, "status=ported_out")["+12125550107"]["origin"] == "ported_in"
    completed(api, key, ["+12125550107"])
    assert numbers_by_e164(api, key)["+12125550107"]["status"] == "active"


def test_port_out_of_an_unknown_or_gone_number_is_refused_and_changes_nothing_n8(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 1}
    number = post(api, key, "/v1/number-orders", order)["numbers"][0]
    assert api.call("DELETE", f"/v1/numbers/{number['id']}", key).status_code == 200
    before = api.audit_count(key)
    unknown = port_out(api, "+12125550199")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "number_not_found"
    gone = port_out(api, number["e164"])
    assert gone.status_code == 409
    assert gone.json()["code"] == "number_not_live"
    national = port_out(api, "2125550199")
    assert national.status_code == 422
    assert "E.164" in national.json()["detail"]
    porting = submitted(api, key, ["+12125550108"])
    before = api.audit_count(key)
    early = port_out(api, "+12125550108")
    assert early.status_code == 409
    assert early.json()["code"] == "number_porting_in"
    assert read(api, key, porting["id"])["status"] == "submitted"
    assert api.audit_count(key) == before


# --- The CLI ----------------------------------------------------------------------------------


def cli(database_url: str, *args: str) -> tuple[int, str]:
    """Run a command on a wide terminal (so ids are not wrapped)."""
    return run(database_url, *args, COLUMNS="200")


def test_cli_port_in_lifecycle_and_the_sandbox_carriers_commands_n7_n8(
    api: Api, database_url: str
) -> None:
    key = api.new_org()["api_key"]
    numbers = ["--number", "2125550110", "--number", "+12125550111"]
    terms = ["--losing-carrier", "Old Telco", "--account-ref", "ACC-9"]
    mandate = ["--mandate-id", port_mandate(api, key), "--api-key", key]
    code, output = cli(database_url, "port-ins", "create", *numbers, *terms, *mandate)
    assert code == 0, output
    port_in_id = re.findall(r"prt_[0-9a-f]+", output)[0]
    assert "draft" in output
    assert "+12125550110" in output
    code, output = cli(database_url, "port-ins", "submit", port_in_id, "--api-key", key)
    assert code == 0, output
    assert "submitted" in output

    advance_it = ("carrier", "port-in-advance", port_in_id)
    code, output = cli(database_url, *advance_it, "--to", "rejected")
    assert code == 2
    assert "reason" in output
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    code, output = cli(database_url, *advance_it, "--to", "confirmed", "--completion-date", past)
    assert code == 0, output
    assert "completed" in output  # its date has passed, so it completed at once
    code, output = cli(database_url, "port-ins", "list", "--api-key", key)
    assert code == 0, output
    assert port_in_id in output
    assert numbers_by_e164(api, key)["+12125550110"]["status"] == "active"

    code, output = cli(database_url, "carrier", "port-out", "+12125550110")
    assert code == 0, output
    assert "ported_out" in output
    assert "+12125550110" not in numbers_by_e164(api, key)
    code, output = cli(database_url, "carrier", "port-out", "+12125550110")
    assert code == 2
    assert "number_not_live" in output


def test_cli_sweep_completes_due_port_ins_of_every_org_n7(
    api: Api, clock: Clock, database_url: str
) -> None:
    real_now = datetime.now(UTC)
    clock.at = real_now - timedelta(days=1)  # the API runs a day behind the CLI
    keys = [api.new_org(name)["api_key"] for name in ("A", "B")]
    made = [submitted(api, key, ["+12125550112"]) for key in keys]
    due = (real_now - timedelta(minutes=1)).isoformat()
    later = (real_now + timedelta(days=1)).isoformat()
    assert advance(api, made[0]["id"], "confirmed", completion_date=due).status_code == 200
    assert advance(api, made[1]["id"], "confirmed", completion_date=later).status_code == 200
    code, output = cli(database_url, "port-ins", "sweep")
    assert code == 0, output
    assert "Completed 1 port-ins" in output
    assert made[0]["id"] in output
    swept = numbers_by_e164(api, keys[0])["+12125550112"]  # the API's clock: not due yet
    assert swept["status"] == "active"
    code, output = cli(database_url, "port-ins", "show", made[1]["id"], "--api-key", keys[1])
    assert code == 0, output
    assert "confirmed" in output

"""Inbound routes through the HTTP API: one number or many, checked and audited.

Rules I1, I2, I11, N2, N8, N11, A1-A3. Every refusal also proves that nothing changed.
"""

from __future__ import annotations

from typing import Any

import pytest

from numberdesk.services.desk import Desk
from tests.conftest import Api
from tests.integration.helpers import add_number, audit, post

NOT_ASSIGNED = {"type": "not_assigned"}


def buy(api: Api, key: str, quantity: int = 1, kind: str = "voice") -> list[str]:
    """Buy New York numbers; their ids."""
    body = {"country": "US", "area_code": "212", "kind": kind, "quantity": quantity}
    return [n["id"] for n in post(api, key, "/v1/number-orders", body)["numbers"]]


def route_of(api: Api, key: str, number_id: str) -> dict[str, Any]:
    """The route the Number object shows."""
    response = api.call("GET", f"/v1/numbers/{number_id}", key)
    assert response.status_code == 200, response.text
    route: dict[str, Any] = response.json()["route"]
    return route


def put_route(api: Api, key: str, number_id: str, route: dict[str, Any]) -> Any:
    """PUT /v1/numbers/{id}/route."""
    return api.call("PUT", f"/v1/numbers/{number_id}/route", key, json=route)


def put_routes(api: Api, key: str, number_ids: list[str], route: dict[str, Any]) -> Any:
    """PUT /v1/routes."""
    return api.call("PUT", "/v1/routes", key, json={"number_ids": number_ids, "route": route})


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    """Assert a problem with this status and code; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def test_a_new_number_is_not_assigned_and_takes_an_agent_route_i1_i2(api: Api) -> None:
    org = api.new_org()
    key = org["api_key"]
    agent, _ = api.new_user(key)
    number_id = buy(api, key)[0]
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    response = put_route(api, key, number_id, {"type": "agent", "agent_id": agent["id"]})
    assert response.status_code == 200, response.text
    expected = {"type": "agent", "agent_id": agent["id"], "ring": "extension"}
    assert response.json()["route"] == expected
    assert response.json()["id"] == number_id
    assert route_of(api, key, number_id) == expected
    [entry] = [e for e in audit(api, key, "number") if e["action"] == "route"]
    assert entry["entity_id"] == number_id
    assert entry["actor_user_id"] == org["owner_user_id"]
    assert entry["before"]["route"] is None
    assert entry["after"]["route"] == expected


def test_every_route_type_is_stored_as_given_i2(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    queue = post(api, key, "/v1/queues", {"name": "Sales"})
    destination = post(api, key, "/v1/destinations", {"name": "IVR", "uri": "sip:ivr@pbx.test"})
    number_id = buy(api, key)[0]
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"type": "queue", "queue_id": queue["id"]}, {"type": "queue", "queue_id": queue["id"]}),
        (
            {"type": "custom", "destination_id": destination["id"]},
            {"type": "custom", "destination_id": destination["id"]},
        ),
        (
            {"type": "forward", "forward_to": "(415) 555-0100"},  # national, read as US (N1)
            {"type": "forward", "forward_to": "+14155550100"},
        ),
        (
            {
                "type": "last_caller",
                "scope": "any",
                "ring": "work_phone",
                "fallback": {"type": "agent", "agent_id": agent["id"]},
            },
            {
                "type": "last_caller",
                "ring": "work_phone",
                "scope": "any",
                "fallback": {"type": "agent", "agent_id": agent["id"], "ring": "extension"},
            },
        ),
        ({"type": "company"}, {"type": "company", "ring": "extension"}),
        ({"type": "not_assigned"}, NOT_ASSIGNED),
    ]
    for given, shown in cases:
        response = put_route(api, key, number_id, given)
        assert response.status_code == 200, (given, response.text)
        assert response.json()["route"] == shown
        assert route_of(api, key, number_id) == shown


def test_routes_are_set_for_many_numbers_in_one_request_i2(api: Api) -> None:
    key = api.new_org()["api_key"]
    queue = post(api, key, "/v1/queues", {"name": "Support"})
    numbers = buy(api, key, quantity=3)
    wanted = [numbers[2], numbers[0], numbers[1]]
    before = api.audit_count(key)
    route = {"type": "queue", "queue_id": queue["id"]}
    response = put_routes(api, key, wanted, route)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [n["id"] for n in items] == wanted  # in the order given
    assert all(n["route"] == route for n in items)
    assert all(route_of(api, key, n) == route for n in numbers)
    assert api.audit_count(key) == before + 3  # one entry per changed number (A3)
    again = put_routes(api, key, [*wanted, numbers[0]], route)  # a repeat is counted once
    assert again.status_code == 200, again.text
    assert len(again.json()["items"]) == 3
    assert api.audit_count(key) == before + 3  # nothing changed, nothing audited


def test_bulk_with_an_unknown_number_is_404_naming_it_and_changes_nothing_i2(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    first, second = buy(api, key, quantity=2)
    before = api.audit_count(key)
    route = {"type": "agent", "agent_id": agent["id"]}
    body = refused(
        put_routes(api, key, [first, "num_missing", second], route), 404, "number_not_found"
    )
    assert "num_missing" in body["detail"]
    assert route_of(api, key, first) == route_of(api, key, second) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_bulk_with_one_bad_number_changes_none_of_them_i2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    good = buy(api, key)[0]
    released = buy(api, key)[0]
    assert api.call("DELETE", f"/v1/numbers/{released}", key).status_code == 200
    masked = add_number(desk, org["org_id"], kind="masked")
    before = api.audit_count(key)
    refused(put_routes(api, key, [good, released], {"type": "company"}), 409, "number_not_live")
    body = refused(
        put_routes(api, key, [good, masked], {"type": "company"}), 422, "capability_missing"
    )
    assert body["number_id"] == masked
    assert route_of(api, key, good) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_masked_number_cannot_be_routed_to_n2(api: Api, desk: Desk) -> None:
    org = api.new_org()
    key = org["api_key"]
    masked = add_number(desk, org["org_id"], kind="masked")
    before = api.audit_count(key)
    body = refused(put_route(api, key, masked, {"type": "company"}), 422, "capability_missing")
    assert "N2" in body["detail"]
    assert "masked" in body["detail"]
    assert route_of(api, key, masked) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_sms_number_can_be_routed_for_its_texts_n2_s3(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    sms = buy(api, key, kind="sms")[0]
    response = put_route(api, key, sms, {"type": "agent", "agent_id": agent["id"]})
    assert response.status_code == 200, response.text
    expected = {"type": "agent", "agent_id": agent["id"], "ring": "extension"}
    assert route_of(api, key, sms) == expected


def test_released_number_cannot_be_routed_n3(api: Api) -> None:
    key = api.new_org()["api_key"]
    number_id = buy(api, key)[0]
    assert api.call("DELETE", f"/v1/numbers/{number_id}", key).status_code == 200
    before = api.audit_count(key)
    refused(put_route(api, key, number_id, {"type": "company"}), 409, "number_not_live")
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_agents_cannot_change_routes_or_company_settings_i11(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, agent_key = api.new_user(key)
    number_id = buy(api, key)[0]
    before = api.audit_count(key)
    route = {"type": "agent", "agent_id": agent["id"]}
    refused(put_route(api, agent_key, number_id, route), 403, "forbidden")
    refused(put_routes(api, agent_key, [number_id], route), 403, "forbidden")
    settings = {"default_rule": {"action": "user", "agent_id": agent["id"]}}
    response = api.call("PUT", f"/v1/numbers/{number_id}/company", agent_key, json=settings)
    refused(response, 403, "forbidden")
    assert route_of(api, agent_key, number_id) == NOT_ASSIGNED  # every user may read it
    assert api.audit_count(key) == before


def test_an_admin_may_change_routes_i11(api: Api) -> None:
    key = api.new_org()["api_key"]
    _, admin_key = api.new_user(key, role="admin")
    number_id = buy(api, key)[0]
    assert put_route(api, admin_key, number_id, {"type": "company"}).status_code == 200
    assert route_of(api, key, number_id) == {"type": "company", "ring": "extension"}


def test_route_to_an_agent_of_another_org_is_refused_a1(api: Api) -> None:
    key = api.new_org("Acme")["api_key"]
    other_key = api.new_org("Other")["api_key"]
    stranger, _ = api.new_user(other_key)
    their_queue = post(api, other_key, "/v1/queues", {"name": "Theirs"})
    number_id = buy(api, key)[0]
    theirs = buy(api, other_key)[0]
    before = api.audit_count(key)
    body = refused(
        put_route(api, key, number_id, {"type": "agent", "agent_id": stranger["id"]}),
        422,
        "invalid_field",
    )
    assert body["errors"][0]["field"] == "agent_id"
    refused(
        put_route(api, key, number_id, {"type": "queue", "queue_id": their_queue["id"]}),
        422,
        "invalid_field",
    )
    refused(put_route(api, key, theirs, {"type": "company"}), 404, "number_not_found")
    refused(put_routes(api, key, [number_id, theirs], {"type": "company"}), 404, "number_not_found")
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    assert route_of(api, other_key, theirs) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_route_to_a_deleted_user_is_refused_i2(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    assert api.call("DELETE", f"/v1/users/{agent['id']}", key).status_code == 204
    number_id = buy(api, key)[0]
    before = api.audit_count(key)
    response = put_route(api, key, number_id, {"type": "agent", "agent_id": agent["id"]})
    body = refused(response, 422, "invalid_field")
    assert body["errors"][0]["field"] == "agent_id"
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    assert api.audit_count(key) == before


@pytest.mark.parametrize(
    ("route", "field"),
    [
        ({"type": "agent"}, "agent_id"),
        ({"type": "ring_everyone"}, "type"),
        ({"agent_id": "usr_1"}, "type"),
        ({"type": "company", "queue_id": "que_1"}, "queue_id"),
        ({"type": "last_caller", "fallback": {"type": "company"}}, "fallback.type"),
        ({"type": "last_caller", "scope": "everywhere"}, "scope"),
    ],
)
def test_an_invalid_route_is_422_naming_the_field_i2(
    api: Api, route: dict[str, Any], field: str
) -> None:
    key = api.new_org()["api_key"]
    number_id = buy(api, key)[0]
    before = api.audit_count(key)
    response = put_route(api, key, number_id, route)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    bulk = put_routes(api, key, [number_id], route)
    assert bulk.status_code == 422, bulk.text
    assert bulk.json()["errors"][0]["field"] == f"route.{field}"
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_forward_route_to_an_invalid_number_is_422_n1(api: Api) -> None:
    key = api.new_org()["api_key"]
    number_id = buy(api, key)[0]
    before = api.audit_count(key)
    route = {"type": "forward", "forward_to": "not a number"}
    body = refused(put_route(api, key, number_id, route), 422, "invalid_phone_number")
    assert body["detail"].startswith("forward_to: ")
    body = refused(put_routes(api, key, [number_id], route), 422, "invalid_phone_number")
    assert body["detail"].startswith("route.forward_to: ")
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_forward_route_to_one_of_our_own_numbers_is_refused_n11(api: Api) -> None:
    key = api.new_org()["api_key"]
    first, second = buy(api, key, quantity=2)
    own = api.call("GET", f"/v1/numbers/{second}", key).json()["e164"]
    before = api.audit_count(key)
    body = refused(
        put_route(api, key, first, {"type": "forward", "forward_to": own}),
        422,
        "forward_to_own_number",
    )
    assert "N11" in body["detail"]
    fallback = {"type": "last_caller", "fallback": {"type": "forward", "forward_to": own}}
    body = refused(put_routes(api, key, [first], fallback), 422, "forward_to_own_number")
    assert body["errors"][0]["field"] == "route.fallback.forward_to"
    assert route_of(api, key, first) == NOT_ASSIGNED
    assert api.audit_count(key) == before


def test_more_than_500_numbers_in_one_request_is_422_i2(api: Api) -> None:
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    ids = [f"num_{i:04d}" for i in range(501)]
    refused(put_routes(api, key, ids, {"type": "company"}), 422, "too_many_numbers")
    refused(put_routes(api, key, [], {"type": "company"}), 422, "invalid_field")
    assert api.audit_count(key) == before


def test_released_number_loses_its_route_and_company_settings_n8(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    number_id = buy(api, key)[0]
    assert put_route(api, key, number_id, {"type": "company"}).status_code == 200
    settings = {"default_rule": {"action": "user", "agent_id": agent["id"]}}
    saved = api.call("PUT", f"/v1/numbers/{number_id}/company", key, json=settings)
    assert saved.status_code == 200, saved.text
    released = api.call("DELETE", f"/v1/numbers/{number_id}", key)
    assert released.status_code == 200, released.text
    assert released.json()["route"] == NOT_ASSIGNED
    assert route_of(api, key, number_id) == NOT_ASSIGNED
    gone = api.call("GET", f"/v1/numbers/{number_id}/company", key)
    refused(gone, 404, "company_settings_not_found")
    [release] = [e for e in audit(api, key, "number") if e["action"] == "release"]
    assert release["before"]["route"] == {"type": "company", "ring": "extension"}
    assert release["after"]["route"] is None
    [removed] = [e for e in audit(api, key, "company_number") if e["action"] == "remove"]
    assert removed["entity_id"] == number_id
    assert removed["before"]["default_rule"] == settings["default_rule"]
    assert removed["after"] is None

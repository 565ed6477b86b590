"""Searching and buying numbers through the HTTP API (rules N1, N4, A1-A3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import phonenumbers
import pytest
from sqlalchemy import select

from numberdesk.services.desk import Desk
from numberdesk.store import schema as s
from numberdesk.store.idempotency import IdempotencyRepo
from numberdesk.store.numbers import NumberRepo

if TYPE_CHECKING:
    from tests.conftest import Api

ORDER_212 = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 3}


def buy(api: Api, key: str, body: dict[str, Any], **headers: str) -> Any:
    """POST an order."""
    return api.call("POST", "/v1/number-orders", key, json=body, headers=headers)


def numbers_of(api: Api, key: str, query: str = "") -> list[dict[str, Any]]:
    """Every number listed (one page of up to 500)."""
    response = api.call("GET", f"/v1/numbers?limit=500{query}", key)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def sandbox_sales(desk: Desk) -> dict[str, Any]:
    """What the sandbox carrier has sold: e164 -> released_at."""
    with desk.store.engine.connect() as conn:
        query = select(s.sandbox_sales.c.e164, s.sandbox_sales.c.released_at)
        return {row.e164: row.released_at for row in conn.execute(query)}


def test_buying_three_voice_numbers_in_212_gives_three_active_audited_numbers_n4(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    response = buy(api, key, ORDER_212)
    assert response.status_code == 201, response.text
    order = response.json()
    bought = order["numbers"]
    assert len({n["e164"] for n in bought}) == 3
    for number in bought:
        assert number["e164"].startswith("+1212")
        assert phonenumbers.is_valid_number(phonenumbers.parse(number["e164"]))
        assert (number["status"], number["kind"], number["origin"]) == (
            "active",
            "voice",
            "purchased",
        )
        assert (number["country"], number["area_code"], number["line_type"]) == (
            "US",
            "212",
            "local",
        )
        assert number["area_codes"] == ["212"]
        assert number["compliance"] == {"ok": True, "issues": []}
        trail = api.call("GET", f"/v1/audit?entity=number&entity_id={number['id']}", key).json()
        assert [e["action"] for e in trail["items"]] == ["purchase"]
        assert trail["items"][0]["after"]["e164"] == number["e164"]
    assert sorted(n["id"] for n in numbers_of(api, key)) == sorted(n["id"] for n in bought)


def test_exhausted_area_code_answers_409_and_buys_nothing_n4(api: Api, desk: Desk) -> None:
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    response = buy(api, key, {**ORDER_212, "area_code": "907"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "no_numbers_available"
    assert "907" in problem["detail"]
    assert numbers_of(api, key) == []
    assert api.audit_count(key) == before
    assert sandbox_sales(desk) == {}


def test_an_order_the_area_code_cannot_fill_buys_none_of_it_n4(api: Api) -> None:
    """Stock is 30 per area code and kind in tests: 31 fails whole, then 30 still succeed."""
    key = api.new_org()["api_key"]
    too_many = buy(api, key, {**ORDER_212, "quantity": 31})
    assert too_many.status_code == 409
    assert too_many.json()["code"] == "no_numbers_available"
    assert numbers_of(api, key) == []
    assert buy(api, key, {**ORDER_212, "quantity": 30}).status_code == 201
    assert len(numbers_of(api, key)) == 30


def test_search_offers_numbers_and_never_one_already_sold_n4(api: Api) -> None:
    key = api.new_org()["api_key"]
    url = "/v1/available-numbers?country=US&area_code=212&kind=omni&limit=5"
    offers = api.call("GET", url, key).json()["items"]
    assert len(offers) == 5
    assert all(o["area_code"] == "212" and o["kind"] == "omni" for o in offers)
    picked = [o["e164"] for o in offers[:2]]
    response = buy(api, key, {"numbers": picked, "kind": "omni"})
    assert response.status_code == 201, response.text
    assert [n["e164"] for n in response.json()["numbers"]] == picked
    again = {o["e164"] for o in api.call("GET", url, key).json()["items"]}
    assert again.isdisjoint(picked)


def test_national_numbers_in_an_order_are_read_with_the_org_country_n1(api: Api) -> None:
    key = api.new_org(country="US")["api_key"]
    url = "/v1/available-numbers?country=US&area_code=646&kind=voice&limit=1"
    e164 = api.call("GET", url, key).json()["items"][0]["e164"]
    national = phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    response = buy(api, key, {"numbers": [national], "kind": "voice"})
    assert response.status_code == 201, response.text
    assert response.json()["numbers"][0]["e164"] == e164


BAD_ORDERS = [
    ({**ORDER_212, "area_code": "999"}, 422, "unknown_area_code"),
    ({**ORDER_212, "area_code": "2x2"}, 422, "unknown_area_code"),
    ({**ORDER_212, "country": "XX"}, 422, "unknown_country"),
    ({**ORDER_212, "quantity": 0}, 422, "invalid_quantity"),
    ({**ORDER_212, "quantity": 10_000}, 422, "invalid_quantity"),
    ({**ORDER_212, "kind": "fax"}, 422, "unknown_kind"),
    ({**ORDER_212, "kind": "masked"}, 422, "kind_not_buyable"),
    ({"country": "US", "kind": "voice"}, 422, "invalid_field"),
    ({"area_code": "212", "kind": "voice", "quantity": 1}, 422, "invalid_field"),
    ({"numbers": ["+1212555"], "kind": "voice"}, 422, "invalid_phone_number"),
    ({"numbers": ["hello"], "kind": "voice"}, 422, "invalid_phone_number"),
    ({"numbers": [], "kind": "voice"}, 422, "invalid_field"),
    ({"numbers": ["+12125550123", "212-555-0123"], "kind": "voice"}, 422, "invalid_field"),
    ({"numbers": ["+12125550123"], "quantity": 1, "kind": "voice"}, 422, "invalid_order"),
    ({"numbers": ["+12125550123", "+358401234567"], "kind": "voice"}, 422, "invalid_field"),
    ({**ORDER_212, "sponsor_id": "spo_nope"}, 404, "sponsor_not_found"),
    ({**ORDER_212, "colour": "red"}, 422, "invalid_request"),
    ({"country": "US", "quantity": 1}, 422, "invalid_request"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_ORDERS)
def test_bad_orders_say_what_to_fix_and_change_nothing(
    api: Api, desk: Desk, body: dict[str, Any], status: int, code: str
) -> None:
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    response = buy(api, key, body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert numbers_of(api, key) == []
    assert api.audit_count(key) == before
    assert sandbox_sales(desk) == {}


def test_malformed_json_order_is_400_and_changes_nothing(api: Api) -> None:
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    response = api.call(
        "POST",
        "/v1/number-orders",
        key,
        content=b'{"country": "US", "quantity": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert api.audit_count(key) == before


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("country=US&area_code=999", "unknown_area_code"),
        ("country=ZZ", "unknown_country"),
        ("country=US&kind=masked", "kind_not_buyable"),
        ("country=US&kind=pager", "unknown_kind"),
        ("country=US&limit=0", "invalid_request"),
        ("area_code=212", "invalid_request"),
    ],
)
def test_bad_searches_say_what_to_fix(api: Api, query: str, code: str) -> None:
    key = api.new_org()["api_key"]
    response = api.call("GET", f"/v1/available-numbers?{query}", key)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_unknown_area_code_points_to_the_list_of_valid_ones(api: Api) -> None:
    key = api.new_org()["api_key"]
    problem = api.call("GET", "/v1/available-numbers?country=US&area_code=999", key).json()
    assert "/v1/area-codes?country=US" in problem["detail"]
    listed = api.call("GET", "/v1/area-codes?country=US", key).json()["items"]
    codes = {a["area_code"] for a in listed}
    assert {"212", "646", "907"} <= codes
    assert "999" not in codes


def test_agent_searches_but_cannot_buy_a2(api: Api) -> None:
    owner_key = api.new_org()["api_key"]
    _, agent_key = api.new_user(owner_key, role="agent")
    before = api.audit_count(owner_key)
    search = api.call("GET", "/v1/available-numbers?country=US&area_code=212", agent_key)
    assert search.status_code == 200
    response = buy(api, agent_key, ORDER_212)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert numbers_of(api, owner_key) == []
    assert api.audit_count(owner_key) == before


def test_retry_with_the_same_idempotency_key_returns_the_first_order_and_buys_nothing(
    api: Api, desk: Desk
) -> None:
    key = api.new_org()["api_key"]
    first = buy(api, key, ORDER_212, **{"Idempotency-Key": "order-1"})
    assert first.status_code == 201
    audit_after_first = api.audit_count(key)
    retry = buy(api, key, ORDER_212, **{"Idempotency-Key": "order-1"})
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert len(numbers_of(api, key)) == 3
    assert len(sandbox_sales(desk)) == 3
    assert api.audit_count(key) == audit_after_first
    other = buy(api, key, {**ORDER_212, "quantity": 2}, **{"Idempotency-Key": "order-1"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert len(numbers_of(api, key)) == 3
    assert api.audit_count(key) == audit_after_first


def test_idempotency_keys_belong_to_one_org_a1(api: Api) -> None:
    first, second = api.new_org("One")["api_key"], api.new_org("Two")["api_key"]
    one = buy(api, first, ORDER_212, **{"Idempotency-Key": "same"})
    two = buy(api, second, ORDER_212, **{"Idempotency-Key": "same"})
    assert two.status_code == 201
    assert two.json()["id"] != one.json()["id"]
    assert len(numbers_of(api, second)) == 3


def test_failed_recording_gives_the_numbers_back_to_the_carrier(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compensation: the carrier sold them, our transaction failed, so they are released."""
    key = api.new_org()["api_key"]
    before = api.audit_count(key)

    def broken(_repo: NumberRepo, _number: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(NumberRepo, "add", broken)
    response = buy(api, key, ORDER_212)
    assert response.status_code == 500
    monkeypatch.undo()
    sales = sandbox_sales(desk)
    assert len(sales) == 3
    assert all(released is not None for released in sales.values())
    assert numbers_of(api, key) == []
    assert api.audit_count(key) == before


def test_concurrent_twin_with_the_same_key_is_answered_with_the_winners_order(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The twin read no stored answer yet, bought too, then lost on the key: it gives back."""
    key = api.new_org()["api_key"]
    first = buy(api, key, ORDER_212, **{"Idempotency-Key": "race"}).json()
    real_get = IdempotencyRepo.get
    reads: list[str] = []

    def not_yet_committed(repo: IdempotencyRepo, org_id: str, k: str) -> Any:
        reads.append(k)
        return None if len(reads) == 1 else real_get(repo, org_id, k)

    monkeypatch.setattr(IdempotencyRepo, "get", not_yet_committed)
    twin = buy(api, key, ORDER_212, **{"Idempotency-Key": "race"})
    assert twin.status_code == 201
    assert twin.json() == first
    assert len(numbers_of(api, key)) == 3
    sales = sandbox_sales(desk)
    mine = {n["e164"] for n in first["numbers"]}
    assert len(sales) == 6
    assert all((released is None) == (e164 in mine) for e164, released in sales.items())


def test_retried_order_of_exact_numbers_returns_the_first_order_n4(api: Api, desk: Desk) -> None:
    key = api.new_org()["api_key"]
    offered = api.call("GET", "/v1/available-numbers?country=US&area_code=212&limit=2", key)
    exact = {"numbers": [n["e164"] for n in offered.json()["items"]], "kind": "voice"}
    first = buy(api, key, exact, **{"Idempotency-Key": "exact-1"})
    assert first.status_code == 201, first.text
    retry = buy(api, key, exact, **{"Idempotency-Key": "exact-1"})
    assert (retry.status_code, retry.json()) == (201, first.json())
    again = buy(api, key, exact)  # without the key it is a new order of numbers we now have
    assert again.json()["code"] == "number_already_yours"
    assert len(sandbox_sales(desk)) == 2

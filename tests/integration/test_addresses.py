"""Proof of address through the HTTP API and the CLI (rules C1, C2, C4, A1-A3)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from typer.testing import CliRunner

from numberdesk.cli import app
from numberdesk.domain.numbers import Kind
from numberdesk.services.desk import Desk
from tests.integration.helpers import add_number, audit, post

if TYPE_CHECKING:
    from tests.conftest import Api

BERLIN = {"street": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"}
MUNICH = {"street": "Marienplatz 1", "city": "MÜNCHEN", "postal_code": "80331", "country": "DE"}


def buy(api: Api, key: str, country: str, area_code: str, quantity: int = 1) -> list[str]:
    """Buy local voice numbers in an area code; their ids."""
    order = post(
        api,
        key,
        "/v1/number-orders",
        {"country": country, "area_code": area_code, "kind": "voice", "quantity": quantity},
    )
    return [n["id"] for n in order["numbers"]]


def new_address(api: Api, key: str, name: str, where: dict[str, str]) -> str:
    """Create an address; its id."""
    made: str = post(api, key, "/v1/addresses", {"name": name, **where})["id"]
    return made


def number(api: Api, key: str, number_id: str) -> dict[str, Any]:
    """GET one number."""
    response = api.call("GET", f"/v1/numbers/{number_id}", key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(found: dict[str, Any]) -> list[str]:
    """The codes of a number's compliance issues."""
    return [issue["code"] for issue in found["compliance"]["issues"]]


def listed(api: Api, key: str, query: str) -> list[str]:
    """Ids of every number GET /v1/numbers?<query> lists, following cursors one by one."""
    ids: list[str] = []
    cursor = ""
    while True:
        page = api.call("GET", f"/v1/numbers?{query}&limit=1{cursor}", key).json()
        ids += [n["id"] for n in page["items"]]
        if not page["next"]:
            return ids
        cursor = f"&cursor={page['next']}"


def link(api: Api, key: str, address_id: str, number_ids: list[str]) -> Any:
    """POST /v1/addresses/{id}/numbers."""
    path = f"/v1/addresses/{address_id}/numbers"
    return api.call("POST", path, key, json={"number_ids": number_ids})


def test_addresses_are_created_read_corrected_and_deleted_with_an_audit_trail_a3(
    api: Api,
) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    made = post(api, key, "/v1/addresses", {"name": "HQ", "region": "Berlin", **BERLIN})
    assert made["number_count"] == 0
    assert made["region"] == "Berlin"
    page = api.call("GET", "/v1/addresses", key).json()
    assert [a["id"] for a in page["items"]] == [made["id"]]
    path = f"/v1/addresses/{made['id']}"
    changed = api.call("PATCH", path, key, json={"street": "Friedrichstraße 2"}).json()
    assert changed["street"] == "Friedrichstraße 2"
    assert changed["no_longer_valid"] == []
    assert api.call("GET", path, key).json()["street"] == "Friedrichstraße 2"
    assert api.call("DELETE", path, key).status_code == 204
    assert api.call("GET", path, key).status_code == 404
    actions = [e["action"] for e in audit(api, key, "address")]
    assert actions == ["create", "update", "delete"]


def test_address_names_are_unique_per_org_and_other_orgs_see_404_a1(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    other = api.new_org("Other", "DE")["api_key"]
    mine = new_address(api, key, "HQ", BERLIN)
    second = api.call("POST", "/v1/addresses", key, json={"name": "HQ", **MUNICH})
    assert second.status_code == 409
    assert second.json()["code"] == "duplicate_name"
    new_address(api, other, "HQ", BERLIN)  # the same name in another org is fine
    assert api.call("GET", f"/v1/addresses/{mine}", other).status_code == 404
    munich = new_address(api, key, "Munich", MUNICH)
    renamed = api.call("PATCH", f"/v1/addresses/{munich}", key, json={"name": "HQ"})
    assert renamed.status_code == 409


def test_bad_address_input_is_refused_and_changes_nothing(api: Api) -> None:
    org = api.new_org("Acme", "DE")
    key = org["api_key"]
    address_id = new_address(api, key, "HQ", BERLIN)
    _, agent = api.new_user(key, "agent")
    before = api.audit_count(key)
    bad = [
        ("POST", "/v1/addresses", {"name": "X", **BERLIN, "country": "Germany"}, 422),
        ("POST", "/v1/addresses", {"name": "X", "street": "S", "city": "C", "country": "DE"}, 422),
        ("POST", "/v1/addresses", {"name": " ", **BERLIN}, 422),
        ("POST", "/v1/addresses", {"name": "X", **BERLIN, "zip": "1"}, 422),
        ("PATCH", f"/v1/addresses/{address_id}", {"city": None}, 422),
        ("PATCH", f"/v1/addresses/{address_id}", {"postal_code": "10117/8"}, 422),
        ("PATCH", "/v1/addresses/adr_nope", {"city": "Bonn"}, 404),
        ("POST", f"/v1/addresses/{address_id}/numbers", {"number_ids": []}, 422),
        ("POST", f"/v1/addresses/{address_id}/numbers", {"number_ids": ["num_nope"]}, 404),
    ]
    for method, path, body, status in bad:
        response = api.call(method, path, key, json=body)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["detail"]
    refused = api.call("POST", "/v1/addresses", agent, json={"name": "Y", **BERLIN})
    assert refused.status_code == 403
    assert api.call("GET", "/v1/addresses", agent).status_code == 200
    assert api.audit_count(key) == before
    assert api.call("GET", f"/v1/addresses/{address_id}", key).json()["city"] == "Berlin"


def test_a_berlin_number_refuses_a_munich_address_and_accepts_a_berlin_one_c2(
    api: Api,
) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    (berlin_number,) = buy(api, key, "DE", "30")
    munich, berlin = new_address(api, key, "Munich", MUNICH), new_address(api, key, "B", BERLIN)
    assert codes(number(api, key, berlin_number)) == ["address_required"]
    before = api.audit_count(key)
    path = f"/v1/numbers/{berlin_number}"
    refused = api.call("PATCH", path, key, json={"address_id": munich})
    assert refused.status_code == 422
    assert refused.json()["code"] == "address_rule_not_met"
    assert "outside the area of prefix 30 (Berlin)" in refused.json()["detail"]
    assert api.audit_count(key) == before
    assert number(api, key, berlin_number)["address_id"] is None
    accepted = api.call("PATCH", path, key, json={"address_id": berlin})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["address_id"] == berlin
    assert accepted.json()["compliance"] == {"ok": True, "issues": []}
    assert [e["action"] for e in audit(api, key, "number")][-1] == "update"


def test_a_munich_number_accepts_munchen_without_its_accent_c2(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    (munich_number,) = buy(api, key, "DE", "89")
    plain = new_address(api, key, "Munich", {**MUNICH, "city": "Munchen"})
    response = api.call("PATCH", f"/v1/numbers/{munich_number}", key, json={"address_id": plain})
    assert response.status_code == 200, response.text
    assert response.json()["compliance"]["ok"]


def test_an_address_in_the_wrong_country_is_refused_c2(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    (berlin_number,) = buy(api, key, "DE", "30")
    paris = new_address(api, key, "Paris", {**BERLIN, "city": "Paris", "country": "FR"})
    refused = api.call("PATCH", f"/v1/numbers/{berlin_number}", key, json={"address_id": paris})
    assert refused.status_code == 422
    assert "wrong country" in refused.json()["detail"]
    unknown = api.call("PATCH", f"/v1/numbers/{berlin_number}", key, json={"address_id": "adr_x"})
    assert unknown.status_code == 404


def test_us_local_numbers_need_none_and_gb_local_numbers_any_gb_address_c1_c2(api: Api) -> None:
    key = api.new_org("Acme", "GB")["api_key"]
    (new_york,) = buy(api, key, "US", "212")
    (manchester,) = buy(api, key, "GB", "161")
    assert number(api, key, new_york)["compliance"] == {"ok": True, "issues": []}
    assert codes(number(api, key, manchester)) == ["address_required"]
    london = new_address(api, key, "London", {**BERLIN, "city": "London", "country": "GB"})
    response = link(api, key, london, [manchester, new_york])
    assert response.status_code == 200, response.text
    assert [n["compliance"]["ok"] for n in response.json()["numbers"]] == [True, True]
    assert response.json()["address"]["number_count"] == 2


def test_linking_many_numbers_is_all_or_nothing_naming_each_failure_c2(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    berlin_numbers = buy(api, key, "DE", "30", 2)
    (munich_number,) = buy(api, key, "DE", "89")
    berlin = new_address(api, key, "Berlin", BERLIN)
    before = api.audit_count(key)
    refused = link(api, key, berlin, [*berlin_numbers, munich_number])
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "address_rule_not_met"
    assert [f["number_id"] for f in problem["failures"]] == [munich_number]
    assert problem["failures"][0]["code"] == "outside_area"
    assert [e["field"] for e in problem["errors"]] == ["number_ids[2]"]
    assert "nothing was linked" in problem["detail"]
    assert api.audit_count(key) == before
    assert all(number(api, key, n)["address_id"] is None for n in berlin_numbers)
    linked = link(api, key, berlin, berlin_numbers)
    assert linked.status_code == 200, linked.text
    assert [n["address_id"] for n in linked.json()["numbers"]] == [berlin, berlin]
    actions = [e["action"] for e in audit(api, key, "number")]
    assert actions.count("link_address") == 2


def test_needs_address_lists_exactly_the_numbers_without_a_valid_address_c2_c4(
    api: Api,
) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    (us,) = buy(api, key, "US", "212")
    linked, moved, unlinked = buy(api, key, "DE", "30", 3)
    berlin, office = new_address(api, key, "Berlin", BERLIN), new_address(api, key, "O", BERLIN)
    assert link(api, key, berlin, [linked]).status_code == 200
    assert link(api, key, office, [moved]).status_code == 200
    changed = api.call("PATCH", f"/v1/addresses/{office}", key, json=MUNICH).json()
    assert [u["number_id"] for u in changed["no_longer_valid"]] == [moved]
    assert codes(number(api, key, moved)) == ["address_not_valid"]
    assert sorted(listed(api, key, "needs_address=true")) == sorted([moved, unlinked])
    assert sorted(listed(api, key, "needs_address=false")) == sorted([us, linked])
    assert sorted(listed(api, key, "compliance_ok=false")) == sorted([moved, unlinked])
    flagged = api.call("GET", "/v1/numbers", key).json()["items"]
    assert {n["id"]: n["compliance"]["ok"] for n in flagged} == {
        us: True,
        linked: True,
        moved: False,
        unlinked: False,
    }


def test_unlinking_with_null_makes_the_number_need_an_address_again_c2(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    (berlin_number,) = buy(api, key, "DE", "30")
    berlin = new_address(api, key, "Berlin", BERLIN)
    path = f"/v1/numbers/{berlin_number}"
    assert api.call("PATCH", path, key, json={"address_id": berlin}).status_code == 200
    unlinked = api.call("PATCH", path, key, json={"address_id": None}).json()
    assert unlinked["address_id"] is None
    assert codes(unlinked) == ["address_required"]
    assert listed(api, key, "needs_address=true") == [berlin_number]


def test_an_address_that_proves_numbers_cannot_be_deleted_409(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    numbers = buy(api, key, "DE", "30", 2)
    berlin = new_address(api, key, "Berlin", BERLIN)
    assert link(api, key, berlin, numbers).status_code == 200
    before = api.audit_count(key)
    refused = api.call("DELETE", f"/v1/addresses/{berlin}", key)
    assert refused.status_code == 409
    assert refused.json()["code"] == "address_in_use"
    assert "2 numbers are linked" in refused.json()["detail"]
    assert api.audit_count(key) == before
    assert api.call("DELETE", f"/v1/numbers/{numbers[0]}", key).status_code == 200
    patched = api.call("PATCH", f"/v1/numbers/{numbers[1]}", key, json={"address_id": None})
    assert patched.status_code == 200
    assert api.call("DELETE", f"/v1/addresses/{berlin}", key).status_code == 204


def test_a_released_number_cannot_be_linked_c2(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    (gone,) = buy(api, key, "DE", "30")
    berlin = new_address(api, key, "Berlin", BERLIN)
    assert api.call("DELETE", f"/v1/numbers/{gone}", key).status_code == 200
    refused = link(api, key, berlin, [gone])
    assert refused.status_code == 422
    assert refused.json()["code"] == "number_not_live"


def test_masked_numbers_follow_the_same_address_rules_c2(api: Api, desk: Desk) -> None:
    org = api.new_org("Acme", "DE")
    key = org["api_key"]
    masked_id = add_number(desk, org["org_id"], "masked")
    with desk.store.transaction() as tx:
        masked = tx.numbers.require(org["org_id"], masked_id)
        tx.numbers.save(
            dataclasses.replace(masked, e164="+493012345678", country="DE", area_code="30")
        )
    assert codes(number(api, key, masked_id)) == ["address_required"]
    munich = new_address(api, key, "Munich", MUNICH)
    assert link(api, key, munich, [masked_id]).status_code == 422
    berlin = new_address(api, key, "Berlin", BERLIN)
    assert link(api, key, berlin, [masked_id]).json()["numbers"][0]["kind"] == Kind.MASKED


def test_suspended_pending_and_porting_numbers_show_the_fix_c4(api: Api, desk: Desk) -> None:
    org = api.new_org("Acme", "US")
    key = org["api_key"]
    statuses = ("suspended", "pending", "porting_in")
    ids = {s: add_number(desk, org["org_id"], status=s) for s in statuses}
    with desk.store.transaction() as tx:
        number_ = tx.numbers.require(org["org_id"], ids["suspended"])
        reason = "mandate man_1 was revoked"
        tx.numbers.save(dataclasses.replace(number_, status_reason=reason))
    suspended = number(api, key, ids["suspended"])["compliance"]
    assert suspended["ok"] is False
    assert suspended["issues"] == [
        {
            "code": "suspended",
            "message": "mandate man_1 was revoked",
            "fix": "re-activate under an active mandate: "
            f"POST /v1/numbers/{ids['suspended']}/reactivate",
        }
    ]
    assert codes(number(api, key, ids["pending"])) == ["pending_verification"]
    assert codes(number(api, key, ids["porting_in"])) == ["porting_in"]
    assert sorted(listed(api, key, "compliance_ok=false")) == sorted(ids.values())


def test_address_requirements_are_published_with_their_sources_c1(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    rules = api.call("GET", "/v1/address-requirements?country=DE", key).json()["items"]
    local = next(r for r in rules if r["line_type"] == "local")
    assert local["requirement"] == "local"
    assert "BNetzA" in local["source"]
    refused = api.call("GET", "/v1/address-requirements?country=XX", key)
    assert refused.status_code == 422


runner = CliRunner()


def cli(database_url: str, *args: str) -> tuple[int, str]:
    """Run ``numberdesk`` against the test database."""
    env = {"NUMBERDESK_DATABASE_URL": database_url}
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_cli_creates_lists_and_links_addresses_c2(api: Api, database_url: str) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    numbers = buy(api, key, "DE", "30", 2)
    where = ["--street", "Marienplatz 1", "--postal-code", "80331", "--country", "DE"]
    name = ["--name", "Munich", "--city", "München"]
    code, out = cli(database_url, "addresses", "create", *name, *where, "--api-key", key)
    assert code == 0, out
    munich = api.call("GET", "/v1/addresses", key).json()["items"][0]["id"]
    code, out = cli(database_url, "addresses", "link", munich, *numbers, "--api-key", key)
    assert code == 2
    assert "address_rule_not_met" in out
    assert "prefix 30 (Berlin)" in out
    berlin = new_address(api, key, "Berlin", BERLIN)
    code, out = cli(database_url, "addresses", "link", berlin, *numbers, "--api-key", key)
    assert code == 0, out
    assert all(n in out for n in numbers), out
    assert {number(api, key, n)["address_id"] for n in numbers} == {berlin}
    code, out = cli(database_url, "addresses", "list", "--api-key", key)
    assert code == 0, out
    assert "Munich" in out
    assert berlin in out, out
    code, out = cli(database_url, "numbers", "list", "--needs-address", "--api-key", key)
    assert code == 0, out
    assert not any(n in out for n in numbers)
    code, out = cli(database_url, "addresses", "requirements", "--country", "US")
    assert code == 0, out
    assert "FCC" in out


def test_creating_an_address_again_with_the_same_idempotency_key_makes_one(api: Api) -> None:
    key = api.new_org("Acme", "DE")["api_key"]
    body = {"name": "HQ", **BERLIN}
    headers = {"Idempotency-Key": "addr-1"}
    first = api.call("POST", "/v1/addresses", key, json=body, headers=headers)
    again = api.call("POST", "/v1/addresses", key, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(api.call("GET", "/v1/addresses", key).json()["items"]) == 1

"""Sponsors and mandates through the HTTP API and the CLI (rules N5, C3, A1-A3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import mandates, sponsors
from numberdesk.services.desk import Desk
from numberdesk.services.mandates import MandateRequest, create_mandate, sign_mandate
from numberdesk.store import schema as s
from tests.integration.helpers import audit, post
from tests.integration.test_cli import run

if TYPE_CHECKING:
    from tests.conftest import Api, Clock

ORDER = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 2}


def sponsor(api: Api, key: str, business_id: str = "1234567-8") -> str:
    """Add a sponsor; its id."""
    body = {"name": "Northwind Oy", "business_id": business_id, "country": "FI"}
    return str(post(api, key, "/v1/sponsors", body)["id"])


def mandate(api: Api, key: str, grantor: dict[str, Any], **body: Any) -> dict[str, Any]:
    """Create a mandate (default: purchase, all numbers); the pending mandate."""
    body.setdefault("purposes", ["purchase"])
    if "numbers" not in body:
        body.setdefault("all_numbers", True)
    return post(api, key, "/v1/mandates", {"grantor": grantor, **body})


def sign(api: Api, key: str, mandate_id: str) -> dict[str, Any]:
    """Sign a mandate; the active mandate."""
    response = api.call("POST", f"/v1/mandates/{mandate_id}/sign", key, json={"signed_by": "CEO"})
    assert response.status_code == 200, response.text
    signed: dict[str, Any] = response.json()
    return signed


def active_purchase_mandate(api: Api, key: str, sponsor_id: str, **body: Any) -> str:
    """A signed purchase mandate of the sponsor; its id."""
    made = mandate(api, key, {"type": "sponsor", "id": sponsor_id}, **body)
    return str(sign(api, key, made["id"])["id"])


def buy(api: Api, key: str, **body: Any) -> Any:
    """Order numbers."""
    return api.call("POST", "/v1/number-orders", key, json={**ORDER, **body})


def bought(api: Api, key: str, **body: Any) -> list[dict[str, Any]]:
    """Order numbers that must be bought; the numbers."""
    response = buy(api, key, **body)
    assert response.status_code == 201, response.text
    numbers: list[dict[str, Any]] = response.json()["numbers"]
    return numbers


def statuses(api: Api, key: str) -> dict[str, str]:
    """Every live number's status by id."""
    items = api.call("GET", "/v1/numbers?limit=500", key).json()["items"]
    return {n["id"]: n["status"] for n in items}


def sold(desk: Desk) -> int:
    """How many numbers the sandbox carrier has sold."""
    with desk.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.sandbox_sales)).scalar_one())


# --- Sponsors -----------------------------------------------------------------------------


def test_sponsors_are_added_listed_and_read_by_their_org_only_a1(api: Api) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    listed = api.call("GET", "/v1/sponsors", key).json()["items"]
    assert [(x["id"], x["name"], x["country"]) for x in listed] == [
        (sponsor_id, "Northwind Oy", "FI")
    ]
    assert api.call("GET", f"/v1/sponsors/{sponsor_id}", key).json()["business_id"] == "1234567-8"
    other = api.new_org("Other")["api_key"]
    assert api.call("GET", f"/v1/sponsors/{sponsor_id}", other).status_code == 404
    assert [e["action"] for e in audit(api, key, "sponsor")] == ["create"]


def test_a_second_sponsor_with_the_same_business_id_is_refused_409(api: Api) -> None:
    key = api.new_org()["api_key"]
    sponsor(api, key)
    entries = api.audit_count(key)
    body = {"name": "Another name", "business_id": " 1234567-8 ", "country": "fi"}
    response = api.call("POST", "/v1/sponsors", key, json=body)
    assert response.status_code == 409
    assert response.json()["code"] == "sponsor_exists"
    assert api.audit_count(key) == entries
    assert len(api.call("GET", "/v1/sponsors", key).json()["items"]) == 1


def test_agents_read_sponsors_and_mandates_but_only_managers_create_them_a2(api: Api) -> None:
    key = api.new_org()["api_key"]
    _, agent = api.new_user(key, "agent")
    body = {"name": "N", "business_id": "1", "country": "FI"}
    assert api.call("POST", "/v1/sponsors", agent, json=body).status_code == 403
    mandate_body = {"grantor": {"type": "org"}, "purposes": ["mask"], "all_numbers": True}
    assert api.call("POST", "/v1/mandates", agent, json=mandate_body).status_code == 403
    made = mandate(api, key, {"type": "org"}, purposes=["mask"])
    sign_body = {"signed_by": "Me"}
    path = f"/v1/mandates/{made['id']}"
    assert api.call("POST", f"{path}/sign", agent, json=sign_body).status_code == 403
    assert api.call("POST", f"{path}/revoke", agent).status_code == 403
    assert api.call("GET", path, agent).json()["status"] == "pending_signature"
    assert api.call("GET", "/v1/sponsors", agent).status_code == 200


# --- Mandates: creating, signing, revoking ------------------------------------------------


def test_a_new_mandate_waits_for_its_signature_and_reads_numbers_nationally_n1_c3(
    api: Api,
) -> None:
    org = api.new_org()
    made = mandate(
        api, org["api_key"], {"type": "org"}, purposes=["port", "mask"], numbers=["212 710 8999"]
    )
    assert made["status"] == "pending_signature"
    assert made["grantor"] == {"type": "org", "id": org["org_id"]}
    assert (made["purposes"], made["numbers"], made["all_numbers"]) == (
        ["mask", "port"],
        ["+12127108999"],
        False,
    )
    assert (made["signed_at"], made["document_hash"]) == (None, None)
    assert [e["action"] for e in audit(api, org["api_key"], "mandate")] == ["create"]


def test_signing_records_who_when_and_the_document_hash_c3(api: Api, clock: Clock) -> None:
    key = api.new_org()["api_key"]
    computed = sign(api, key, mandate(api, key, {"type": "org"})["id"])
    assert computed["status"] == "active"
    assert (computed["signed_by"], computed["signed_at"]) == ("CEO", "2026-11-02T09:00:00Z")
    assert len(computed["document_hash"]) == 64
    given = mandate(api, key, {"type": "org"})["id"]
    body = {"signed_by": "CEO", "document_hash": "A1" * 32}
    response = api.call("POST", f"/v1/mandates/{given}/sign", key, json=body)
    assert response.json()["document_hash"] == "a1" * 32
    assert [e["action"] for e in audit(api, key, "mandate")] == ["create", "sign"] * 2


def test_signing_twice_or_revoking_twice_is_refused_and_changes_nothing_c3(api: Api) -> None:
    key = api.new_org()["api_key"]
    mandate_id = sign(api, key, mandate(api, key, {"type": "org"})["id"])["id"]
    entries = api.audit_count(key)
    again = api.call("POST", f"/v1/mandates/{mandate_id}/sign", key, json={"signed_by": "X"})
    assert (again.status_code, again.json()["code"]) == (409, "mandate_not_pending")
    assert api.call("GET", f"/v1/mandates/{mandate_id}", key).json()["signed_by"] == "CEO"
    assert api.call("POST", f"/v1/mandates/{mandate_id}/revoke", key).status_code == 200
    entries = api.audit_count(key)
    twice = api.call("POST", f"/v1/mandates/{mandate_id}/revoke", key)
    assert (twice.status_code, twice.json()["code"]) == (409, "mandate_ended")
    resign = api.call("POST", f"/v1/mandates/{mandate_id}/sign", key, json={"signed_by": "X"})
    assert resign.status_code == 409
    assert api.audit_count(key) == entries


def test_mandates_are_listed_by_status_and_grantor(api: Api) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    own = mandate(api, key, {"type": "org"}, purposes=["mask"])["id"]
    theirs = active_purchase_mandate(api, key, sponsor_id)

    def ids(query: str) -> list[str]:
        return [m["id"] for m in api.call("GET", f"/v1/mandates?{query}", key).json()["items"]]

    assert ids("") == [own, theirs]
    assert ids("status=active") == [theirs]
    assert ids("status=pending_signature") == [own]
    assert ids("grantor_type=org") == [own]
    assert ids(f"grantor_type=sponsor&grantor_id={sponsor_id}") == [theirs]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"purposes": ["call"], "all_numbers": True}, 422, "unknown_purpose"),
        ({"purposes": [], "all_numbers": True}, 422, "invalid_field"),
        ({"purposes": ["mask"], "all_numbers": True, "numbers": ["+12127108999"]}, 422, None),
        ({"purposes": ["mask"]}, 422, "invalid_mandate_coverage"),
        ({"purposes": ["mask"], "numbers": ["12345"]}, 422, "invalid_phone_number"),
        (
            {"purposes": ["mask"], "all_numbers": True, "valid_until": "2026-11-01T00:00Z"},
            422,
            None,
        ),
        ({"purposes": ["mask"], "all_numbers": True, "valid_until": "2027-01-01T00:00"}, 422, None),
        ({"grantor": {"type": "partner"}, "purposes": ["mask"], "all_numbers": True}, 422, None),
        ({"grantor": {"type": "sponsor"}, "purposes": ["mask"], "all_numbers": True}, 422, None),
        (
            {
                "grantor": {"type": "sponsor", "id": "spn_x"},
                "purposes": ["mask"],
                "all_numbers": True,
            },
            404,
            "sponsor_not_found",
        ),
    ],
)
def test_bad_mandates_are_refused_and_nothing_is_recorded(
    api: Api, body: dict[str, Any], status: int, code: str | None
) -> None:
    key = api.new_org()["api_key"]
    entries = api.audit_count(key)
    response = api.call("POST", "/v1/mandates", key, json={"grantor": {"type": "org"}, **body})
    assert response.status_code == status, response.text
    assert code is None or response.json()["code"] == code
    assert response.json()["detail"]
    assert api.call("GET", "/v1/mandates", key).json()["items"] == []
    assert api.audit_count(key) == entries


def test_another_orgs_sponsor_cannot_grant_a_mandate_a1(api: Api) -> None:
    key = api.new_org()["api_key"]
    foreign = sponsor(api, api.new_org("Other")["api_key"])
    body = {
        "grantor": {"type": "sponsor", "id": foreign},
        "purposes": ["mask"],
        "all_numbers": True,
    }
    response = api.call("POST", "/v1/mandates", key, json=body)
    assert (response.status_code, response.json()["code"]) == (404, "sponsor_not_found")
    assert api.call("GET", "/v1/mandates", key).json()["items"] == []


def test_a_retried_mandate_with_the_same_idempotency_key_is_recorded_once(api: Api) -> None:
    key = api.new_org()["api_key"]
    body = {"grantor": {"type": "org"}, "purposes": ["mask"], "all_numbers": True}
    headers = {"Idempotency-Key": "mandate-1"}
    first = api.call("POST", "/v1/mandates", key, json=body, headers=headers)
    again = api.call("POST", "/v1/mandates", key, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(api.call("GET", "/v1/mandates", key).json()["items"]) == 1


# --- The CLI ------------------------------------------------------------------------------


def _owner(desk: Desk, database_url: str) -> tuple[str, Actor]:
    created = json.loads(run(database_url, "org", "create", "--name", "A", "--country", "US")[1])
    return created["api_key"], Actor(created["org_id"], created["owner_user_id"], Role.OWNER)


def test_cli_adds_a_sponsor_and_creates_signs_lists_and_revokes_its_mandate_c3(
    desk: Desk, database_url: str
) -> None:
    key, actor = _owner(desk, database_url)
    code, output = run(
        database_url, "mandates", "sponsors", "add", "--name", "Northwind Oy",
        "--business-id", "1234567-8", "--country", "FI", "--api-key", key,
    )  # fmt: skip
    assert code == 0, output
    assert "Northwind Oy" in output
    sponsor_id = sponsors.list_sponsors(desk, actor, cursor=None, limit=5).items[0].id
    code, output = run(
        database_url, "mandates", "create", "--sponsor-id", sponsor_id, "--purpose", "purchase",
        "--purpose", "mask", "--all-numbers", "--valid-until", "2099-12-31T23:59Z",
        "--api-key", key,
    )  # fmt: skip
    assert code == 0, output
    assert "Mandate created" in output
    made = mandates.list_mandates(desk, actor).items[0]
    assert (made.purposes, made.all_numbers, made.grantor_id) == (
        ["purchase", "mask"],
        True,
        sponsor_id,
    )
    code, output = run(
        database_url, "mandates", "sign", made.id, "--signed-by", "CEO", "--api-key", key
    )
    assert code == 0, output
    assert mandates.get_mandate(desk, actor, made.id).status == "active"
    code, output = run(database_url, "mandates", "list", "--status", "active", "--api-key", key)
    assert (code, "mdt_" in output) == (0, True), output
    code, output = run(database_url, "mandates", "list", "--status", "revoked", "--api-key", key)
    assert (code, "mdt_" in output) == (0, False), output
    code, output = run(database_url, "mandates", "revoke", made.id, "--api-key", key)
    assert code == 0, output
    assert mandates.get_mandate(desk, actor, made.id).status == "revoked"
    code, output = run(database_url, "mandates", "revoke", made.id, "--api-key", key)
    assert (code, "mandate_ended" in output) == (2, True)


def test_cli_refuses_a_bad_mandate_with_the_reason_and_records_nothing(
    desk: Desk, database_url: str
) -> None:
    key, actor = _owner(desk, database_url)
    code, output = run(
        database_url, "mandates", "create", "--purpose", "call", "--all-numbers", "--api-key", key
    )
    assert (code, "unknown_purpose" in output) == (2, True)
    code, output = run(
        database_url, "mandates", "create", "--purpose", "mask", "--valid-until", "soon",
        "--all-numbers", "--api-key", key,
    )  # fmt: skip
    assert (code, "valid_until" in output) == (2, True)
    assert mandates.list_mandates(desk, actor).items == []


def test_cli_expire_marks_run_out_mandates_of_every_org_and_suspends_their_numbers_c3(
    desk: Desk, database_url: str, clock: Clock
) -> None:
    """The operator's sweep runs on the real clock: the mandate ran out a minute ago."""
    _, actor = _owner(desk, database_url)
    real_now = datetime.now(UTC)
    clock.at = real_now - timedelta(days=1)
    request = MandateRequest(
        grantor_type="org",
        purposes=["mask"],
        numbers=["+12127108999"],
        valid_until=real_now - timedelta(minutes=1),
    )
    made = create_mandate(desk, actor, request)
    sign_mandate(desk, actor, made.id, "CEO", None)
    number = Number(
        org_id=actor.org_id,
        id=new_id("num"),
        e164="+12127108999",
        country="US",
        line_type="local",
        kind=Kind.MASKED,
        origin=Origin.MASKED,
        status=Status.ACTIVE,
        created_at=clock.at,
        mandate_id=made.id,
    )
    with desk.store.transaction() as tx:
        tx.numbers.add(number)
    code, output = run(database_url, "mandates", "expire")
    assert code == 0, output
    assert "Expired 1 mandates" in output
    with desk.store.transaction() as tx:
        assert tx.numbers.require(actor.org_id, number.id).status is Status.SUSPENDED
        stored = tx.conn.execute(select(s.mandates.c.status)).scalar_one()
    assert stored == "expired"
    code, output = run(database_url, "mandates", "expire")
    assert (code, "No mandate has run out" in output) == (0, True)

"""Branding (N9), directory registration (N10) and forwarding (N11) through the HTTP API and CLI.

Also A2 (roles), A3 (audit) and N2/N3 (what a number may be used for).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from numberdesk.cli import app as cli_app
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.services.branding import approved_display_names
from numberdesk.services.desk import Desk
from tests.conftest import ADMIN_TOKEN
from tests.integration.helpers import at_once, audit, post

if TYPE_CHECKING:
    from tests.conftest import Api, Clock

BRAND = {"display_name": "Acme Insurance", "location": "Helsinki", "call_reason": "Renewal"}


def buy(api: Api, key: str, country: str = "FI", kind: str = "voice", **extra: Any) -> Any:
    """Buy one number in the country; the number."""
    body = {"country": country, "kind": kind, "quantity": 1, **extra}
    response = api.call("POST", "/v1/number-orders", key, json=body)
    assert response.status_code == 201, response.text
    return response.json()["numbers"][0]


def add_masked(desk: Desk, org_id: str, e164: str = "+358912345678") -> str:
    """An active masked Finnish number, put straight into the store."""
    number = Number(
        org_id=org_id,
        id=new_id("num"),
        e164=e164,
        country="FI",
        area_code="9",
        line_type="local",
        kind=Kind.MASKED,
        origin=Origin.MASKED,
        status=Status.ACTIVE,
        created_at=desk.now(),
    )
    with desk.store.transaction() as tx:
        tx.numbers.add(number)
    return number.id


def put(api: Api, key: str, number_id: str, what: str, body: dict[str, Any]) -> Any:
    """PUT a branding or directory listing; the response."""
    return api.call("PUT", f"/v1/numbers/{number_id}/{what}", key, json=body)


def review(api: Api, what: str, number_id: str, body: dict[str, Any]) -> Any:
    """The sandbox carrier's decision (admin token)."""
    return api.call("POST", f"/v1/sandbox/{what}/{number_id}", ADMIN_TOKEN, json=body)


def read(api: Api, key: str, number_id: str) -> dict[str, Any]:
    """The number as the API shows it."""
    response = api.call("GET", f"/v1/numbers/{number_id}", key)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def org_of(api: Api, country: str = "FI") -> tuple[str, str]:
    """A new org's id and owner key."""
    made = api.new_org(name=f"Acme {country}", country=country)
    return made["org_id"], made["api_key"]


def sponsor_with_mandate(
    api: Api, key: str, purposes: list[str], e164: str, *, sign: bool = True
) -> tuple[str, str]:
    """A sponsor and its mandate for ``purposes`` covering ``e164`` (signed unless told)."""
    sponsor = post(
        api,
        key,
        "/v1/sponsors",
        {"name": "Northwind", "business_id": "FI1234567"} | {"country": "FI"},
    )
    grant = {"grantor": {"type": "sponsor", "id": sponsor["id"]}, "purposes": purposes}
    mandate = post(api, key, "/v1/mandates", grant | {"numbers": [e164]})
    if sign:
        signed = api.call(
            "POST", f"/v1/mandates/{mandate['id']}/sign", key, json={"signed_by": "CEO"}
        )
        assert signed.status_code == 200, signed.text
    return sponsor["id"], mandate["id"]


# --- Branding (N9) ------------------------------------------------------------------------


def test_branding_is_submitted_then_approved_and_shown_on_the_number_n9(
    api: Api, desk: Desk
) -> None:
    org_id, key = org_of(api)
    number = buy(api, key)
    assert number["branding"] is None
    response = put(api, key, number["id"], "branding", BRAND)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["display_name"]) == (
        "submitted",
        "Acme Insurance",
    )
    assert read(api, key, number["id"])["branding"]["status"] == "submitted"
    with desk.store.transaction() as tx:
        assert approved_display_names(tx, org_id) == {}

    decided = review(api, "brandings", number["id"], {"approved": True})
    assert decided.status_code == 200, decided.text
    shown = read(api, key, number["id"])["branding"]
    assert (shown["status"], shown["location"], shown["call_reason"]) == (
        "approved",
        "Helsinki",
        "Renewal",
    )
    with desk.store.transaction() as tx:
        assert approved_display_names(tx, org_id, [number["id"]]) == {
            number["id"]: "Acme Insurance"
        }
    actions = [(e["action"], e["actor_user_id"] is None) for e in audit(api, key, "branding")]
    assert actions == [("submit", False), ("approve", True)]


def test_rejected_branding_keeps_the_carriers_reason_and_can_be_resubmitted_n9(api: Api) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    put(api, key, number["id"], "branding", BRAND)
    without_reason = review(api, "brandings", number["id"], {"approved": False})
    assert without_reason.status_code == 422
    rejected = review(
        api, "brandings", number["id"], {"approved": False, "reason": "Unverified name"}
    )
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "Unverified name")
    again = review(api, "brandings", number["id"], {"approved": True})
    assert (again.status_code, again.json()["code"]) == (409, "branding_not_submitted")

    resubmitted = put(api, key, number["id"], "branding", BRAND | {"display_name": "Acme Oy"})
    assert (resubmitted.json()["status"], resubmitted.json()["reason"]) == ("submitted", None)


def test_the_same_branding_put_again_stays_approved_and_is_not_resent_n9(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    told: list[tuple[str, str]] = []
    monkeypatch.setattr(
        desk.carrier,
        "submit_branding",
        lambda org, e164, **kw: told.append((e164, kw["display_name"])),
    )
    put(api, key, number["id"], "branding", BRAND)
    review(api, "brandings", number["id"], {"approved": True})
    before = api.audit_count(key)
    assert put(api, key, number["id"], "branding", BRAND).json()["status"] == "approved"
    assert told == [(number["e164"], "Acme Insurance")]
    assert api.audit_count(key) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "x" * 33}, "display_name"),
        ({"display_name": "Acme", "call_reason": "r" * 65}, "call_reason"),
        ({"display_name": "Acme", "location": "l" * 101}, "location"),
        ({"display_name": "Acme", "logo_url": "http://acme.example/logo.png"}, "logo_url"),
        ({"display_name": " "}, "display_name"),
    ],
)
def test_branding_beyond_the_limits_is_refused_and_changes_nothing_n9(
    api: Api, body: dict[str, Any], field: str
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    before = api.audit_count(key)
    response = put(api, key, number["id"], "branding", body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert read(api, key, number["id"]) == number
    assert api.audit_count(key) == before


def test_masked_number_cannot_be_branded_n9_n2(api: Api, desk: Desk) -> None:
    org_id, key = org_of(api)
    masked = add_masked(desk, org_id)
    before = api.audit_count(key)
    response = put(api, key, masked, "branding", BRAND)
    assert (response.status_code, response.json()["code"]) == (422, "number_masked")
    assert "masked numbers can't be branded" in response.json()["detail"]
    assert read(api, key, masked)["branding"] is None
    assert api.audit_count(key) == before


def test_sms_number_cannot_be_branded_because_it_places_no_calls_n9_n2(api: Api) -> None:
    _, key = org_of(api, "US")
    sms = buy(api, key, "US", "sms", area_code="212")
    response = put(api, key, sms["id"], "branding", BRAND)
    assert (response.status_code, response.json()["code"]) == (422, "capability_missing")


def test_released_number_cannot_be_branded_or_registered_n9_n10_n3(api: Api) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    assert api.call("DELETE", f"/v1/numbers/{number['id']}", key).status_code == 200
    before = api.audit_count(key)
    branded = put(api, key, number["id"], "branding", BRAND)
    listed = put(api, key, number["id"], "directory-listing", {"company_name": "Acme Oy"})
    assert (branded.status_code, branded.json()["code"]) == (409, "number_not_live")
    assert (listed.status_code, listed.json()["code"]) == (409, "number_not_live")
    assert api.audit_count(key) == before


def test_removing_branding_tells_the_carrier_and_is_audited_n9(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    withdrawn: list[str] = []
    monkeypatch.setattr(desk.carrier, "withdraw_branding", lambda org, e164: withdrawn.append(e164))
    put(api, key, number["id"], "branding", BRAND)
    assert api.call("DELETE", f"/v1/numbers/{number['id']}/branding", key).status_code == 204
    assert withdrawn == [number["e164"]]
    assert read(api, key, number["id"])["branding"] is None
    missing = api.call("GET", f"/v1/numbers/{number['id']}/branding", key)
    assert (missing.status_code, missing.json()["code"]) == (404, "branding_not_found")
    assert [e["action"] for e in audit(api, key, "branding")] == ["submit", "remove"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_brandings_saved_at_once_are_each_submitted_and_removals_remove_once_n9(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All but one of several PUTs at once used to be refused as changed meanwhile, and
    several DELETEs at once each told the carrier."""
    _, key = org_of(api)
    number = buy(api, key)
    withdrawn: list[str] = []
    monkeypatch.setattr(desk.carrier, "withdraw_branding", lambda org, e164: withdrawn.append(e164))
    names = [f"Acme {i}" for i in range(5)]

    saved = at_once(
        *[partial(put, api, key, number["id"], "branding", {"display_name": n}) for n in names]
    )
    removed = at_once(
        *[partial(api.call, "DELETE", f"/v1/numbers/{number['id']}/branding", key)] * 5
    )

    assert [s.status_code for s in saved] == [200] * 5, [s.text for s in saved]
    assert sorted(r.status_code for r in removed) == [204] + [404] * 4
    assert withdrawn == [number["e164"]]
    actions = [e["action"] for e in audit(api, key, "branding")]
    assert actions == ["submit"] * 5 + ["remove"]


def test_agents_read_branding_but_only_owners_and_admins_change_it_a2(api: Api) -> None:
    _, key = org_of(api)
    _, agent = api.new_user(key, role="agent")
    number = buy(api, key)
    assert put(api, agent, number["id"], "branding", BRAND).status_code == 403
    put(api, key, number["id"], "branding", BRAND)
    assert api.call("GET", f"/v1/numbers/{number['id']}/branding", agent).status_code == 200
    assert api.call("DELETE", f"/v1/numbers/{number['id']}/branding", agent).status_code == 403
    other = api.new_org(name="Other", country="FI")["api_key"]
    assert put(api, other, number["id"], "branding", BRAND).status_code == 404


def test_only_the_platform_admin_plays_the_carrier_n9(api: Api) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    put(api, key, number["id"], "branding", BRAND)
    path = f"/v1/sandbox/brandings/{number['id']}"
    assert api.call("POST", path, key, json={"approved": True}).status_code == 401
    assert review(api, "brandings", "num_unknown", {"approved": True}).status_code == 404
    assert read(api, key, number["id"])["branding"]["status"] == "submitted"


def test_sponsors_number_is_branded_only_under_its_brand_mandate_n9_n5(api: Api) -> None:
    _, key = org_of(api)
    sponsor = post(
        api, key, "/v1/sponsors", {"name": "Northwind", "business_id": "FI1", "country": "FI"}
    )
    grant = {"grantor": {"type": "sponsor", "id": sponsor["id"]}, "all_numbers": True}
    purchase = post(api, key, "/v1/mandates", grant | {"purposes": ["purchase"]})
    api.call("POST", f"/v1/mandates/{purchase['id']}/sign", key, json={"signed_by": "CEO"})
    number = buy(api, key, sponsor_id=sponsor["id"])
    refused = put(api, key, number["id"], "branding", BRAND)
    assert (refused.status_code, refused.json()["code"]) == (422, "mandate_required")
    assert "`brand` mandate" in refused.json()["detail"]
    assert "N9" in refused.json()["detail"]
    listing = {"company_name": "Acme Oy"}  # the sponsor's number, listed under our name
    unlisted = put(api, key, number["id"], "directory-listing", listing)
    assert (unlisted.status_code, unlisted.json()["code"]) == (422, "mandate_required")
    brand = post(api, key, "/v1/mandates", grant | {"purposes": ["brand"]})
    api.call("POST", f"/v1/mandates/{brand['id']}/sign", key, json={"signed_by": "CEO"})
    assert put(api, key, number["id"], "branding", BRAND).status_code == 200


def test_number_lists_load_brandings_and_listings_in_one_query_each_n9_n10(
    api: Api, desk: Desk
) -> None:
    _, key = org_of(api)
    numbers = [buy(api, key) for _ in range(3)]
    for number in numbers[:2]:
        put(api, key, number["id"], "branding", BRAND)
        put(api, key, number["id"], "directory-listing", {"company_name": "Acme Oy"})
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(desk.store.engine, "before_cursor_execute", seen)
    try:
        listed = api.call("GET", "/v1/numbers", key).json()["items"]
    finally:
        event.remove(desk.store.engine, "before_cursor_execute", seen)
    assert [n["branding"] is not None for n in listed] == [True, True, False]
    assert [n["directory_listing"] is not None for n in listed] == [True, True, False]
    assert sum("FROM brandings" in s for s in statements) == 1
    assert sum("FROM directory_listings" in s for s in statements) == 1


# --- Directory registration (N10) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "directory"), [("FI", "Fonecta"), ("SE", "Hitta.se"), ("NO", "1881")]
)
def test_numbers_are_registered_in_their_countrys_directory_n10(
    api: Api, country: str, directory: str
) -> None:
    _, key = org_of(api, country)
    number = buy(api, key, country)
    asked = put(api, key, number["id"], "directory-listing", {"company_name": "Acme"})
    assert asked.status_code == 200, asked.text
    assert (asked.json()["directory"], asked.json()["status"]) == (directory, "requested")
    done = review(api, "directory-listings", number["id"], {"registered": True})
    assert done.json()["status"] == "registered"
    listing = read(api, key, number["id"])["directory_listing"]
    assert (listing["directory"], listing["company_name"], listing["status"]) == (
        directory,
        "Acme",
        "registered",
    )
    assert [e["action"] for e in audit(api, key, "directory_listing")] == ["request", "register"]


def test_registration_in_germany_is_refused_naming_the_countries_with_a_directory_n10(
    api: Api,
) -> None:
    _, key = org_of(api, "DE")
    number = buy(api, key, "DE")
    before = api.audit_count(key)
    response = put(api, key, number["id"], "directory-listing", {"company_name": "Acme GmbH"})
    assert (response.status_code, response.json()["code"]) == (422, "no_directory")
    assert all(c in response.json()["detail"] for c in ("N10", "FI", "SE", "NO"))
    assert read(api, key, number["id"])["directory_listing"] is None
    assert api.audit_count(key) == before
    assert [d["country"] for d in api.call("GET", "/v1/directories", key).json()["items"]] == [
        "FI",
        "NO",
        "SE",
    ]


def test_masked_number_cannot_be_registered_n10_n2(api: Api, desk: Desk) -> None:
    org_id, key = org_of(api)
    masked = add_masked(desk, org_id)
    before = api.audit_count(key)
    response = put(api, key, masked, "directory-listing", {"company_name": "Acme Oy"})
    assert (response.status_code, response.json()["code"]) == (422, "number_masked")
    assert "N10" in response.json()["detail"]
    assert api.audit_count(key) == before


def test_registering_with_a_sponsors_information_needs_its_register_mandate_n10(
    api: Api,
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    sponsor_id, unsigned = sponsor_with_mandate(api, key, ["register"], number["e164"], sign=False)
    body = {"company_name": "Northwind Oy", "sponsor_id": sponsor_id}
    before = api.audit_count(key)
    refused = put(api, key, number["id"], "directory-listing", body)
    assert (refused.status_code, refused.json()["code"]) == (422, "mandate_required")
    assert "`register` mandate" in refused.json()["detail"]
    assert "N10" in refused.json()["detail"]
    assert read(api, key, number["id"])["directory_listing"] is None
    assert api.audit_count(key) == before

    api.call("POST", f"/v1/mandates/{unsigned}/sign", key, json={"signed_by": "CEO"})
    asked = put(api, key, number["id"], "directory-listing", body)
    assert asked.status_code == 200, asked.text
    assert (asked.json()["sponsor_id"], asked.json()["mandate_id"]) == (sponsor_id, unsigned)


def test_a_mandate_for_another_purpose_or_past_its_validity_does_not_register_n10_c3(
    api: Api, clock: Clock
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    sponsor_id, mask_only = sponsor_with_mandate(api, key, ["mask"], number["e164"])
    body = {"company_name": "Northwind Oy", "sponsor_id": sponsor_id}
    assert (
        put(api, key, number["id"], "directory-listing", body).json()["code"] == "mandate_required"
    )
    named = put(api, key, number["id"], "directory-listing", body | {"mandate_id": mask_only})
    assert (named.status_code, named.json()["code"]) == (422, "mandate_purpose_missing")

    until = (clock.at + timedelta(days=1)).isoformat()
    grant = {"grantor": {"type": "sponsor", "id": sponsor_id}, "purposes": ["register"]}
    short = post(
        api, key, "/v1/mandates", grant | {"numbers": [number["e164"]], "valid_until": until}
    )
    api.call("POST", f"/v1/mandates/{short['id']}/sign", key, json={"signed_by": "CEO"})
    clock.at += timedelta(days=2)
    late = put(api, key, number["id"], "directory-listing", body)
    assert (late.status_code, late.json()["code"]) == (422, "mandate_required")
    unknown = put(api, key, number["id"], "directory-listing", body | {"sponsor_id": "spn_x"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "sponsor_not_found")


def test_rejected_registration_keeps_the_reason_and_unregistering_tells_the_carrier_n10(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    withdrawn: list[str] = []
    monkeypatch.setattr(
        desk.carrier,
        "withdraw_directory_listing",
        lambda org, e164, directory: withdrawn.append(directory),
    )
    put(api, key, number["id"], "directory-listing", {"company_name": "Acme Oy"})
    rejected = review(
        api, "directory-listings", number["id"], {"registered": False, "reason": "Unknown company"}
    )
    assert (rejected.json()["status"], rejected.json()["reason"]) == ("rejected", "Unknown company")
    path = f"/v1/numbers/{number['id']}/directory-listing"
    assert api.call("DELETE", path, key).status_code == 204
    assert withdrawn == ["Fonecta"]
    assert api.call("GET", path, key).status_code == 404
    assert api.call("DELETE", path, key).status_code == 404


def test_company_name_is_required_for_registration_n10(api: Api) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    before = api.audit_count(key)
    for body in ({"company_name": " "}, {}):
        response = put(api, key, number["id"], "directory-listing", body)
        assert response.status_code == 422, response.text
    assert api.audit_count(key) == before


# --- Forwarding (N11) ---------------------------------------------------------------------


def forward(api: Api, key: str, number_id: str, to: str | None) -> Any:
    """PATCH a number's forwarding."""
    return api.call("PATCH", f"/v1/numbers/{number_id}", key, json={"forward_to": to})


def test_forwarding_sends_every_call_to_an_external_number_read_nationally_n11_n1(
    api: Api,
) -> None:
    _, key = org_of(api)
    number = buy(api, key)
    response = forward(api, key, number["id"], "040 1234567")
    assert (response.status_code, response.json()["forward_to"]) == (200, "+358401234567")
    assert read(api, key, number["id"])["forward_to"] == "+358401234567"
    stopped = forward(api, key, number["id"], None)
    assert stopped.json()["forward_to"] is None
    updates = [e for e in audit(api, key, "number") if e["action"] == "update"]
    changes = [(e["before"]["forward_to"], e["after"]["forward_to"]) for e in updates]
    assert changes[-2:] == [(None, "+358401234567"), ("+358401234567", None)]


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("12", "invalid_phone_number"),
        ("", "invalid_field"),
        ("itself", "invalid_field"),
        ("own", "forward_to_own_number"),
    ],
)
def test_forwarding_to_a_bad_or_own_number_is_refused_and_changes_nothing_n11(
    api: Api, target: str, code: str
) -> None:
    _, key = org_of(api)
    number, other = buy(api, key), buy(api, key)
    to = {"itself": number["e164"], "own": other["e164"]}.get(target, target)
    before = api.audit_count(key)
    response = forward(api, key, number["id"], to)
    assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert response.json()["detail"]
    assert read(api, key, number["id"])["forward_to"] is None
    assert api.audit_count(key) == before


def test_numbers_that_cannot_receive_calls_cannot_forward_them_n11_n2(api: Api, desk: Desk) -> None:
    org_id, key = org_of(api)
    masked = add_masked(desk, org_id)
    sms = buy(api, key, "US", "sms", area_code="212")
    before = api.audit_count(key)
    for number_id in (masked, sms["id"]):
        response = forward(api, key, number_id, "+358401234567")
        assert (response.status_code, response.json()["code"]) == (422, "capability_missing")
        assert "N2" in response.json()["detail"]
    assert api.audit_count(key) == before


def test_only_owners_and_admins_forward_and_never_a_released_number_n11_a2(api: Api) -> None:
    _, key = org_of(api)
    _, agent = api.new_user(key, role="agent")
    number = buy(api, key)
    assert forward(api, agent, number["id"], "+358401234567").status_code == 403
    api.call("DELETE", f"/v1/numbers/{number['id']}", key)
    gone = forward(api, key, number["id"], "+358401234567")
    assert (gone.status_code, gone.json()["code"]) == (409, "number_not_live")


def test_a_released_number_takes_its_branding_and_listing_with_it_n8(api: Api, desk: Desk) -> None:
    org_id, key = org_of(api)
    number = buy(api, key)
    put(api, key, number["id"], "branding", BRAND)
    review(api, "brandings", number["id"], {"approved": True})
    put(api, key, number["id"], "directory-listing", {"company_name": "Acme Oy"})
    assert api.call("DELETE", f"/v1/numbers/{number['id']}", key).status_code == 200
    shown = read(api, key, number["id"])
    assert (shown["branding"], shown["directory_listing"]) == (None, None)
    with desk.store.transaction() as tx:
        assert approved_display_names(tx, org_id) == {}
    assert audit(api, key, "branding")[-1]["action"] == "remove"
    assert audit(api, key, "directory_listing")[-1]["action"] == "remove"


# --- CLI ----------------------------------------------------------------------------------


def cli(database_url: str, *args: str) -> tuple[int, str]:
    """Run a command against ``database_url``."""
    env = {"NUMBERDESK_DATABASE_URL": database_url, "NUMBERDESK_SANDBOX_STOCK": "30"}
    result = CliRunner().invoke(cli_app, list(args), env=env)
    return result.exit_code, result.output


def succeeds(database_url: str, *args: str) -> str:
    """Run a command that must succeed; its output."""
    code, output = cli(database_url, *args)
    assert code == 0, output
    return output


def test_cli_brands_registers_and_the_carrier_reviews_n9_n10(api: Api, database_url: str) -> None:
    _, key = org_of(api)
    number_id = buy(api, key)["id"]
    as_owner = ("--api-key", key)
    set_ = succeeds(database_url, "branding", "set", number_id, "--display-name", "Acme", *as_owner)
    assert "submitted" in set_
    registered = ("branding", "register", number_id, "--company-name", "Acme Oy", *as_owner)
    assert "Fonecta" in succeeds(database_url, *registered)
    waiting = succeeds(database_url, "carrier", "reviews")
    assert number_id in waiting
    assert "Fonecta" in waiting
    code, out = cli(database_url, "carrier", "review-branding", number_id, "--reject")
    assert code == 2
    assert "reason" in out
    approved = succeeds(database_url, "carrier", "review-branding", number_id, "--approve")
    assert "approved" in approved
    listed = succeeds(database_url, "carrier", "review-listing", number_id, "--register")
    assert "registered" in listed
    shown = succeeds(database_url, "branding", "show", number_id, *as_owner)
    assert "approved" in shown
    assert "registered" in shown
    succeeds(database_url, "branding", "remove", number_id, *as_owner)
    assert "No branding" in succeeds(database_url, "branding", "show", number_id, *as_owner)
    assert read(api, key, number_id)["branding"] is None


def test_cli_refusals_explain_what_to_fix_n10(api: Api, database_url: str) -> None:
    _, key = org_of(api, "DE")
    number_id = buy(api, key, "DE")["id"]
    registered = ("branding", "register", number_id, "--company-name", "Acme", "--api-key", key)
    code, out = cli(database_url, *registered)
    assert code == 2
    assert "no_directory" in out
    assert "Hitta.se" in succeeds(database_url, "branding", "directories")

"""The org's numbers through the HTTP API: list, read, change, release, local presence.

Rules N1-N3, N8, N11, N12, O3 (local presence), A1-A3.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.services.desk import Desk
from tests.integration.helpers import add_number, at_once, audit

if TYPE_CHECKING:
    from tests.conftest import Api


def buy(api: Api, key: str, area_code: str = "212", kind: str = "voice", quantity: int = 1) -> Any:
    """Buy numbers in the US; the bought numbers."""
    body = {"country": "US", "area_code": area_code, "kind": kind, "quantity": quantity}
    response = api.call("POST", "/v1/number-orders", key, json=body)
    assert response.status_code == 201, response.text
    return response.json()["numbers"]


def ids(api: Api, key: str, query: str = "") -> list[str]:
    """Ids of the numbers listed with this query."""
    response = api.call("GET", f"/v1/numbers?limit=500&{query}", key)
    assert response.status_code == 200, response.text
    return [n["id"] for n in response.json()["items"]]


def presence(api: Api, key: str) -> dict[str, list[str]]:
    """Local presence as area code -> numbers."""
    response = api.call("GET", "/v1/local-presence", key)
    assert response.status_code == 200, response.text
    return {a["area_code"]: a["numbers"] for a in response.json()["items"]}


def masked_number(desk: Desk, org_id: str, e164: str = "+12125550147") -> str:
    """A masked number, added straight to the store (masking comes in a later issue)."""
    number = Number(
        org_id=org_id,
        id=new_id("num"),
        e164=e164,
        country="US",
        area_code="212",
        line_type="local",
        kind=Kind.MASKED,
        origin=Origin.MASKED,
        status=Status.ACTIVE,
        created_at=desk.now(),
    )
    with desk.store.transaction() as tx:
        tx.numbers.add(number)
    return number.id


def test_list_filters_by_status_kind_country_area_code_and_group_n12(api: Api) -> None:
    key = api.new_org()["api_key"]
    voice = [n["id"] for n in buy(api, key, "212", quantity=2)]
    omni = buy(api, key, "646", kind="omni")[0]["id"]
    sms = buy(api, key, "212", kind="sms")[0]["id"]
    assert ids(api, key) == sorted([*voice, omni, sms])
    assert ids(api, key, "kind=omni") == [omni]
    assert ids(api, key, "area_code=212") == sorted([*voice, sms])
    assert ids(api, key, "country=us") == sorted([*voice, omni, sms])
    assert ids(api, key, "country=GB") == []
    group = api.call("POST", "/v1/groups", key, json={"name": "NY", "number_ids": [voice[0], omni]})
    assert ids(api, key, f"group_id={group.json()['id']}") == sorted([voice[0], omni])
    api.call("PATCH", f"/v1/numbers/{omni}", key, json={"area_codes": ["212"]})
    assert ids(api, key, "area_code=212") == sorted([*voice, omni, sms])  # own or mapped
    api.call("PATCH", f"/v1/numbers/{omni}", key, json={"area_codes": ["718"]})
    assert ids(api, key, "area_code=718") == [omni]
    assert ids(api, key, "area_code=212") == sorted([*voice, sms])
    assert api.call("DELETE", f"/v1/numbers/{voice[1]}", key).status_code == 200
    assert voice[1] not in ids(api, key)
    assert ids(api, key, "status=released") == [voice[1]]
    assert ids(api, key, "status=active&kind=voice") == [voice[0]]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("status=gone", "invalid_request"),
        ("kind=fax", "invalid_request"),
        ("country=XX", "unknown_country"),
        ("area_code=abc", "unknown_area_code"),
        ("group_id=grp_nope", "group_not_found"),
        ("limit=501", "invalid_request"),
    ],
)
def test_bad_list_filters_say_what_to_fix(api: Api, query: str, code: str) -> None:
    key = api.new_org()["api_key"]
    response = api.call("GET", f"/v1/numbers?{query}", key)
    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code


def test_number_list_pages_with_a_cursor(api: Api) -> None:
    key = api.new_org()["api_key"]
    bought = sorted(n["id"] for n in buy(api, key, quantity=5))
    seen, cursor, pages = [], "", 0
    while True:
        page = api.call("GET", f"/v1/numbers?limit=2{cursor}", key).json()
        seen += [n["id"] for n in page["items"]]
        pages += 1
        if not page["next"]:
            break
        cursor = f"&cursor={page['next']}"
    assert seen == bought
    assert pages == 3


def test_another_orgs_number_answers_404_a1(api: Api) -> None:
    owner = api.new_org("Mine")["api_key"]
    stranger = api.new_org("Theirs")["api_key"]
    number = buy(api, owner)[0]
    group = api.call("POST", "/v1/groups", owner, json={"name": "G", "number_ids": [number["id"]]})
    before = api.audit_count(owner)
    path = f"/v1/numbers/{number['id']}"
    for method, body in [("GET", None), ("PATCH", {"tags": ["x"]}), ("DELETE", None)]:
        response = api.call(method, path, stranger, json=body)
        assert response.status_code == 404, method
        assert response.json()["code"] == "number_not_found"
    listed = api.call("GET", f"/v1/numbers?group_id={group.json()['id']}", stranger)
    assert listed.status_code == 404
    assert api.call("GET", path, owner).json()["status"] == "active"
    assert api.audit_count(owner) == before


def test_one_number_covers_many_area_codes_in_local_presence_o3(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = buy(api, key, "212")[0]
    response = api.call(
        "PATCH", f"/v1/numbers/{number['id']}", key, json={"area_codes": ["718", "646", "718"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["area_codes"] == ["212", "646", "718"]
    assert presence(api, key) == {c: [number["e164"]] for c in ("212", "646", "718")}
    items = api.call("GET", "/v1/local-presence", key).json()["items"]
    assert [(a["country"], a["area_code"]) for a in items] == [
        ("US", "212"),
        ("US", "646"),
        ("US", "718"),
    ]
    trail = api.call("GET", f"/v1/audit?entity=number&entity_id={number['id']}", key).json()
    change = trail["items"][-1]
    assert change["action"] == "update"
    assert (change["before"]["mapped_area_codes"], change["after"]["mapped_area_codes"]) == (
        [],
        ["646", "718"],
    )
    api.call("PATCH", f"/v1/numbers/{number['id']}", key, json={"area_codes": []})
    assert presence(api, key) == {"212": [number["e164"]]}


def test_local_presence_lists_active_voice_out_numbers_only_n2_n3(api: Api, desk: Desk) -> None:
    made = api.new_org()
    key = made["api_key"]
    voice = buy(api, key, "212")[0]
    buy(api, key, "646", kind="sms")
    masked = masked_number(desk, made["org_id"])
    response = api.call("PATCH", f"/v1/numbers/{masked}", key, json={"area_codes": ["917"]})
    assert response.status_code == 200, response.text
    assert presence(api, key) == {
        "212": sorted([voice["e164"], "+12125550147"]),
        "917": ["+12125550147"],
    }


def test_sms_numbers_cannot_cover_area_codes_n2(api: Api) -> None:
    key = api.new_org()["api_key"]
    sms = buy(api, key, "212", kind="sms")[0]
    before = api.audit_count(key)
    response = api.call("PATCH", f"/v1/numbers/{sms['id']}", key, json={"area_codes": ["646"]})
    assert response.status_code == 422
    assert response.json()["code"] == "capability_missing"
    assert api.audit_count(key) == before
    assert presence(api, key) == {}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"area_codes": ["999"]}, "unknown_area_code"),
        ({"area_codes": ["20"]}, "unknown_area_code"),
        ({"area_codes": ["64x"]}, "unknown_area_code"),
        ({"forward_to": "12"}, "invalid_phone_number"),
        ({"tags": ["x" * 51]}, "invalid_field"),
        ({"tags": [" "]}, "invalid_field"),
        ({"address_id": 5}, "invalid_request"),
        ({"area_codes": "646"}, "invalid_request"),
    ],
)
def test_bad_number_changes_say_what_to_fix_and_change_nothing(
    api: Api, body: dict[str, Any], code: str
) -> None:
    key = api.new_org()["api_key"]
    number = buy(api, key)[0]
    before = api.audit_count(key)
    response = api.call("PATCH", f"/v1/numbers/{number['id']}", key, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert api.call("GET", f"/v1/numbers/{number['id']}", key).json() == number
    assert api.audit_count(key) == before


def test_forwarding_and_tags_are_set_with_national_input_n1_n11(api: Api) -> None:
    key = api.new_org(country="FI", name="Oy")["api_key"]
    number = buy(api, key)[0]
    path = f"/v1/numbers/{number['id']}"
    body = {"forward_to": "040 1234567", "tags": ["sales", " sales ", "nyc"]}
    changed = api.call("PATCH", path, key, json=body).json()
    assert (changed["forward_to"], changed["tags"]) == ("+358401234567", ["sales", "nyc"])
    assert api.call("PATCH", path, key, json={"forward_to": None}).json()["forward_to"] is None
    itself = api.call("PATCH", path, key, json={"forward_to": number["e164"]})
    assert itself.status_code == 422


def test_agent_reads_numbers_but_cannot_change_or_release_them_a2(api: Api) -> None:
    owner = api.new_org()["api_key"]
    _, agent = api.new_user(owner, role="agent")
    number = buy(api, owner)[0]
    path = f"/v1/numbers/{number['id']}"
    assert api.call("GET", path, agent).status_code == 200
    assert api.call("GET", "/v1/numbers", agent).status_code == 200
    assert api.call("GET", "/v1/local-presence", agent).status_code == 200
    assert api.call("PATCH", path, agent, json={"tags": ["x"]}).status_code == 403
    assert api.call("DELETE", path, agent).status_code == 403
    assert api.call("GET", path, owner).json() == number


def test_release_takes_the_number_out_of_everything_n8(api: Api) -> None:
    made = api.new_org()
    key = made["api_key"]
    number, other = buy(api, key, "212", kind="omni", quantity=2)
    nid, e164 = number["id"], number["e164"]
    api.call("PATCH", f"/v1/numbers/{nid}", key, json={"area_codes": ["646"]})
    group = api.call(
        "POST", "/v1/groups", key, json={"name": "G", "number_ids": [nid, other["id"]]}
    ).json()
    campaign = api.call(
        "POST", "/v1/campaigns", key, json={"name": "C", "number_ids": [nid]}
    ).json()
    user, _ = api.new_user(key, caller_id=e164, sender_id=e164)
    assigned = api.call(
        "PUT", f"/v1/users/{user['id']}/numbers", key, json={"personal_number_id": nid}
    )
    assert assigned.status_code == 200, assigned.text
    assert api.call("PATCH", "/v1/org", key, json={"default_caller_id": e164}).status_code == 200

    response = api.call("DELETE", f"/v1/numbers/{nid}", key)
    assert response.status_code == 200, response.text
    released = response.json()
    assert (released["status"], released["area_codes"]) == ("released", ["212"])
    assert released["released_at"]
    assert presence(api, key) == {"212": [other["e164"]]}
    assert api.call("GET", f"/v1/groups/{group['id']}", key).json()["number_ids"] == [other["id"]]
    assert api.call("GET", f"/v1/campaigns/{campaign['id']}", key).json()["number_ids"] == []
    card = api.call("GET", f"/v1/users/{user['id']}", key).json()
    assert (card["caller_id"], card["sender_id"], card["personal_number_id"]) == (None, None, None)
    assert api.call("GET", "/v1/org", key).json()["default_caller_id"] is None
    trail = api.call("GET", "/v1/audit?limit=500", key).json()["items"]
    last = {(e["entity"], e["entity_id"]): e["action"] for e in trail[-5:]}
    assert last == {
        ("number", nid): "release",
        ("group", group["id"]): "remove_number",
        ("campaign", campaign["id"]): "remove_number",
        ("user", user["id"]): "update",
        ("org", made["org_id"]): "update",
    }


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_changes_of_one_number_are_made_one_after_another_n8(api: Api) -> None:
    """Two edits at once used to clash over the number's area codes (a 500); two releases at
    once both released it."""
    key = api.new_org()["api_key"]
    number = buy(api, key)[0]
    path = f"/v1/numbers/{number['id']}"
    mapped = [["646"], ["332"], ["917"], ["646", "332"]] * 2

    edits = at_once(
        *[
            lambda codes=codes: api.call("PATCH", path, key, json={"area_codes": codes})
            for codes in mapped
        ]
    )
    assert [e.status_code for e in edits] == [200] * 8
    now_mapped = sorted(api.call("GET", path, key).json()["area_codes"][1:])
    assert now_mapped in [sorted(codes) for codes in mapped]

    releases = at_once(*[lambda: api.call("DELETE", path, key)] * 8)
    assert sorted(r.status_code for r in releases) == [200] + [409] * 7
    assert [e["action"] for e in audit(api, key, "number")].count("release") == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_number_given_a_use_while_it_is_released_is_left_with_none_n8(api: Api) -> None:
    """A change that makes something refer to a number, made as the number is released: the
    release waits for it and then takes the number out of it, or it finds the number gone.
    Groups and campaigns used to keep the released number."""
    key = api.new_org()["api_key"]
    group = api.call("POST", "/v1/groups", key, json={"name": "G"}).json()
    user, _ = api.new_user(key)
    for turn, number in enumerate(buy(api, key, "212", quantity=12)):
        nid, e164 = number["id"], number["e164"]
        uses = [
            ("PATCH", f"/v1/groups/{group['id']}", {"number_ids": [nid]}),
            ("POST", "/v1/campaigns", {"name": f"C{turn}", "number_ids": [nid]}),
            ("PATCH", f"/v1/users/{user['id']}", {"caller_id": e164}),
            ("PATCH", "/v1/org", {"default_caller_id": e164}),
        ]
        method, path, body = uses[turn % len(uses)]

        answers = at_once(
            partial(api.call, method, path, key, json=body),
            partial(api.call, "DELETE", f"/v1/numbers/{nid}", key),
        )

        assert answers[1].status_code == 200, answers[1].text
        assert answers[0].status_code in (200, 201, 422), answers[0].text
        campaigns = api.call("GET", "/v1/campaigns", key).json()["items"]
        assert nid not in api.call("GET", f"/v1/groups/{group['id']}", key).json()["number_ids"]
        assert all(nid not in c["number_ids"] for c in campaigns)
        assert api.call("GET", f"/v1/users/{user['id']}", key).json()["caller_id"] != e164
        assert api.call("GET", "/v1/org", key).json()["default_caller_id"] != e164


def test_released_number_is_never_offered_again_and_twice_is_409_n8(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = buy(api, key)[0]
    assert api.call("DELETE", f"/v1/numbers/{number['id']}", key).status_code == 200
    before = api.audit_count(key)
    again = api.call("DELETE", f"/v1/numbers/{number['id']}", key)
    assert again.status_code == 409
    assert again.json()["code"] == "number_not_live"
    patch = api.call("PATCH", f"/v1/numbers/{number['id']}", key, json={"tags": ["x"]})
    assert patch.status_code == 409
    assert api.audit_count(key) == before
    url = "/v1/available-numbers?country=US&area_code=212&kind=voice&limit=500"
    offered = {o["e164"] for o in api.call("GET", url, key).json()["items"]}
    assert offered
    assert number["e164"] not in offered
    rebuy = api.call(
        "POST", "/v1/number-orders", key, json={"numbers": [number["e164"]], "kind": "voice"}
    )
    assert rebuy.status_code == 409
    assert rebuy.json()["code"] == "no_numbers_available"


def test_the_call_path_reads_each_number_as_stored_and_skips_released_ones_n3_o4_i2(
    api: Api, desk: Desk
) -> None:
    """The indexes' narrow read (``CallPathNumber``) holds what a whole ``Number`` row holds
    for every column it reads: statuses and kinds as such, times in UTC, the route's JSON."""
    org_id = api.new_org()["org_id"]
    rested = add_number(
        desk,
        org_id,
        "omni",
        "suspended",
        address_id="adr_1",
        forward_to="+12125550199",
        mandate_id="mnd_1",
        status_reason="mandate ended",
        rested_until=desk.now(),
        route={"type": "queue", "queue_id": "q_1"},
    )
    released = add_number(desk, org_id, status="released")
    with desk.store.transaction() as tx:
        whole = tx.numbers.require(org_id, rested)
        live = [n for page in tx.numbers.live_pages(org_id) for n in page]
        both = tx.numbers.call_path_by_ids(org_id, [rested, released])
    assert [n.id for n in live] == [rested]
    read = live[0]
    for name in read.__dataclass_fields__:
        assert getattr(read, name) == getattr(whole, name), name
    assert read.rested_until is not None
    assert read.rested_until.tzinfo is not None
    assert (read.kind, read.status) == (Kind.OMNI, Status.SUSPENDED)
    assert isinstance(read.kind, Kind)
    assert [(n.id, n.is_live) for n in both] == sorted([(rested, True), (released, False)])


def test_a_stored_time_reads_back_as_the_same_instant_in_utc_on_every_backend(
    api: Api, desk: Desk
) -> None:
    org_id = api.new_org()["org_id"]
    helsinki = datetime(2026, 11, 25, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    rested = add_number(desk, org_id, rested_until=helsinki)
    with desk.store.transaction() as tx:
        read = tx.numbers.require(org_id, rested).rested_until
        (narrow,) = tx.numbers.call_path_by_ids(org_id, [rested])
    assert read == narrow.rested_until == helsinki
    assert read is not None
    assert read.tzinfo is UTC
    assert read.hour == 8


def test_a_stored_status_this_release_does_not_know_fails_naming_it(api: Api, desk: Desk) -> None:
    org_id = api.new_org()["org_id"]
    number_id = add_number(desk, org_id)
    with desk.store.transaction() as tx:
        tx.conn.execute(
            text("UPDATE numbers SET status = 'mothballed' WHERE id = :id"), {"id": number_id}
        )
        with pytest.raises(ValueError, match="'mothballed' is not a valid Status"):
            tx.numbers.require(org_id, number_id)

"""Numbers under mandates: buying with a sponsor's information (N5), suspension when a mandate
ends by revocation or by time, and reactivation under a valid mandate (C3)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.services.desk import Desk
from tests.integration.helpers import audit
from tests.integration.test_mandates import (
    ORDER,
    active_purchase_mandate,
    bought,
    buy,
    mandate,
    sign,
    sold,
    sponsor,
    statuses,
)

if TYPE_CHECKING:
    from tests.conftest import Api, Clock


# --- N5: buying with a sponsor's information ---------------------------------------------


def test_a_sponsor_purchase_under_its_active_mandate_gives_numbers_the_sponsor_owns_n5(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    mandate_id = active_purchase_mandate(api, key, sponsor_id)
    numbers = bought(api, key, sponsor_id=sponsor_id)
    assert len(numbers) == 2
    for number in numbers:
        assert number["owner"] == {"type": "sponsor", "id": sponsor_id}
        assert (number["status"], number["mandate_id"]) == ("active", mandate_id)
        read = api.call("GET", f"/v1/numbers/{number['id']}", key).json()
        assert read["owner"] == {"type": "sponsor", "id": sponsor_id}


def test_a_sponsor_purchase_of_exact_numbers_may_use_a_mandate_listing_them_n5(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    listed = ["+12127108999", "+12128241208"]
    mandate_id = active_purchase_mandate(api, key, sponsor_id, numbers=listed)
    numbers = bought(api, key, sponsor_id=sponsor_id, numbers=listed, country=None, **_exact())
    assert {n["mandate_id"] for n in numbers} == {mandate_id}
    refused = buy(api, key, sponsor_id=sponsor_id, mandate_id=mandate_id)  # by quantity
    assert (refused.status_code, refused.json()["code"]) == (422, "mandate_required")
    assert "all of the sponsor's numbers" in refused.json()["detail"]


def _exact() -> dict[str, Any]:
    return {"area_code": None, "quantity": None}


def _refusals(api: Api, key: str, other_key: str) -> list[tuple[dict[str, Any], str]]:
    """Sponsor orders that must be refused, each with its problem code."""
    sponsor_id = sponsor(api, key)
    other_sponsor = sponsor(api, key, "7654321-0")
    grantor = {"type": "sponsor", "id": sponsor_id}
    pending = mandate(api, key, grantor)["id"]
    revoked = active_purchase_mandate(api, key, sponsor_id)
    api.call("POST", f"/v1/mandates/{revoked}/revoke", key)
    mask_only = sign(api, key, mandate(api, key, grantor, purposes=["mask"])["id"])["id"]
    theirs = active_purchase_mandate(api, key, other_sponsor)
    foreign = active_purchase_mandate(api, other_key, sponsor(api, other_key))
    own = {"sponsor_id": sponsor_id}
    return [
        (own, "mandate_required"),
        ({**own, "mandate_id": pending}, "mandate_not_active"),
        ({**own, "mandate_id": revoked}, "mandate_not_active"),
        ({**own, "mandate_id": mask_only}, "mandate_purpose_missing"),
        ({**own, "mandate_id": theirs}, "mandate_wrong_grantor"),
        ({**own, "mandate_id": foreign}, "mandate_not_found"),
        ({"sponsor_id": "spn_unknown"}, "sponsor_not_found"),
        ({"mandate_id": mask_only}, "invalid_field"),
    ]


def test_a_sponsor_purchase_without_an_active_purchase_mandate_buys_nothing_n5(
    api: Api, desk: Desk
) -> None:
    key = api.new_org()["api_key"]
    cases = _refusals(api, key, api.new_org("Other")["api_key"])
    entries, carrier_sold = api.audit_count(key), sold(desk)
    for body, code in cases:
        response = buy(api, key, **body)
        assert response.json()["code"] == code, (body, response.text)
        if not code.endswith("_not_found"):
            assert (response.status_code, "N5" in response.json()["detail"]) == (422, True)
    assert statuses(api, key) == {}
    assert (api.audit_count(key), sold(desk)) == (entries, carrier_sold)


def test_an_expired_purchase_mandate_buys_nothing_n5_c3(api: Api, desk: Desk, clock: Clock) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    until = (clock.at + timedelta(days=30)).isoformat()
    mandate_id = active_purchase_mandate(api, key, sponsor_id, valid_until=until)
    clock.at += timedelta(days=31)
    response = buy(api, key, sponsor_id=sponsor_id, mandate_id=mandate_id)
    assert (response.status_code, response.json()["code"]) == (422, "mandate_not_active")
    assert "expired" in response.json()["detail"]
    assert buy(api, key, sponsor_id=sponsor_id).json()["code"] == "mandate_required"
    assert (statuses(api, key), sold(desk)) == ({}, 0)


def test_a_retried_sponsor_order_gets_its_first_answer_even_after_the_mandate_ended_n5(
    api: Api, desk: Desk
) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    mandate_id = active_purchase_mandate(api, key, sponsor_id)
    retry = {"Idempotency-Key": "order-1"}
    body = {**ORDER, "sponsor_id": sponsor_id}
    first = api.call("POST", "/v1/number-orders", key, json=body, headers=retry)
    assert first.status_code == 201, first.text
    api.call("POST", f"/v1/mandates/{mandate_id}/revoke", key)
    again = api.call("POST", "/v1/number-orders", key, json=body, headers=retry)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert sold(desk) == 2
    fresh = api.call("POST", "/v1/number-orders", key, json=body, headers={"Idempotency-Key": "2"})
    assert (fresh.status_code, fresh.json()["code"]) == (422, "mandate_required")


# --- C3: a mandate that stops being active suspends exactly what depends on it -------------


def _three_kinds_of_numbers(api: Api, key: str) -> tuple[str, str, list[str], list[str], list[str]]:
    """Numbers under mandate A, under mandate B (same sponsor), and the org's own."""
    sponsor_id = sponsor(api, key)
    first = active_purchase_mandate(api, key, sponsor_id)
    second = active_purchase_mandate(api, key, sponsor_id)
    under_first = [n["id"] for n in bought(api, key, sponsor_id=sponsor_id, mandate_id=first)]
    under_second = [n["id"] for n in bought(api, key, sponsor_id=sponsor_id, mandate_id=second)]
    own = [n["id"] for n in bought(api, key)]
    return first, second, under_first, under_second, own


def test_revoking_a_mandate_suspends_exactly_the_numbers_that_depend_on_it_c3(api: Api) -> None:
    key = api.new_org()["api_key"]
    first, _, under_first, others, own = _three_kinds_of_numbers(api, key)
    response = api.call("POST", f"/v1/mandates/{first}/revoke", key)
    assert response.json()["status"] == "revoked"
    now = statuses(api, key)
    assert {n for n, st in now.items() if st == "suspended"} == set(under_first)
    assert all(now[n] == "active" for n in others + own)
    for number_id in under_first:
        number = api.call("GET", f"/v1/numbers/{number_id}", key).json()
        assert f"mandate {first} was revoked" in number["status_reason"]
    suspensions = [e for e in audit(api, key, "number") if e["action"] == "suspend"]
    assert sorted(e["entity_id"] for e in suspensions) == sorted(under_first)
    assert all(e["after"]["status"] == "suspended" for e in suspensions)


def test_a_mandate_expires_by_time_alone_and_its_numbers_are_suspended_c3(
    api: Api, clock: Clock
) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    until = clock.at + timedelta(days=7)
    short = active_purchase_mandate(api, key, sponsor_id, valid_until=until.isoformat())
    lasting = active_purchase_mandate(api, key, sponsor_id)
    expiring = [n["id"] for n in bought(api, key, sponsor_id=sponsor_id, mandate_id=short)]
    staying = [n["id"] for n in bought(api, key, sponsor_id=sponsor_id, mandate_id=lasting)]
    clock.at = until  # no job runs: the next read applies the expiry
    assert api.call("GET", f"/v1/mandates/{short}", key).json()["status"] == "expired"
    now = statuses(api, key)
    assert [now[n] for n in expiring] == ["suspended"] * 2
    assert [now[n] for n in staying] == ["active"] * 2
    reason = api.call("GET", f"/v1/numbers/{expiring[0]}", key).json()["status_reason"]
    assert f"mandate {short} expired" in reason
    entries = api.audit_count(key)
    listed = api.call("GET", "/v1/mandates?status=expired", key).json()["items"]
    assert [m["id"] for m in listed] == [short]
    assert api.audit_count(key) == entries  # applied once, audited once
    expiries = [e for e in audit(api, key, "mandate") if e["action"] == "expire"]
    assert [(e["entity_id"], e["actor_user_id"]) for e in expiries] == [(short, None)]


def test_a_new_signature_does_not_re_enable_suspended_numbers_c3(api: Api) -> None:
    key = api.new_org()["api_key"]
    first, _, under_first, _, _ = _three_kinds_of_numbers(api, key)
    api.call("POST", f"/v1/mandates/{first}/revoke", key)
    again = api.call("POST", f"/v1/mandates/{first}/sign", key, json={"signed_by": "CEO"})
    assert again.status_code == 409
    sponsor_id = api.call("GET", f"/v1/mandates/{first}", key).json()["grantor"]["id"]
    active_purchase_mandate(api, key, sponsor_id)
    now = statuses(api, key)
    assert [now[n] for n in under_first] == ["suspended"] * 2


# --- C3: reactivation under a valid mandate -----------------------------------------------


def test_an_admin_reactivates_a_suspended_number_under_a_valid_mandate_c3(api: Api) -> None:
    key = api.new_org()["api_key"]
    first, second, under_first, _, _ = _three_kinds_of_numbers(api, key)
    api.call("POST", f"/v1/mandates/{first}/revoke", key)
    number_id = under_first[0]
    body = {"mandate_id": second}
    response = api.call("POST", f"/v1/numbers/{number_id}/reactivate", key, json=body)
    assert response.status_code == 200, response.text
    number = response.json()
    assert (number["status"], number["mandate_id"], number["status_reason"]) == (
        "active",
        second,
        None,
    )
    assert statuses(api, key)[under_first[1]] == "suspended"
    entries = audit(api, key, "number")
    assert [e["action"] for e in entries if e["entity_id"] == number_id][-1] == "reactivate"
    api.call("POST", f"/v1/mandates/{second}/revoke", key)
    assert statuses(api, key)[number_id] == "suspended"  # it now depends on the second one


def test_reactivation_without_a_valid_mandate_is_refused_and_changes_nothing_c3(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    first, _, under_first, others, own = _three_kinds_of_numbers(api, key)
    sponsor_id = api.call("GET", f"/v1/mandates/{first}", key).json()["grantor"]["id"]
    other_sponsor = sponsor(api, key, "7654321-0")
    grantor = {"type": "sponsor", "id": sponsor_id}
    api.call("POST", f"/v1/mandates/{first}/revoke", key)
    pending = mandate(api, key, grantor)["id"]
    mask_only = sign(api, key, mandate(api, key, grantor, purposes=["mask"])["id"])["id"]
    not_listing = active_purchase_mandate(api, key, sponsor_id, numbers=["+12127100000"])
    theirs = active_purchase_mandate(api, key, other_sponsor)
    _, agent = api.new_user(key, "agent")
    number_id = under_first[0]
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        (key, number_id, {}, 422, "mandate_required"),
        (key, number_id, {"mandate_id": first}, 422, "mandate_not_active"),
        (key, number_id, {"mandate_id": pending}, 422, "mandate_not_active"),
        (key, number_id, {"mandate_id": mask_only}, 422, "mandate_purpose_missing"),
        (key, number_id, {"mandate_id": not_listing}, 422, "mandate_number_not_covered"),
        (key, number_id, {"mandate_id": theirs}, 422, "mandate_wrong_grantor"),
        (key, number_id, {"mandate_id": "mdt_unknown"}, 404, "mandate_not_found"),
        (key, others[0], {"mandate_id": not_listing}, 409, "number_not_suspended"),
        (key, own[0], {}, 409, "number_not_suspended"),
        (agent, number_id, {"mandate_id": not_listing}, 403, "forbidden"),
    ]
    entries, before = api.audit_count(key), statuses(api, key)
    for acting, target, body, status, code in cases:
        response = api.call("POST", f"/v1/numbers/{target}/reactivate", acting, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    assert (api.audit_count(key), statuses(api, key)) == (entries, before)


def _masked(desk: Desk, org_id: str, e164: str, mandate_id: str, status: Status) -> str:
    """A masked number of the org under a mask mandate, as masking leaves it (N6)."""
    number = Number(
        org_id=org_id,
        id=new_id("num"),
        e164=e164,
        country="US",
        area_code="212",
        line_type="local",
        kind=Kind.MASKED,
        origin=Origin.MASKED,
        status=status,
        created_at=desk.now(),
        owner_type="org",
        owner_id=org_id,
        mandate_id=mandate_id,
    )
    with desk.store.transaction() as tx:
        tx.numbers.add(number)
    return number.id


@pytest.mark.parametrize("ending", ["revoke", "expire"])
def test_a_masked_number_is_suspended_with_its_mask_mandate_and_needs_a_mask_one_back_n6_c3(
    api: Api, desk: Desk, clock: Clock, ending: str
) -> None:
    org = api.new_org()
    key, org_id = org["api_key"], org["org_id"]
    until = (clock.at + timedelta(days=1)).isoformat()
    listed = ["+12127108999", "+12127108998"]
    first = sign(
        api,
        key,
        mandate(api, key, {"type": "org"}, purposes=["mask"], numbers=listed, valid_until=until)[
            "id"
        ],
    )["id"]
    active = _masked(desk, org_id, listed[0], first, Status.ACTIVE)
    pending = _masked(desk, org_id, listed[1], first, Status.PENDING)
    if ending == "revoke":
        api.call("POST", f"/v1/mandates/{first}/revoke", key)
    else:
        clock.at += timedelta(days=2)
    assert api.call("GET", f"/v1/mandates/{first}", key).json()["status"] == f"{ending}d"
    now = statuses(api, key)
    assert (now[active], now[pending]) == ("suspended", "pending")  # N3: only active suspends
    purchase = sign(api, key, mandate(api, key, {"type": "org"})["id"])["id"]
    wrong = api.call("POST", f"/v1/numbers/{active}/reactivate", key, json={"mandate_id": purchase})
    assert wrong.json()["code"] == "mandate_purpose_missing"
    assert "N6" in wrong.json()["detail"]
    mask = sign(
        api, key, mandate(api, key, {"type": "org"}, purposes=["mask"], all_numbers=True)["id"]
    )["id"]
    back = api.call("POST", f"/v1/numbers/{active}/reactivate", key, json={"mandate_id": mask})
    assert (back.status_code, back.json()["status"]) == (200, "active")


def test_caller_id_stops_showing_a_number_the_moment_its_mandate_runs_out_c3_o4(
    api: Api, clock: Clock
) -> None:
    key = api.new_org()["api_key"]
    sponsor_id = sponsor(api, key)
    until = clock.at + timedelta(days=7)
    short = active_purchase_mandate(api, key, sponsor_id, valid_until=until.isoformat())
    sponsored = bought(api, key, sponsor_id=sponsor_id, mandate_id=short)
    agent, _ = api.new_user(key)
    call = {"agent_id": agent["id"], "to": sponsored[0]["e164"][:-4] + "0000"}
    shown = api.call("POST", "/v1/decisions/outbound", key, json=call)
    assert shown.json()["caller_id"] in {n["e164"] for n in sponsored}
    clock.at = until  # no job runs and nothing else is read: the decision applies the time
    refused = api.call("POST", "/v1/decisions/outbound", key, json=call)
    assert refused.status_code == 409
    assert "mandate that ran out" in refused.json()["trace"][0]["reason"]

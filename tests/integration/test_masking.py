"""Masked numbers (N6, N2): mandates, the verification call and its code, limits, refusals."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from numberdesk.cli import app
from numberdesk.domain.numbers import Status
from numberdesk.services import masking
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import list_numbers
from numberdesk.services.orgs import authenticate
from tests.conftest import ADMIN_TOKEN

if TYPE_CHECKING:
    from tests.conftest import Api, Clock

E164 = "+14155550123"  # a San Francisco number the org owns elsewhere; the carrier never sold it


def mandate(
    api: Api,
    key: str,
    *,
    purposes: list[str] | None = None,
    numbers: list[str] | None = None,
    grantor: dict[str, Any] | None = None,
    sign: bool = True,
) -> str:
    """A mandate (by default: the org's, for mask, covering E164), signed unless told not to."""
    body = {
        "grantor": grantor or {"type": "org"},
        "purposes": purposes or ["mask"],
        "numbers": numbers or [E164],
    }
    made = api.call("POST", "/v1/mandates", key, json=body)
    assert made.status_code == 201, made.text
    mandate_id: str = made.json()["id"]
    if sign:
        signed = api.call(
            "POST", f"/v1/mandates/{mandate_id}/sign", key, json={"signed_by": "Ann Owner"}
        )
        assert signed.status_code == 200, signed.text
    return mandate_id


def mask(
    api: Api, key: str, mandate_id: str, e164: str = E164, owner: dict[str, Any] | None = None
) -> Any:
    """POST /v1/numbers/mask."""
    body = {"e164": e164, "owner": owner or {"type": "org"}, "mandate_id": mandate_id}
    return api.call("POST", "/v1/numbers/mask", key, json=body)


def calls(api: Api, e164: str = E164) -> list[dict[str, Any]]:
    """The sandbox carrier's verification calls to a number, newest first."""
    response = api.call("GET", "/v1/sandbox/verification-calls", ADMIN_TOKEN, params={"e164": e164})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def code_of_last_call(api: Api, e164: str = E164) -> str:
    """The code the carrier read out on its latest call to the number."""
    code: str = calls(api, e164)[0]["code"]
    return code


def other_than(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def verify(api: Api, key: str, number_id: str, code: str) -> Any:
    """POST /v1/numbers/{id}/verify."""
    return api.call("POST", f"/v1/numbers/{number_id}/verify", key, json={"code": code})


def masked(api: Api, key: str) -> dict[str, Any]:
    """Mask E164 under a fresh mandate; returns the pending number."""
    response = mask(api, key, mandate(api, key))
    assert response.status_code == 201, response.text
    number: dict[str, Any] = response.json()
    return number


def test_masked_number_turns_active_only_with_the_code_read_out_on_the_call_n6(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    assert (number["kind"], number["origin"], number["status"]) == ("masked", "masked", "pending")
    assert number["owner"]["type"] == "org"
    assert number["status_reason"] == "waiting for the verification code"
    assert number["verification"]["state"] == "waiting"
    assert number["verification"]["attempts_left"] == 5
    assert [c["e164"] for c in calls(api)] == [E164]  # the carrier called the number
    assert api.call("GET", "/v1/local-presence", key).json()["items"] == []  # not usable yet

    done = verify(api, key, number["id"], code_of_last_call(api))

    assert done.status_code == 200, done.text
    assert done.json()["status"] == "active"
    assert done.json()["status_reason"] is None
    assert done.json()["verification"]["state"] == "verified"
    assert api.call("GET", f"/v1/numbers/{number['id']}", key).json()["status"] == "active"
    presence = api.call("GET", "/v1/local-presence", key).json()["items"]
    assert presence == [{"country": "US", "area_code": "415", "numbers": [E164]}]
    trail = api.call("GET", f"/v1/audit?entity=number&entity_id={number['id']}", key).json()
    assert [e["action"] for e in trail["items"]] == ["mask", "verify"]


def test_a_wrong_code_counts_and_after_five_a_new_call_is_needed_n6(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    first_code = code_of_last_call(api)
    for left in (4, 3, 2, 1, 0):
        wrong = verify(api, key, number["id"], other_than(first_code))
        assert wrong.status_code == 422
        assert (wrong.json()["code"], wrong.json()["attempts_left"]) == ("wrong_code", left)

    spent = verify(api, key, number["id"], first_code)  # even the right code is too late now

    assert spent.status_code == 409
    assert spent.json()["code"] == "verification_expired"
    assert f"/v1/numbers/{number['id']}/verification-calls" in spent.json()["detail"]
    assert api.call("GET", f"/v1/numbers/{number['id']}", key).json()["status"] == "pending"

    again = api.call("POST", f"/v1/numbers/{number['id']}/verification-calls", key)
    assert again.status_code == 201, again.text
    assert again.json()["verification"]["attempts_left"] == 5
    assert len(calls(api)) == 2
    new_code = code_of_last_call(api)
    if new_code != first_code:  # the old call's code no longer works
        assert verify(api, key, number["id"], first_code).json()["code"] == "wrong_code"
    assert verify(api, key, number["id"], new_code).json()["status"] == "active"


def test_a_replayed_code_is_refused_and_changes_nothing_n6(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    code = code_of_last_call(api)
    assert verify(api, key, number["id"], code).status_code == 200
    audit_before = api.audit_count(key)

    replayed = verify(api, key, number["id"], code)

    assert replayed.status_code == 409
    assert replayed.json()["code"] == "already_verified"
    assert api.audit_count(key) == audit_before
    again = api.call("POST", f"/v1/numbers/{number['id']}/verification-calls", key)
    assert again.json()["code"] == "already_verified"
    assert len(calls(api)) == 1  # no new call for a verified number


def test_an_expired_call_is_refused_until_a_new_call_is_placed_n6(api: Api, clock: Clock) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    code = code_of_last_call(api)
    clock.at += timedelta(minutes=15)

    late = verify(api, key, number["id"], code)

    assert late.status_code == 409
    assert late.json()["code"] == "verification_expired"
    assert "15 minutes" in late.json()["detail"]
    read = api.call("GET", f"/v1/numbers/{number['id']}/verification", key).json()
    assert read["verification"]["state"] == "expired"
    assert (
        api.call("POST", f"/v1/numbers/{number['id']}/verification-calls", key).status_code == 201
    )
    assert verify(api, key, number["id"], code_of_last_call(api)).status_code == 200


def _foreign_mandate(api: Api, _key: str) -> str:
    other = api.new_org("Other Co")["api_key"]
    return mandate(api, other)


def _sponsor_mandate(api: Api, key: str) -> str:
    made = api.call(
        "POST", "/v1/sponsors", key, json={"name": "Partner", "business_id": "1", "country": "US"}
    )
    return mandate(api, key, grantor={"type": "sponsor", "id": made.json()["id"]})


def _revoked_mandate(api: Api, key: str) -> str:
    mandate_id = mandate(api, key)
    assert api.call("POST", f"/v1/mandates/{mandate_id}/revoke", key).status_code == 200
    return mandate_id


def _unsigned_mandate(api: Api, key: str) -> str:
    return mandate(api, key, sign=False)


def _porting_mandate(api: Api, key: str) -> str:
    return mandate(api, key, purposes=["port"])


def _other_numbers_mandate(api: Api, key: str) -> str:
    return mandate(api, key, numbers=["+14155550199"])


REFUSALS = [  # (case, make a mandate id, status, code)
    ("unknown", lambda api, key: "mdt_nope", 404, "mandate_not_found"),
    ("another org's", _foreign_mandate, 404, "mandate_not_found"),
    ("unsigned", _unsigned_mandate, 422, "mandate_not_active"),
    ("revoked", _revoked_mandate, 422, "mandate_not_active"),
    ("for porting", _porting_mandate, 422, "mandate_purpose_missing"),
    ("another number's", _other_numbers_mandate, 422, "mandate_number_not_covered"),
    ("a sponsor's, for our number", _sponsor_mandate, 422, "mandate_wrong_grantor"),
]


@pytest.mark.parametrize(("case", "make", "status", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_masking_without_the_owners_active_mask_mandate_is_refused_and_creates_nothing_n6(
    api: Api, case: str, make: Any, status: int, code: str
) -> None:
    key = api.new_org()["api_key"]
    mandate_id = make(api, key)
    audit_before = api.audit_count(key)

    refused = mask(api, key, mandate_id)

    assert refused.status_code == status, refused.text
    assert refused.json()["code"] == code
    assert api.call("GET", "/v1/numbers?status=pending", key).json()["items"] == []
    assert api.audit_count(key) == audit_before
    assert calls(api) == []  # nobody was called


def test_masking_a_number_the_org_already_has_is_refused_n6(api: Api) -> None:
    key = api.new_org()["api_key"]
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 1}
    bought = api.call("POST", "/v1/number-orders", key, json=order).json()["numbers"][0]["e164"]
    mandate_id = mandate(api, key, numbers=[bought, E164])
    audit_before = api.audit_count(key)

    refused = mask(api, key, mandate_id, e164=bought)

    assert refused.status_code == 409
    assert refused.json()["code"] == "number_already_yours"
    assert api.audit_count(key) == audit_before
    assert mask(api, key, mandate_id).status_code == 201
    twice = mask(api, key, mandate_id)
    assert twice.json()["code"] == "number_already_yours"
    assert "verification-calls" in twice.json()["detail"]  # the fix for a lost call


def test_a_sponsors_number_is_masked_under_the_sponsors_mandate_n6(api: Api) -> None:
    key = api.new_org()["api_key"]
    sponsor = api.call(
        "POST", "/v1/sponsors", key, json={"name": "Partner", "business_id": "7", "country": "US"}
    ).json()
    mandate_id = mandate(api, key, grantor={"type": "sponsor", "id": sponsor["id"]})
    owner = {"type": "sponsor", "id": sponsor["id"]}

    made = mask(api, key, mandate_id, owner=owner)

    assert made.status_code == 201, made.text
    assert made.json()["owner"] == owner
    assert verify(api, key, made.json()["id"], code_of_last_call(api)).status_code == 200


def test_masking_with_another_orgs_sponsor_is_not_found_a1(api: Api) -> None:
    key = api.new_org()["api_key"]
    other = api.new_org("Other Co")["api_key"]
    theirs = api.call(
        "POST", "/v1/sponsors", other, json={"name": "P", "business_id": "9", "country": "US"}
    ).json()
    audit_before = api.audit_count(key)

    refused = mask(api, key, mandate(api, key), owner={"type": "sponsor", "id": theirs["id"]})

    assert refused.status_code == 404
    assert refused.json()["code"] == "sponsor_not_found"
    assert api.audit_count(key) == audit_before + 2  # only the mandate's create and sign


def test_a_national_number_is_read_with_the_orgs_country_n1(api: Api) -> None:
    key = api.new_org("Oy", "FI")["api_key"]
    mandate_id = mandate(api, key, numbers=["040 1234567"])

    made = mask(api, key, mandate_id, e164="040 1234567")

    assert made.status_code == 201, made.text
    assert (made.json()["e164"], made.json()["line_type"]) == ("+358401234567", "mobile")


def test_bad_input_is_refused_with_the_field_and_takes_no_try(api: Api) -> None:
    key = api.new_org()["api_key"]
    assert mask(api, key, "mdt_x", e164="12").json()["code"] == "invalid_phone_number"
    assert mask(api, key, "mdt_x", owner={"type": "partner"}).status_code == 422
    assert mask(api, key, "mdt_x", owner={"type": "sponsor"}).json()["errors"][0]["field"] == (
        "owner.id"
    )
    number = masked(api, key)
    malformed = verify(api, key, number["id"], "12ab")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "invalid_code")
    read = api.call("GET", f"/v1/numbers/{number['id']}/verification", key).json()
    assert read["verification"]["attempts_left"] == 5
    assert verify(api, key, "num_nope", "123456").json()["code"] == "number_not_found"


def test_agents_cannot_mask_or_verify_a2(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    _, agent = api.new_user(key, "agent")
    assert mask(api, agent, "mdt_x").status_code == 403
    assert verify(api, agent, number["id"], code_of_last_call(api)).status_code == 403
    assert api.call("GET", f"/v1/numbers/{number['id']}/verification", agent).status_code == 200


def test_a_mandate_revoked_before_the_code_blocks_activation_until_a_new_one_n6_c3(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    code = code_of_last_call(api)
    assert api.call("POST", f"/v1/mandates/{number['mandate_id']}/revoke", key).status_code == 200

    refused = verify(api, key, number["id"], code)

    assert refused.status_code == 422
    assert refused.json()["code"] == "mandate_not_active"
    new_mandate = mandate(api, key)
    again = api.call(
        "POST",
        f"/v1/numbers/{number['id']}/verification-calls",
        key,
        json={"mandate_id": new_mandate},
    )
    assert again.status_code == 201, again.text
    done = verify(api, key, number["id"], code_of_last_call(api))
    assert done.json()["status"] == "active"
    assert done.json()["mandate_id"] == new_mandate


def test_a_masked_number_never_receives_calls_or_sends_texts_n2(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    verify(api, key, number["id"], code_of_last_call(api))
    audit_before = api.audit_count(key)

    forward = api.call(
        "PATCH", f"/v1/numbers/{number['id']}", key, json={"forward_to": "+12125550100"}
    )
    sender = api.call(
        "POST", "/v1/users", key, json={"name": "A", "email": "a@example.com", "role": "agent",
                                       "sender_id": E164},
    )  # fmt: skip

    assert (forward.status_code, forward.json()["code"]) == (422, "capability_missing")
    assert (sender.status_code, sender.json()["code"]) == (422, "capability_missing")
    assert api.audit_count(key) == audit_before
    agent = {"name": "B", "email": "b@example.com", "role": "agent", "caller_id": E164}
    assert api.call("POST", "/v1/users", key, json=agent).status_code == 201  # voice out: yes


def test_a_retried_mask_with_the_same_idempotency_key_masks_and_calls_once(api: Api) -> None:
    key = api.new_org()["api_key"]
    mandate_id = mandate(api, key)
    body = {"e164": E164, "owner": {"type": "org"}, "mandate_id": mandate_id}
    headers = {"Idempotency-Key": "mask-1"}

    first = api.call("POST", "/v1/numbers/mask", key, json=body, headers=headers)
    retry = api.call("POST", "/v1/numbers/mask", key, json=body, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(calls(api)) == 1


def test_concurrent_wrong_guesses_never_exceed_five_tries_n6(desk: Desk, api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    wrong = other_than(code_of_last_call(api))
    actor = authenticate(desk, key)
    start, outcomes = threading.Barrier(8), []

    def guess() -> None:
        start.wait()
        try:
            masking.verify_number(desk, actor, number["id"], wrong)
        except Exception as problem:
            outcomes.append(getattr(problem, "code", repr(problem)))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["verification_expired"] * 3 + ["wrong_code"] * 5
    read = api.call("GET", f"/v1/numbers/{number['id']}/verification", key).json()
    assert read["verification"]["attempts_left"] == 0


def test_sandbox_verification_calls_need_the_admin_token_and_list_newest_first(api: Api) -> None:
    key = api.new_org()["api_key"]
    number = masked(api, key)
    api.call("POST", f"/v1/numbers/{number['id']}/verification-calls", key)
    path = "/v1/sandbox/verification-calls"

    assert api.call("GET", path, key).status_code == 401  # an org's key is not the admin token
    assert api.call("GET", path, ADMIN_TOKEN, params={"e164": "4155550123"}).status_code == 422
    listed = calls(api)
    assert len(listed) == 2
    assert all(len(c["code"]) == 6 and c["code"].isdigit() for c in listed)
    assert calls(api, "+12125550100") == []
    assert verify(api, key, number["id"], listed[0]["code"]).status_code == 200  # newest first


def cli(database_url: str, *args: str) -> tuple[int, str]:
    """Run ``numberdesk`` against ``database_url``; returns the exit code and all output."""
    env = {"NUMBERDESK_DATABASE_URL": database_url, "COLUMNS": "200"}
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_the_cli_masks_shows_the_call_and_verifies_by_code_n6(
    api: Api, desk: Desk, database_url: str
) -> None:
    key = api.new_org()["api_key"]
    mandate_id = mandate(api, key)
    args = ("--e164", "4155550123", "--owner-type", "org", "--mandate-id", mandate_id)

    code, output = cli(database_url, "numbers", "mask", *args, "--api-key", key)

    assert code == 0, output
    assert "pending" in output
    (pending,) = list_numbers(desk, authenticate(desk, key), status=Status.PENDING).items
    code, output = cli(database_url, "carrier", "calls", "--e164", E164)
    assert code == 0, output
    said = code_of_last_call(api)
    assert said in output
    verify_args = ("numbers", "verify", pending.id, "--api-key", key, "--code")
    code, output = cli(database_url, *verify_args, other_than(said))
    assert (code, "wrong_code" in output) == (2, True)
    code, output = cli(database_url, *verify_args, said)
    assert code == 0, output
    assert "active" in output
    again = cli(database_url, "numbers", "mask", *args, "--api-key", key)
    assert again[0] == 2
    assert "number_already_yours" in again[1]

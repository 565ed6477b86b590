"""Users, roles and keys through the API (rules A1, A2, A3, N1)."""

from __future__ import annotations

from functools import partial

import pytest

from numberdesk.bootstrap import build_desk
from numberdesk.domain.errors import Unauthenticated
from numberdesk.services.desk import Desk
from numberdesk.services.orgs import authenticate
from numberdesk.store.orgs import UserRepo
from tests.conftest import Api, settings_for
from tests.integration.helpers import add_number, at_once


def test_admin_adds_agent_with_national_work_phone_read_in_org_country_n1(api: Api) -> None:
    key = api.new_org(country="FI", name="Oy")["api_key"]
    body = {
        "name": "Aino",
        "email": "Aino@Example.com",
        "role": "agent",
        "extension": "sip:aino@pbx.example.com",
        "work_phone": "040 1234567",
        "voicemail_email": "aino@example.com",
        "business_hours": [{"days": ["mon", "tue"], "start": "09:00", "end": "17:00"}],
    }
    response = api.call("POST", "/v1/users", key, json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["work_phone"] == "+358401234567"
    assert user["email"] == "aino@example.com"
    assert user["presence"] == "logged_out"
    entry = api.call("GET", f"/v1/audit?entity=user&entity_id={user['id']}", key).json()
    assert entry["items"][0]["action"] == "create"


def test_invalid_user_fields_are_refused_and_change_nothing(api: Api) -> None:
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    bad: list[dict[str, object]] = [
        {"work_phone": "12"},
        {"extension": "alice"},
        {"email": "not-an-email"},
        {"role": "king"},
        {"business_hours": [{"days": ["mon"], "start": "25:00", "end": "17:00"}]},
        {"business_hours": [{"days": ["moon"], "start": "09:00", "end": "17:00"}]},
        {"business_hours": [{"days": ["mon"], "start": "09:00", "end": "09:00"}]},
        {"caller_id": "+12125550123"},
        {"greeting_url": "ftp://x"},
    ]
    for fields in bad:
        body = {"name": "X", "email": "x@example.com", "role": "agent", **fields}
        response = api.call("POST", "/v1/users", key, json=body)
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["detail"]
    assert api.audit_count(key) == before
    assert len(api.call("GET", "/v1/users", key).json()["items"]) == 1


def test_a_users_name_email_or_role_sent_as_null_is_refused_and_kept(api: Api) -> None:
    """A change may leave a field out to keep it; null for a field every user has was a 500."""
    key = api.new_org()["api_key"]
    user, _ = api.new_user(key, name="Aino", email="aino@example.com")
    before = api.audit_count(key)
    for field in ("name", "email", "role"):
        response = api.call("PATCH", f"/v1/users/{user['id']}", key, json={field: None})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
        assert "leave it out" in response.json()["detail"]
    assert api.call("GET", f"/v1/users/{user['id']}", key).json() == user
    assert api.audit_count(key) == before


def test_duplicate_email_is_refused_with_409(api: Api) -> None:
    key = api.new_org()["api_key"]
    api.new_user(key, email="sam@example.com")
    before = api.audit_count(key)
    body = {"name": "Sam 2", "email": "SAM@example.com", "role": "agent"}
    response = api.call("POST", "/v1/users", key, json=body)
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_email"
    assert api.audit_count(key) == before


def test_an_email_taken_by_a_request_at_the_same_moment_is_a_409_not_a_500(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check for a live user with the e-mail ran before another request's insert landed:
    the database's unique index refuses the second, and the API says which field clashed."""
    key = api.new_org()["api_key"]
    sam, _ = api.new_user(key, email="sam@example.com")
    other, _ = api.new_user(key, email="other@example.com")
    before = api.audit_count(key)
    monkeypatch.setattr(UserRepo, "by_email", lambda *_: None)  # as if not yet committed

    added = api.call(
        "POST", "/v1/users", key, json={"name": "Sam 2", "email": sam["email"], "role": "agent"}
    )
    changed = api.call("PATCH", f"/v1/users/{other['id']}", key, json={"email": sam["email"]})

    for response in (added, changed):
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "duplicate_email"
        assert response.json()["errors"][0]["field"] == "email"
    assert api.audit_count(key) == before


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_users_with_one_email_make_one_user_and_409s(api: Api) -> None:
    key = api.new_org()["api_key"]
    body = {"name": "Twin", "email": "twin@example.com", "role": "agent"}

    answers = at_once(*[lambda: api.call("POST", "/v1/users", key, json=body)] * 8)

    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    users = api.call("GET", "/v1/users", key).json()["items"]
    assert [u["email"] for u in users].count("twin@example.com") == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_owners_removing_each_other_at_once_leave_one_owner_a2(api: Api) -> None:
    """Each removal alone leaves an owner; both at once would have left none."""
    created = api.new_org()
    first, first_key = created["owner_user_id"], created["api_key"]
    second, second_key = api.new_user(first_key, role="owner")

    answers = at_once(
        lambda: api.call("DELETE", f"/v1/users/{second['id']}", first_key),
        lambda: api.call("DELETE", f"/v1/users/{first}", second_key),
    )

    # the second is refused as the last owner's removal, or, once the first has removed its
    # sender, for a key that no longer works
    (removed,) = [a for a in answers if a.status_code == 204]
    (refused,) = [a for a in answers if a.status_code != 204]
    assert refused.json()["code"] in ("last_owner", "invalid_api_key")
    kept = first_key if answers[0] is removed else second_key
    owners = [u for u in api.call("GET", "/v1/users", kept).json()["items"] if u["role"] == "owner"]
    assert len(owners) == 1


def test_agent_cannot_add_or_change_other_users_a2(api: Api) -> None:
    owner = api.new_org()["api_key"]
    colleague, _ = api.new_user(owner)
    _, agent = api.new_user(owner)
    body = {"name": "Y", "email": "y@example.com", "role": "agent"}
    assert api.call("POST", "/v1/users", agent, json=body).status_code == 403
    patch = api.call("PATCH", f"/v1/users/{colleague['id']}", agent, json={"name": "Z"})
    assert patch.status_code == 403
    assert api.call("GET", f"/v1/users/{colleague['id']}", agent).status_code == 403


def test_agent_edits_own_card_but_not_own_role_or_caller_id(api: Api) -> None:
    owner = api.new_org()["api_key"]
    me, agent = api.new_user(owner)
    ok = api.call("PATCH", f"/v1/users/{me['id']}", agent, json={"work_phone": "+12125550100"})
    assert ok.status_code == 200
    assert ok.json()["work_phone"] == "+12125550100"
    denied = api.call("PATCH", f"/v1/users/{me['id']}", agent, json={"role": "admin"})
    assert denied.status_code == 403
    assert api.call("GET", f"/v1/users/{me['id']}", agent).json()["role"] == "agent"


def test_agent_lists_only_themselves(api: Api) -> None:
    owner = api.new_org()["api_key"]
    api.new_user(owner)
    me, agent = api.new_user(owner)
    items = api.call("GET", "/v1/users", agent).json()["items"]
    assert [u["id"] for u in items] == [me["id"]]


def test_agent_sets_own_presence(api: Api) -> None:
    owner = api.new_org()["api_key"]
    me, agent = api.new_user(owner)
    response = api.call("PUT", f"/v1/users/{me['id']}/presence", agent, json={"status": "busy"})
    assert response.json()["presence"] == "busy"
    bad = api.call("PUT", f"/v1/users/{me['id']}/presence", agent, json={"status": "asleep"})
    assert bad.status_code == 422


def test_only_owners_add_owners(api: Api) -> None:
    owner = api.new_org()["api_key"]
    _, admin = api.new_user(owner, role="admin")
    body = {"name": "O", "email": "o@example.com", "role": "owner"}
    assert api.call("POST", "/v1/users", admin, json=body).status_code == 403
    assert api.call("POST", "/v1/users", owner, json=body).status_code == 201


def test_last_owner_cannot_be_demoted(api: Api) -> None:
    created = api.new_org()
    response = api.call(
        "PATCH", f"/v1/users/{created['owner_user_id']}", created["api_key"], json={"role": "agent"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "last_owner"


def test_deleted_user_disappears_and_their_keys_stop_working(api: Api) -> None:
    owner = api.new_org()["api_key"]
    user, agent = api.new_user(owner)
    assert api.call("GET", "/v1/org", agent).status_code == 200
    assert api.call("DELETE", f"/v1/users/{user['id']}", owner).status_code == 204
    assert api.call("GET", "/v1/org", agent).status_code == 401
    assert api.call("GET", f"/v1/users/{user['id']}", owner).status_code == 404
    entries = api.call("GET", f"/v1/audit?entity=user&entity_id={user['id']}", owner).json()
    assert entries["items"][-1]["action"] == "delete"


def test_another_orgs_user_answers_404_a1(api: Api) -> None:
    first = api.new_org("First")["api_key"]
    second = api.new_org("Second")["api_key"]
    user, _ = api.new_user(first)
    for method, path, body in (
        ("GET", f"/v1/users/{user['id']}", None),
        ("PATCH", f"/v1/users/{user['id']}", {"name": "Stolen"}),
        ("DELETE", f"/v1/users/{user['id']}", None),
        ("POST", "/v1/api-keys", {"user_id": user["id"]}),
    ):
        response = api.call(method, path, second, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["code"] == "user_not_found"
    assert api.call("GET", f"/v1/users/{user['id']}", first).json()["name"] == user["name"]


def test_users_page_with_a_cursor(api: Api) -> None:
    owner = api.new_org()["api_key"]
    for _ in range(3):
        api.new_user(owner)
    seen: list[str] = []
    cursor = ""
    while True:
        page = api.call("GET", f"/v1/users?limit=2{cursor}", owner).json()
        seen += [u["id"] for u in page["items"]]
        if not page["next"]:
            break
        cursor = f"&cursor={page['next']}"
    assert len(seen) == 4
    assert len(set(seen)) == 4


def test_demoted_admin_loses_admin_rights_at_once_a2(api: Api) -> None:
    owner = api.new_org()["api_key"]
    user, admin = api.new_user(owner, role="admin")
    assert api.call("GET", "/v1/audit", admin).status_code == 200  # remembered as an admin
    api.call("PATCH", f"/v1/users/{user['id']}", owner, json={"role": "agent"})
    assert api.call("POST", "/v1/groups", admin, json={"name": "G"}).status_code == 403


def test_another_process_follows_a_revocation_within_the_key_cache_time_a1(
    api: Api, database_url: str
) -> None:
    owner = api.new_org()["api_key"]
    user, agent = api.new_user(owner)
    remembering = build_desk(settings_for(database_url, key_cache_seconds=60))
    checking = build_desk(settings_for(database_url, key_cache_seconds=0))
    try:
        assert authenticate(remembering, agent).user_id == user["id"]
        assert authenticate(checking, agent).user_id == user["id"]
        api.call("DELETE", f"/v1/users/{user['id']}", owner)
        with pytest.raises(Unauthenticated):
            authenticate(checking, agent)
        assert authenticate(remembering, agent).user_id == user["id"]  # until its time is up
    finally:
        remembering.close()
        checking.close()


def test_masked_number_cannot_be_an_agents_personal_or_company_number_n2(
    api: Api, desk: Desk
) -> None:
    created = api.new_org()
    owner = created["api_key"]
    user, _ = api.new_user(owner)
    masked = add_number(desk, created["org_id"], kind="masked")
    entries = api.audit_count(owner)
    for field in ("personal_number_id", "company_number_id"):
        response = api.call("PUT", f"/v1/users/{user['id']}/numbers", owner, json={field: masked})
        assert response.status_code == 422, response.text
        assert "rule N2" in response.json()["detail"]
    assert api.audit_count(owner) == entries


def test_a_personal_number_belongs_to_one_user_but_a_company_number_to_many(
    api: Api, desk: Desk
) -> None:
    created = api.new_org()
    owner = created["api_key"]
    (first, _), (second, _) = api.new_user(owner), api.new_user(owner)
    number = add_number(desk, created["org_id"])
    path = "/v1/users/{}/numbers"
    for user in (first, second):
        shared = api.call("PUT", path.format(user["id"]), owner, json={"company_number_id": number})
        assert shared.status_code == 200, shared.text
    mine = api.call("PUT", path.format(first["id"]), owner, json={"personal_number_id": number})
    assert mine.status_code == 200, mine.text
    entries = api.audit_count(owner)

    taken = api.call("PUT", path.format(second["id"]), owner, json={"personal_number_id": number})

    assert taken.status_code == 409
    assert taken.json()["code"] == "number_in_use"
    assert api.audit_count(owner) == entries


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_one_personal_number_given_to_two_users_at_once_goes_to_one(api: Api, desk: Desk) -> None:
    created = api.new_org()
    owner = created["api_key"]
    users = [api.new_user(owner)[0] for _ in range(4)]
    number = add_number(desk, created["org_id"])
    body = {"personal_number_id": number}

    answers = at_once(
        *[
            lambda u=u: api.call("PUT", f"/v1/users/{u['id']}/numbers", owner, json=body)
            for u in users
        ]
    )

    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]
    holders = [
        u for u in api.call("GET", "/v1/users", owner).json()["items"]
        if u.get("personal_number_id") == number
    ]  # fmt: skip
    assert len(holders) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_card_changed_as_its_numbers_are_released_is_changed_or_refused_never_a_503(
    api: Api, desk: Desk
) -> None:
    """The change and the release took the user's row and the number's in opposite orders:
    the database ended one of them as a deadlock (a 503)."""
    created = api.new_org()
    owner = created["api_key"]
    user, _ = api.new_user(owner)
    path = f"/v1/users/{user['id']}"
    for turn in range(6):
        number = add_number(desk, created["org_id"])
        e164 = api.call("GET", f"/v1/numbers/{number}", owner).json()["e164"]
        api.call("PATCH", path, owner, json={"caller_id": e164})
        api.call("PUT", f"{path}/numbers", owner, json={"company_number_id": number})
        change = (
            partial(api.call, "PATCH", path, owner, json={"name": f"A{turn}", "caller_id": e164})
            if turn % 2
            else partial(
                api.call, "PUT", f"{path}/numbers", owner, json={"company_number_id": number}
            )
        )

        answers = at_once(change, partial(api.call, "DELETE", f"/v1/numbers/{number}", owner))

        assert answers[1].status_code == 200, answers[1].text
        assert answers[0].status_code in (200, 422), answers[0].text
        card = api.call("GET", path, owner).json()
        assert card["caller_id"] != e164
        assert card["company_number_id"] != number

"""Idempotency-Key on every creating POST: a retry gets the first answer, nothing twice (A3)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from numberdesk.api.app import create_app
from numberdesk.services import groups, orgs
from numberdesk.services.desk import Desk
from numberdesk.store import schema as s
from numberdesk.store.idempotency import IdempotencyRepo

if TYPE_CHECKING:
    from tests.conftest import Api

USER = {"name": "Ann Agent", "email": "ann@example.com", "role": "agent"}
CREATES = [  # (path, body, audit entity)
    ("/v1/users", USER, "user"),
    ("/v1/groups", {"name": "New York lines"}, "group"),
    ("/v1/campaigns", {"name": "Spring renewals", "sticky": False}, "campaign"),
    ("/v1/queues", {"name": "Sales"}, "queue"),
    ("/v1/destinations", {"name": "Night", "uri": "sip:night@pbx.example.com"}, "destination"),
]


def post(api: Api, key: str, path: str, body: dict[str, Any], idem: str | None = None) -> Any:
    """POST a create, with an Idempotency-Key when given."""
    headers = {"Idempotency-Key": idem} if idem is not None else {}
    return api.call("POST", path, key, json=body, headers=headers)


def ids(api: Api, key: str, path: str) -> list[str]:
    """The ids a list endpoint shows (first page)."""
    response = api.call("GET", f"{path}?limit=500", key)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def audited(api: Api, key: str, entity: str) -> list[dict[str, Any]]:
    """The org's audit entries about one kind of object."""
    items: list[dict[str, Any]] = api.call(
        "GET", f"/v1/audit?entity={entity}&limit=500", key
    ).json()["items"]
    return items


@pytest.mark.parametrize(("path", "body", "entity"), CREATES)
def test_retried_create_gets_the_first_answer_and_creates_one_audited_object_a3(
    api: Api, path: str, body: dict[str, Any], entity: str
) -> None:
    key = api.new_org()["api_key"]
    before, audit_before = ids(api, key, path), audited(api, key, entity)

    first = post(api, key, path, body, "create-1")
    retry = post(api, key, path, body, "create-1")

    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert ids(api, key, path) == [*before, first.json()["id"]]
    made = audited(api, key, entity)[len(audit_before) :]
    assert [(e["action"], e["entity_id"]) for e in made] == [("create", first.json()["id"])]


@pytest.mark.parametrize(("path", "body", "entity"), CREATES)
def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    api: Api, path: str, body: dict[str, Any], entity: str
) -> None:
    key = api.new_org()["api_key"]
    post(api, key, path, body, "k")
    before, audit_count = ids(api, key, path), api.audit_count(key)

    other = post(api, key, path, {**body, "name": "Something else"}, "k")

    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert "new key" in other.json()["detail"]
    assert ids(api, key, path) == before
    assert api.audit_count(key) == audit_count


def test_the_same_key_on_another_endpoint_is_refused(api: Api) -> None:
    key = api.new_org()["api_key"]
    assert post(api, key, "/v1/groups", {"name": "Sales"}, "k").status_code == 201

    queue = post(api, key, "/v1/queues", {"name": "Sales"}, "k")

    assert (queue.status_code, queue.json()["code"]) == (422, "idempotency_key_reused")
    assert ids(api, key, "/v1/queues") == []


def test_another_user_of_the_org_cannot_replay_a_users_answer_a1(api: Api) -> None:
    owner = api.new_org()["api_key"]
    _, admin = api.new_user(owner, "admin")
    assert post(api, owner, "/v1/users", USER, "k").status_code == 201
    audit_count = api.audit_count(owner)

    theirs = post(api, admin, "/v1/users", USER, "k")

    assert (theirs.status_code, theirs.json()["code"]) == (422, "idempotency_key_reused")
    assert api.audit_count(owner) == audit_count


def test_the_same_key_in_two_orgs_is_independent_a1(api: Api) -> None:
    one, two = api.new_org("One")["api_key"], api.new_org("Two")["api_key"]

    first = post(api, one, "/v1/groups", {"name": "Sales"}, "same")
    second = post(api, two, "/v1/groups", {"name": "Sales"}, "same")

    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert ids(api, two, "/v1/groups") == [second.json()["id"]] != [first.json()["id"]]


@pytest.mark.parametrize("length", [0, 256])
def test_a_key_of_no_or_more_than_255_characters_is_refused(api: Api, length: int) -> None:
    key = api.new_org()["api_key"]
    audit_count = api.audit_count(key)

    response = post(api, key, "/v1/groups", {"name": "Sales"}, "k" * length)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert ids(api, key, "/v1/groups") == []
    assert api.audit_count(key) == audit_count
    assert post(api, key, "/v1/groups", {"name": "Sales"}, "k" * 255).status_code == 201


def test_a_refused_create_stores_nothing_so_a_corrected_retry_with_the_key_works(
    api: Api,
) -> None:
    key = api.new_org()["api_key"]
    taken = post(api, key, "/v1/groups", {"name": "Sales"}).json()

    refused = post(api, key, "/v1/groups", {"name": "Sales"}, "k")
    corrected = post(api, key, "/v1/groups", {"name": "Sales EU"}, "k")
    retried = post(api, key, "/v1/groups", {"name": "Sales EU"}, "k")

    assert (refused.status_code, refused.json()["code"]) == (409, "duplicate_name")
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert ids(api, key, "/v1/groups") == [taken["id"], corrected.json()["id"]]


def test_a_retried_api_key_create_makes_no_second_key_and_never_stores_it(
    api: Api, desk: Desk
) -> None:
    """API keys are shown once and kept only as a hash, so a retry cannot show it again."""
    owner = api.new_org()["api_key"]
    user, _ = api.new_user(owner)
    before = audited(api, owner, "api_key")

    first = post(api, owner, "/v1/api-keys", {"user_id": user["id"]}, "key-1")
    retry = post(api, owner, "/v1/api-keys", {"user_id": user["id"]}, "key-1")

    assert first.status_code == 201
    assert api.call("GET", "/v1/org", first.json()["api_key"]).status_code == 200
    assert (retry.status_code, retry.json()["code"]) == (409, "secret_shown_once")
    assert len(audited(api, owner, "api_key")) == len(before) + 1
    with desk.store.engine.connect() as conn:
        stored = conn.execute(select(s.idempotency_keys.c.response)).scalars().all()
    assert stored == [{}]


def test_a_twin_that_read_before_the_first_committed_replays_the_winner(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The twin saw no answer yet, then lost the key to the winner: it changes nothing."""
    key = api.new_org()["api_key"]
    first = post(api, key, "/v1/groups", {"name": "Sales"}, "race")
    audit_count = api.audit_count(key)
    real_get, reads = IdempotencyRepo.get, []

    def not_yet_committed(repo: IdempotencyRepo, org_id: str, k: str) -> Any:
        reads.append(k)
        return None if len(reads) == 1 else real_get(repo, org_id, k)

    monkeypatch.setattr(IdempotencyRepo, "get", not_yet_committed)
    twin = post(api, key, "/v1/groups", {"name": "Sales"}, "race")

    assert len(reads) == 2
    assert (twin.status_code, twin.json()) == (201, first.json())
    assert twin.headers["Idempotent-Replayed"] == "true"
    assert ids(api, key, "/v1/groups") == [first.json()["id"]]
    assert api.audit_count(key) == audit_count


def test_concurrent_requests_with_the_same_key_create_exactly_one_object(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four clients at once; the first holds the key a while, the others wait and replay."""
    key = api.new_org()["api_key"]
    real_create = groups.create_group

    def slow_create(*args: Any) -> Any:
        made = real_create(*args)
        time.sleep(0.3)  # the others arrive while the key is claimed but not committed
        return made

    monkeypatch.setattr(groups, "create_group", slow_create)
    app, start, answers = create_app(desk), threading.Barrier(4), []

    def client() -> None:
        with TestClient(app, raise_server_exceptions=False) as http:
            start.wait()
            answers.append(
                http.post(
                    "/v1/groups",
                    json={"name": "Sales"},
                    headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "together"},
                )
            )

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in answers) == ["", *["true"] * 3]
    assert ids(api, key, "/v1/groups") == [answers[0].json()["id"]]
    assert len(audited(api, key, "group")) == 1


def test_a_service_inside_an_open_transaction_joins_it_and_rolls_back_with_it(
    desk: Desk,
) -> None:
    """The ambient transaction that lets a create store its answer together with its change."""
    seen: list[Any] = []

    def create_then_fail() -> None:
        with desk.store.transaction() as outer:
            made = orgs.create_org(desk, name="Joined", country="US")  # its transaction joins
            seen.extend([outer, made.org.org_id, outer.orgs.get(made.org.org_id)])
            raise RuntimeError("storing the answer failed")

    with pytest.raises(RuntimeError):
        create_then_fail()
    outer, org_id, inside = seen
    assert inside is not None
    with desk.store.transaction() as fresh:
        assert fresh is not outer
        assert fresh.orgs.get(org_id) is None

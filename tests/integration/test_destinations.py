"""Inbound queues and custom destinations through the HTTP API (rules I2, A1-A3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from numberdesk.store.destinations import DestinationRepo, NamedRepo, QueueRepo
from tests.integration.helpers import audit, post

if TYPE_CHECKING:
    from tests.conftest import Api

KINDS = [("/v1/queues", "queue"), ("/v1/destinations", "destination")]


def listed(api: Api, key: str, path: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint's first page."""
    items: list[dict[str, Any]] = api.call("GET", path, key).json()["items"]
    return items


@pytest.mark.parametrize(("path", "entity"), KINDS)
def test_queue_and_destination_lifecycle_is_audited_a3(api: Api, path: str, entity: str) -> None:
    key = api.new_org()["api_key"]

    made = post(api, key, path, {"name": "Sales", "uri": "sip:sales@pbx.example.com"})
    assert made["uri"] == "sip:sales@pbx.example.com"
    assert api.call("GET", f"{path}/{made['id']}", key).json() == made
    assert listed(api, key, path) == [made]

    changed = api.call(
        "PATCH", f"{path}/{made['id']}", key, json={"name": "Sales EU", "uri": "sips:eu@pbx.eu"}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["uri"]) == ("Sales EU", "sips:eu@pbx.eu")

    assert api.call("DELETE", f"{path}/{made['id']}", key).status_code == 204
    gone = api.call("GET", f"{path}/{made['id']}", key)
    assert (gone.status_code, gone.json()["code"]) == (404, f"{entity}_not_found")
    entries = audit(api, key, entity)
    assert [e["action"] for e in entries] == ["create", "update", "delete"]
    assert entries[1]["before"]["uri"] == "sip:sales@pbx.example.com"
    assert entries[1]["after"]["uri"] == "sips:eu@pbx.eu"


def test_a_queue_needs_no_uri_and_patch_can_clear_it(api: Api) -> None:
    key = api.new_org()["api_key"]

    queue = post(api, key, "/v1/queues", {"name": "Support"})
    assert queue["uri"] is None
    with_uri = api.call(
        "PATCH", f"/v1/queues/{queue['id']}", key, json={"uri": "sip:support@pbx.example.com"}
    )
    cleared = api.call("PATCH", f"/v1/queues/{queue['id']}", key, json={"uri": None})

    assert with_uri.json()["uri"] == "sip:support@pbx.example.com"
    assert cleared.json()["uri"] is None


def test_a_custom_destination_needs_a_sip_uri(api: Api) -> None:
    key = api.new_org()["api_key"]
    made = post(api, key, "/v1/destinations", {"name": "Night", "uri": "sip:night@pbx.example"})

    missing = api.call("POST", "/v1/destinations", key, json={"name": "No URI"})
    cleared = api.call("PATCH", f"/v1/destinations/{made['id']}", key, json={"uri": None})

    assert (missing.status_code, cleared.status_code) == (422, 422)
    assert "uri" in missing.json()["detail"]
    assert "uri" in cleared.json()["detail"]
    assert listed(api, key, "/v1/destinations") == [made]


@pytest.mark.parametrize(("path", "entity"), KINDS)
@pytest.mark.parametrize("uri", ["https://pbx.example.com", "sales@pbx", "sip:", "sip:a b@x"])
def test_a_uri_that_is_not_sip_is_422_and_changes_nothing(
    api: Api, path: str, entity: str, uri: str
) -> None:
    key = api.new_org()["api_key"]
    made = post(api, key, path, {"name": "Sales", "uri": "sip:sales@pbx.example.com"})

    created = api.call("POST", path, key, json={"name": "Other", "uri": uri})
    patched = api.call("PATCH", f"{path}/{made['id']}", key, json={"uri": uri})

    for response in (created, patched):
        assert response.status_code == 422
        assert "not a SIP URI" in response.json()["detail"]
        assert response.json()["errors"][0]["field"] == "uri"
    assert listed(api, key, path) == [made]
    assert len(audit(api, key, entity)) == 1


@pytest.mark.parametrize(("path", "entity"), KINDS)
def test_duplicate_name_is_409_and_changes_nothing(api: Api, path: str, entity: str) -> None:
    key = api.new_org()["api_key"]
    post(api, key, path, {"name": "Sales", "uri": "sip:a@pbx.example"})
    other = post(api, key, path, {"name": "Support", "uri": "sip:b@pbx.example"})
    before = audit(api, key, entity)

    created = api.call("POST", path, key, json={"name": "Sales", "uri": "sip:c@pbx.example"})
    renamed = api.call("PATCH", f"{path}/{other['id']}", key, json={"name": "Sales"})

    for response in (created, renamed):
        assert (response.status_code, response.json()["code"]) == (409, "duplicate_name")
        assert "'Sales'" in response.json()["detail"]
    assert audit(api, key, entity) == before
    assert sorted(q["name"] for q in listed(api, key, path)) == ["Sales", "Support"]


@pytest.mark.parametrize(("path", "entity"), KINDS)
def test_another_orgs_queue_or_destination_answers_404_a1(api: Api, path: str, entity: str) -> None:
    mine, theirs = api.new_org("Mine"), api.new_org("Theirs")
    their = post(api, theirs["api_key"], path, {"name": "Theirs", "uri": "sip:t@pbx.example"})

    for method in ("GET", "PATCH", "DELETE"):
        response = api.call(method, f"{path}/{their['id']}", mine["api_key"], json={"name": "X"})
        assert (response.status_code, response.json()["code"]) == (404, f"{entity}_not_found")

    assert listed(api, mine["api_key"], path) == []
    assert audit(api, mine["api_key"], entity) == []
    assert listed(api, theirs["api_key"], path) == [their]


@pytest.mark.parametrize(("path", "entity"), KINDS)
def test_agent_reads_but_cannot_change_queues_or_destinations_a2(
    api: Api, path: str, entity: str
) -> None:
    org = api.new_org()
    made = post(api, org["api_key"], path, {"name": "Sales", "uri": "sip:s@pbx.example"})
    user = post(
        api, org["api_key"], "/v1/users", {"name": "Cy", "email": "cy@example.com", "role": "agent"}
    )
    agent = post(api, org["api_key"], "/v1/api-keys", {"user_id": user["id"]})["api_key"]

    assert listed(api, agent, path) == [made]
    assert api.call("GET", f"{path}/{made['id']}", agent).json() == made
    changes = [
        api.call("POST", path, agent, json={"name": "Mine", "uri": "sip:m@pbx.example"}),
        api.call("PATCH", f"{path}/{made['id']}", agent, json={"name": "Renamed"}),
        api.call("DELETE", f"{path}/{made['id']}", agent),
    ]

    for response in changes:
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert len(audit(api, org["api_key"], entity)) == 1
    assert listed(api, agent, path) == [made]


@pytest.mark.parametrize(("path", "entity"), KINDS)
def test_malformed_json_is_400_and_changes_nothing(api: Api, path: str, entity: str) -> None:
    key = api.new_org()["api_key"]
    headers = {"Content-Type": "application/json"}

    response = api.call("POST", path, key, content=b'{"name": "Sales"', headers=headers)

    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")
    assert listed(api, key, path) == []
    assert audit(api, key, entity) == []


@pytest.mark.parametrize(
    ("path", "repo"), [("/v1/queues", QueueRepo), ("/v1/destinations", DestinationRepo)]
)
def test_a_name_taken_by_a_concurrent_request_is_still_409_not_500(
    api: Api, monkeypatch: pytest.MonkeyPatch, path: str, repo: type[NamedRepo[Any]]
) -> None:
    key = api.new_org()["api_key"]
    made = post(api, key, path, {"name": "Sales", "uri": "sip:a@pbx.example"})
    # The twin request passed the name check before this one wrote: the database decides.
    monkeypatch.setattr(repo, "by_name", lambda *_: None)

    response = api.call("POST", path, key, json={"name": "Sales", "uri": "sip:b@pbx.example"})

    assert (response.status_code, response.json()["code"]) == (409, "duplicate_name")
    assert listed(api, key, path) == [made]

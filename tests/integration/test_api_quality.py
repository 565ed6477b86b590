"""What every endpoint promises: problem documents, no 500s, health, metrics, roles documented."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import NullPool, create_engine, text

from numberdesk.api.app import create_app
from numberdesk.api.body_limit import MAX_BODY_BYTES
from numberdesk.api.problems import PROBLEM_JSON, ProblemOut
from numberdesk.api.schemas import NUL
from numberdesk.bootstrap import SchemaOutOfDate, build_desk
from numberdesk.services.desk import Desk
from numberdesk.store.db import normalise_url
from tests.conftest import Api, settings_for
from tests.integration.inbound_helpers import buy, inbound, set_route

JSON = {"Content-Type": "application/json"}


def test_malformed_json_gets_a_400_problem(api: Api) -> None:
    key = api.new_org()["api_key"]
    response = api.call(
        "POST", "/v1/users", key, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_json"
    assert set(body) >= {"type", "title", "status", "detail", "code"}


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\xff\xfe"}', b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"],
    ids=["not-utf8", "nested-too-deep"],
)
@pytest.mark.parametrize("path", ["/v1/users", "/v1/decisions/outbound"])
def test_a_body_that_cannot_be_read_gets_a_400_saying_how_to_send_it(
    api: Api, path: str, body: bytes
) -> None:
    key = api.new_org()["api_key"]
    response = api.call(
        "POST", path, key, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/v1/users", "/v1/decisions/outbound"])
def test_a_body_sent_without_the_json_content_type_is_told_to_send_it_as_json(
    api: Api, path: str
) -> None:
    """A PBX's HTTP client left to its default Content-Type, or sending nothing: the body is
    not read, and the problem says how to send it instead of that a dictionary was expected."""
    key = api.new_org()["api_key"]
    as_text = api.call(
        "POST", path, key, content=b'{"name": "A"}', headers={"Content-Type": "text/plain"}
    )
    empty = api.call("POST", path, key)
    for response in (as_text, empty):
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["body"]
        assert "Content-Type: application/json" in response.json()["detail"]
    assert "(it came as text/plain)" in as_text.json()["detail"]


@pytest.mark.parametrize("sent_in", ["one piece", "chunks"])
@pytest.mark.parametrize("path", ["/v1/users", "/v1/decisions/outbound"])
def test_a_body_past_the_limit_is_refused_with_413_and_changes_nothing(
    api: Api, path: str, sent_in: str
) -> None:
    """A valid body padded past 1 MiB: declared by Content-Length, or sent in chunks with no
    length (counted as it is read)."""
    key = api.new_org()["api_key"]
    before = api.audit_count(key)
    padded = _new_user_padded_to(MAX_BODY_BYTES + 1)
    content: Any = padded if sent_in == "one piece" else iter([padded[:65536], padded[65536:]])
    response = api.call("POST", path, key, content=content, headers=JSON)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "body_too_large"
    assert f"at most {MAX_BODY_BYTES:,} bytes" in response.json()["detail"]
    assert api.audit_count(key) == before


def test_a_body_of_exactly_the_limit_is_read(api: Api) -> None:
    key = api.new_org()["api_key"]
    at_limit = _new_user_padded_to(MAX_BODY_BYTES)
    assert api.call("POST", "/v1/users", key, content=at_limit, headers=JSON).status_code == 201


def _new_user_padded_to(length: int) -> bytes:
    """A valid body of ``POST /v1/users``, padded with spaces to ``length`` bytes."""
    body = b'{"name": "Aino", "email": "aino@example.com", "role": "agent"}'
    return body[:-1] + b" " * (length - len(body)) + b"}"


def test_unknown_and_missing_fields_name_the_field(api: Api) -> None:
    key = api.new_org()["api_key"]
    response = api.call("POST", "/v1/users", key, json={"name": "A", "colour": "red"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"colour", "email", "role"} <= fields


def test_unknown_path_is_a_problem_too(api: Api) -> None:
    response = api.call("GET", "/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_limit_outside_1_to_500_is_refused(api: Api) -> None:
    key = api.new_org()["api_key"]
    assert api.call("GET", "/v1/users?limit=0", key).status_code == 422
    assert api.call("GET", "/v1/users?limit=501", key).status_code == 422


def test_text_with_the_nul_character_is_refused_with_422_naming_the_field(api: Api) -> None:
    """PostgreSQL cannot store NUL; it was a 500 there. Refused alike on every database, in a
    body (however deep), a query or a path, and nothing changes."""
    key = api.new_org()["api_key"]
    user, _ = api.new_user(key, name="Aino")
    before = api.audit_count(key)
    sent = [
        ("POST", "/v1/users", {"name": "A\x00", "email": "a@example.com", "role": "agent"}, "name"),
        ("PATCH", f"/v1/users/{user['id']}", {"name": "Aino\x00"}, "name"),
        ("PATCH", "/v1/org", {"name": "\x00"}, "name"),
        ("POST", "/v1/groups", {"name": "Sales", "number_ids": ["num_\x00"]}, "number_ids"),
        ("GET", "/v1/users?cursor=usr_%00", None, "cursor"),
        ("GET", "/v1/destinations?cursor=%00abc&limit=5", None, "cursor"),
        ("GET", "/v1/users/usr_%00", None, "path"),
        ("GET", "/v1/users?%00limit=5", None, "query"),
    ]
    for method, path, body, field in sent:
        response = api.call(method, path, key, json=body)
        assert response.status_code == 422, (path, body, response.text)
        problem = response.json()
        assert field in {e["field"] for e in problem["errors"]}, problem
        assert not any(NUL in e["field"] for e in problem["errors"]), problem
        assert problem["errors"][0]["message"].startswith("must not contain the NUL"), problem
    assert api.audit_count(key) == before
    assert api.call("GET", f"/v1/users/{user['id']}", key).json()["name"] == "Aino"


def test_the_openapi_document_states_every_error_as_the_problem_document_sent(api: Api) -> None:
    """A client generated from /openapi.json reads errors as they come: problem documents,
    not FastAPI's validation-error schema, which the API never sends."""
    document = api.call("GET", "/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("4XX", "5XX"):
                content = operation["responses"][status]["content"]
                assert content == {PROBLEM_JSON: {"schema": problem}}, (method, path, status)
    key = api.new_org()["api_key"]
    sent = api.call("POST", "/v1/users", key, json={"name": "A", "colour": "red"})
    assert sent.headers["content-type"] == PROBLEM_JSON
    ProblemOut.model_validate(sent.json())
    required = set(document["components"]["schemas"]["Problem"]["required"])
    assert required == {"type", "title", "status", "detail", "code"}
    assert required <= set(sent.json())


def test_health_and_metrics(api: Api) -> None:
    assert api.call("GET", "/healthz").json() == {"status": "ok"}
    api.call("GET", "/v1/org")
    metrics = api.call("GET", "/metrics").text
    assert 'numberdesk_http_requests_total{method="GET",route="/v1/org",status="401"}' in metrics
    assert "numberdesk_http_request_seconds_bucket" in metrics


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_health_answers_while_another_request_is_writing(api: Api, desk: Desk) -> None:
    """A load balancer's health check does not queue behind a write on SQLite, whose one
    write lock an open transaction holds (PostgreSQL locks rows): the check answers."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        with desk.store.transaction() as writing:
            writing.orgs.get("org_none")  # the transaction is open: the write lock taken
            health = pool.submit(api.call, "GET", "/healthz").result(timeout=10)
    finally:
        pool.shutdown(wait=False)
    assert health.json() == {"status": "ok"}


def test_every_route_documents_the_role_it_needs(api: Api) -> None:
    spec = api.call("GET", "/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            text = operation.get("description", "")
            assert "Role:" in text or "Auth:" in text or "No auth" in text, (method, path)


def test_server_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    with pytest.raises(SchemaOutOfDate, match="numberdesk db upgrade"):
        build_desk(settings_for(f"sqlite:///{tmp_path}/empty.db"))


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_database_restart_costs_one_503_not_a_500(api: Api, database_url: str) -> None:
    """Pooled connections are not pinged before use (a round trip per decision): when the
    server dropped them, the request that finds out gets a 503 problem, and the next works."""
    created = api.new_org("Outage", "US")
    key = created["api_key"]
    assert api.call("GET", "/v1/numbers", key).status_code == 200
    _drop_every_connection(database_url)
    failed = api.call("GET", "/v1/numbers", key)
    assert failed.status_code == 503, failed.text
    assert failed.json()["code"] == "database_unavailable"
    assert api.call("GET", "/v1/numbers", key).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_database_restart_costs_a_decision_one_503_not_a_500(api: Api, database_url: str) -> None:
    """The outbound decision sends its statements on the driver's own connection, not through
    SQLAlchemy: a connection the server dropped is still a 503, and the next decision works."""
    created = api.new_org("Outage", "US")
    key, agent = created["api_key"], created["owner_user_id"]
    buy(api, key)
    body = {"agent_id": agent, "to": "+12125550100"}
    assert api.call("POST", "/v1/decisions/outbound", key, json=body).status_code == 200
    _drop_every_connection(database_url)
    failed = api.call("POST", "/v1/decisions/outbound", key, json=body)
    assert failed.status_code == 503, failed.text
    assert failed.json()["code"] == "database_unavailable"
    assert api.call("POST", "/v1/decisions/outbound", key, json=body).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_database_restart_costs_an_inbound_decision_one_503_not_a_500(
    api: Api, database_url: str
) -> None:
    """The inbound decision too sends its statements (the agent's presence, the call's
    record) on the driver's own connection: a dropped connection is a 503, nothing else."""
    created = api.new_org("Outage", "US")
    key, agent = created["api_key"], created["owner_user_id"]
    number = buy(api, key)
    set_route(api, key, number["id"], {"type": "agent", "agent_id": agent})
    assert inbound(api, key, number["e164"]).status_code == 200
    _drop_every_connection(database_url)
    failed = inbound(api, key, number["e164"])
    assert failed.status_code == 503, failed.text
    assert failed.json()["code"] == "database_unavailable"
    assert inbound(api, key, number["e164"]).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_server_that_shuts_down_closes_its_database_connections(database_url: str) -> None:
    """Its pooled connections and its event loop's pipeline end with it, so PostgreSQL does
    not count them against max_connections until the server notices them cut off."""
    served = build_desk(settings_for(database_url))
    with TestClient(create_app(served, owns_desk=True)) as client:
        api = Api(client)
        created = api.new_org("Closing", "US")
        key, agent = created["api_key"], created["owner_user_id"]
        buy(api, key)
        for to in ("+12125550100", "+12125550101"):  # the second on the loop's pipeline
            body = {"agent_id": agent, "to": to}
            assert api.call("POST", "/v1/decisions/outbound", key, json=body).status_code == 200
        while_serving = _connections_to(database_url)
    assert while_serving >= 2  # a pooled connection and the pipeline's at least
    assert _eventually(lambda: _connections_to(database_url) == 0)


def _connections_to(database_url: str) -> int:
    """The connections to the test's database other than the one asking."""
    return int(_as_admin(database_url, f"SELECT count(*) {_OTHER_CONNECTIONS}"))


def _eventually(holds: Callable[[], bool], within: float = 5.0) -> bool:
    """Whether ``holds`` comes true within ``within`` seconds (a server process ends a moment
    after its client closed the connection)."""
    deadline = time.monotonic() + within
    while not holds():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _drop_every_connection(database_url: str) -> None:
    """What a database restart does to the pool: every other connection is gone."""
    _as_admin(database_url, f"SELECT pg_terminate_backend(pid, 5000) {_OTHER_CONNECTIONS}")


_OTHER_CONNECTIONS = (
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _as_admin(database_url: str, sql: str) -> Any:
    """The first value ``sql`` returns, on a connection of its own (none of the app's)."""
    with create_engine(normalise_url(database_url), poolclass=NullPool).connect() as admin:
        return admin.execute(text(sql)).scalar()

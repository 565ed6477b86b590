"""A server process started on a test's database beside the test's own (the warm-up and the
index refresher run in served processes only), and the orgs and calls those tests use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from numberdesk.api.app import create_app
from numberdesk.bootstrap import build_desk
from numberdesk.domain.callerid_index import Pool
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import key_of
from numberdesk.store.pool_copies import PoolCopies
from tests.conftest import Api, settings_for
from tests.integration.inbound_helpers import buy


def new_org(api: Api, name: str, numbers: int) -> dict[str, Any]:
    """An org with ``numbers`` numbers in New York; its owner shows the first."""
    created = api.new_org(name, "US")
    key = created["api_key"]
    bought = [buy(api, key, area_code="212") for _ in range(numbers)]
    owner = created["owner_user_id"]
    api.call("PATCH", f"/v1/users/{owner}", key, json={"caller_id": bought[0]["e164"]})
    return {
        "org_id": created["org_id"],
        "key": key,
        "owner": owner,
        "e164": bought[0]["e164"],
        "numbers": [n["e164"] for n in bought],
        "number_ids": [n["id"] for n in bought],
    }


@contextmanager
def served(desk: Desk, database_url: str, **overrides: Any) -> Iterator[tuple[Api, Desk]]:
    """A server process starting on the test's database (its own indexes, none built yet)."""
    process = build_desk(settings_for(database_url, **overrides))
    process.clock = desk.clock
    try:
        with TestClient(create_app(process), raise_server_exceptions=False) as client:
            yield Api(client), process
    finally:
        process.close()


def held_indexes(process: Desk, org_id: str) -> tuple[object, object]:
    """The org's outbound and inbound indexes the process holds (None: not built)."""
    return process.snapshots.get(org_id), process.snapshots.get(key_of(org_id))


def decide(api: Api, org: dict[str, Any]) -> Any:
    """An outbound decision for the org's owner."""
    body = {"agent_id": org["owner"], "to": "+12125550100"}
    return api.call("POST", "/v1/decisions/outbound", org["key"], json=body)


def picking_in_new_york(api: Api, process_api: Api) -> tuple[dict[str, Any], dict[str, str]]:
    """An org of three New York numbers and an outbound call its pool picks for (the agent has
    no caller ID), made once through ``process_api`` so that the 212 pool is copied; the org,
    and the call's body."""
    org = new_org(api, "Acme", 3)
    agent, _ = api.new_user(org["key"])
    body = {"agent_id": agent["id"], "to": "+12125550100"}
    first = process_api.call("POST", "/v1/decisions/outbound", org["key"], json=body)
    assert first.json()["step"] == "local_presence"
    return org, body


def rest(api: Api, org: dict[str, Any], number_id: str) -> None:
    """Rest one of the org's numbers by hand (O6)."""
    answer = api.call("POST", f"/v1/numbers/{number_id}/rest", org["key"])
    assert answer.status_code == 200, answer.text


def new_york_pool(process: Desk, org_id: str) -> Pool:
    """The 212 pool of the caller-ID index the process holds."""
    index = process.snapshots.get(org_id)
    assert isinstance(index, Indexed)
    return index.snapshot.by_area_code[("US", "212")]


def copied_new_york_pool(desk: Desk, org_id: str) -> str | None:
    """The fingerprint the 212 pool's copy in the database was made with."""
    with desk.store.transaction() as tx:
        return PoolCopies(tx.conn).fingerprints(org_id)["local:US:212"]

"""A served process warms its call-path indexes when it starts (the call path answers in
milliseconds, O1 and I1: not after an index build of 17 s at a million numbers), and
says when it is ready for calls (``GET /readyz``)."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from numberdesk.api.app import create_app
from numberdesk.bootstrap import build_desk
from numberdesk.services import warmup
from numberdesk.services.callerid import warm_outbound_index
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import InboundIndex
from tests.conftest import Api, settings_for
from tests.integration.inbound_helpers import inbound
from tests.integration.served import (
    copied_new_york_pool,
    decide,
    held_indexes,
    new_org,
    new_york_pool,
    picking_in_new_york,
    rest,
    served,
)


@pytest.fixture
def orgs(api: Api) -> list[dict[str, Any]]:
    """Two orgs, the bigger one made first."""
    return [new_org(api, "Big", 3), new_org(api, "Small", 1)]


def eventually_ready(api: Api, within: float = 10.0) -> dict[str, Any]:
    """The first 200 of ``GET /readyz`` within ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        answer = api.call("GET", "/readyz")
        if answer.status_code == 200 or time.monotonic() > deadline:
            assert answer.status_code == 200, answer.json()
            body: dict[str, Any] = answer.json()
            return body
        time.sleep(0.02)


def test_a_started_process_warms_every_orgs_indexes_so_no_call_waits_for_one(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]]
) -> None:
    with served(desk, database_url, warm_indexes=True) as (api, process):
        readiness = eventually_ready(api)
        assert (readiness["status"], readiness["orgs"], readiness["warmed"]) == ("ready", 2, 2)
        assert readiness["failed"] == 0
        metrics = api.call("GET", "/metrics").text  # what the operator sees
        for line in ("warmup_ready 1.0", "warmup_warmed 2.0", "warmup_failed 0.0"):
            assert f"numberdesk_{line}" in metrics
        assert 'numberdesk_call_path_indexes{index="inbound"} 2.0' in metrics
        assert readiness["seconds"] >= 0
        for org in orgs:
            outbound, incoming = held_indexes(process, org["org_id"])
            assert isinstance(outbound, Indexed)
            assert isinstance(incoming, InboundIndex)
            answer = decide(api, org)
            assert (answer.status_code, answer.json()["caller_id"]) == (200, org["e164"])
            assert inbound(api, org["key"], org["e164"]).status_code == 200
            assert held_indexes(process, org["org_id"]) == (outbound, incoming)  # none rebuilt


def before_each_org(monkeypatch: pytest.MonkeyPatch, before: Callable[[str], None]) -> None:
    """Make the warm-up call ``before(org_id)`` as it begins each org."""

    def warm(process: Desk, org_id: str) -> None:
        before(org_id)
        warm_outbound_index(process, org_id)

    monkeypatch.setattr(warmup, "warm_outbound_index", warm)


def blocking(
    monkeypatch: pytest.MonkeyPatch, until: threading.Event
) -> tuple[list[str], threading.Event]:
    """Make the warm-up wait for ``until`` as it begins each org; the org ids it has begun,
    in order, and an event set when the first has begun."""
    begun: list[str] = []
    first = threading.Event()

    def waiting(org_id: str) -> None:
        begun.append(org_id)
        first.set()
        until.wait(10)

    before_each_org(monkeypatch, waiting)
    return begun, first


def test_readiness_says_warming_up_until_every_org_is_warm_smallest_org_first(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()
    begun, first = blocking(monkeypatch, go)
    with served(desk, database_url, warm_indexes=True) as (api, _process):
        assert first.wait(10)
        waiting = api.call("GET", "/readyz")
        assert (waiting.status_code, waiting.json()["code"]) == (503, "warming_up")
        assert "0 of 2 orgs so far" in waiting.json()["detail"]
        assert api.call("GET", "/healthz").status_code == 200  # alive all the same
        go.set()
        assert eventually_ready(api)["warmed"] == 2
    assert begun == [orgs[1]["org_id"], orgs[0]["org_id"]]  # the small one first


def test_a_call_during_the_warm_up_is_answered_on_the_index_it_builds_itself(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()
    _begun, first = blocking(monkeypatch, go)
    with served(desk, database_url, warm_indexes=True) as (api, process):
        assert first.wait(10)  # the warm-up holds the small org; the big one waits its turn
        big = orgs[0]
        assert decide(api, big).json()["caller_id"] == big["e164"]
        built = process.snapshots.get(big["org_id"])
        go.set()
        eventually_ready(api)
        assert process.snapshots.get(big["org_id"]) is built  # found current, not rebuilt


def failing_for(monkeypatch: pytest.MonkeyPatch, org_id: str) -> None:
    """Make the warm-up of ``org_id`` fail as a lost database would."""

    def failing(warmed: str) -> None:
        if warmed == org_id:
            raise ConnectionError("the database went away")

    before_each_org(monkeypatch, failing)


def test_an_org_whose_warm_up_fails_is_left_to_its_first_call(
    desk: Desk,
    database_url: str,
    orgs: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    big, small = orgs
    failing_for(monkeypatch, big["org_id"])
    with served(desk, database_url, warm_indexes=True) as (api, process):
        readiness = eventually_ready(api)
        assert (readiness["warmed"], readiness["failed"]) == (2, 1)
        assert held_indexes(process, big["org_id"]) == (None, None)
        assert isinstance(held_indexes(process, small["org_id"])[0], Indexed)
        assert decide(api, big).json()["caller_id"] == big["e164"]
    assert f"warm-up of org {big['org_id']} failed" in caplog.text


def test_a_process_shutting_down_stops_its_warm_up_after_the_org_under_way(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()
    begun, first = blocking(monkeypatch, go)
    with served(desk, database_url, warm_indexes=True) as (api, process):
        assert first.wait(10)
        stopping = api.client.app.state.warmup.stop  # type: ignore[attr-defined]

        def end_once_stopping() -> None:  # the org under way ends as the process shuts down
            stopping.wait(10)
            go.set()

        threading.Thread(target=end_once_stopping).start()
    assert begun == [orgs[1]["org_id"]]  # the big org was never begun
    assert held_indexes(process, orgs[0]["org_id"]) == (None, None)


def test_a_started_process_copies_again_the_pools_changed_while_it_was_down_o5(
    api: Api, desk: Desk, database_url: str
) -> None:
    org, _ = picking_in_new_york(api, api)  # this process copies the pool
    rest(api, org, org["number_ids"][1])  # now its copy is out of date
    stale = copied_new_york_pool(desk, org["org_id"])
    with served(desk, database_url, warm_indexes=True) as (on_pbx, process):
        eventually_ready(on_pbx)
        fingerprint = new_york_pool(process, org["org_id"]).fingerprint
        assert copied_new_york_pool(desk, org["org_id"]) == fingerprint != stale


def test_with_warm_indexes_off_a_process_is_ready_at_once_and_builds_on_first_calls(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]]
) -> None:
    with served(desk, database_url, warm_indexes=False) as (api, process):
        readiness = api.call("GET", "/readyz")
        assert readiness.status_code == 200
        assert readiness.json() == {
            "status": "ready",
            "orgs": None,
            "warmed": None,
            "failed": None,
            "seconds": None,
        }
        assert held_indexes(process, orgs[0]["org_id"]) == (None, None)
        assert decide(api, orgs[0]).status_code == 200


def test_readiness_is_refused_while_the_database_does_not_answer(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with served(desk, database_url, warm_indexes=True) as (api, process):
        eventually_ready(api)
        monkeypatch.setattr(process.store, "ping", lambda: False)
        refused = api.call("GET", "/readyz")
        assert (refused.status_code, refused.json()["code"]) == (503, "database_unavailable")


def test_a_worker_sharing_its_port_takes_calls_only_once_its_indexes_are_warm(
    desk: Desk, database_url: str, orgs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()
    begun, _first = blocking(monkeypatch, go)
    threading.Timer(0.3, go.set).start()  # the warm-up holds each org until then
    with served(desk, database_url, warm_indexes=True, workers=2) as (api, process):
        assert go.is_set()  # it did not start serving while it was warming
        readiness = api.call("GET", "/readyz")  # its very first answer
        assert (readiness.status_code, readiness.json()["warmed"]) == (200, 2)
        for org in orgs:
            outbound, incoming = held_indexes(process, org["org_id"])
            assert isinstance(outbound, Indexed)
            assert isinstance(incoming, InboundIndex)
    assert len(begun) == 2


def test_a_worker_told_to_stop_while_it_warms_stops_waiting_and_passes_the_signal_on(
    database_url: str, orgs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    go = threading.Event()
    begun, first = blocking(monkeypatch, go)
    heard: list[int] = []

    def server_handler(sig: int, _frame: object) -> None:  # the server's own, as uvicorn's
        heard.append(sig)

    worker = build_desk(settings_for(database_url, warm_indexes=True, workers=2))
    app = create_app(worker)

    async def start_then_stop() -> float:
        async with app.router.lifespan_context(app):
            started = time.monotonic()
            assert signal.getsignal(signal.SIGTERM) is server_handler  # given back
            go.set()  # the org under way ends as the process shuts down
        return started

    async def seconds_to_start_once_told_to_stop() -> float:
        starting = asyncio.create_task(start_then_stop())
        assert await asyncio.to_thread(first.wait, 10)
        told = time.monotonic()
        signal.raise_signal(signal.SIGTERM)
        return await starting - told

    previous = signal.signal(signal.SIGTERM, server_handler)
    try:
        assert asyncio.run(seconds_to_start_once_told_to_stop()) < 2  # not after the org's 10 s
    finally:
        signal.signal(signal.SIGTERM, previous)
        go.set()
        worker.close()
    assert heard == [signal.SIGTERM]
    assert app.state.warmup.stop.is_set()
    assert begun == [orgs[1]["org_id"]]  # the big org was never begun

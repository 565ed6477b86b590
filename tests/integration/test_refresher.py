"""A served process keeps its call-path indexes current in the background (rule A3: every
process follows the configuration as it stands; O1 and I1: the call after a change answers in
milliseconds, not after its process refreshed the index, or built it whole past 10,000
changes). Changes here are made through the test's own process, as another server would."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from numberdesk.services import refresher
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import InboundIndex
from numberdesk.store.orgs import OrgRepo
from numberdesk.store.pool_copies import PoolCopies
from tests.conftest import Api
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

EVERY = 0.02  # seconds between the served process's looks


def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until ``check()`` holds, at most ``within`` seconds."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(EVERY)


def refresher_of(api: Api) -> refresher.Refresher:
    """The served process's refresher."""
    found: refresher.Refresher = api.client.app.state.refresher  # type: ignore[attr-defined]
    return found


def looks_more(api: Api, looks: int = 3) -> None:
    """Wait until the refresher has looked ``looks`` more times."""
    start = refresher_of(api).looks
    eventually(lambda: refresher_of(api).looks >= start + looks)


def version_of(desk: Desk, org_id: str) -> int | None:
    """The org's config version now."""
    with desk.store.transaction() as tx:
        return tx.orgs.config_version(org_id)


def show_number(api: Api, org: dict[str, Any], e164: str) -> None:
    """Make the org's owner show ``e164`` (an agent card change, followed by both indexes)."""
    answer = api.call("PATCH", f"/v1/users/{org['owner']}", org["key"], json={"caller_id": e164})
    assert answer.status_code == 200, answer.text


def test_a_change_made_elsewhere_is_refreshed_before_the_next_call_needs_it_a3(
    api: Api, desk: Desk, database_url: str
) -> None:
    org = new_org(api, "Acme", 2)
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, process):
        assert decide(on_pbx, org).json()["caller_id"] == org["e164"]
        assert inbound(on_pbx, org["key"], org["e164"]).status_code == 200
        show_number(api, org, org["numbers"][1])
        version = version_of(desk, org["org_id"])

        def both_current() -> bool:
            outbound, incoming = held_indexes(process, org["org_id"])
            assert isinstance(outbound, Indexed)
            assert isinstance(incoming, InboundIndex)
            return outbound.version == incoming.version == version

        eventually(both_current)
        refreshed = held_indexes(process, org["org_id"])
        assert decide(on_pbx, org).json()["caller_id"] == org["numbers"][1]
        assert held_indexes(process, org["org_id"]) == refreshed  # the call found it current
        assert refresher_of(on_pbx).refreshed == 2
        metrics = on_pbx.call("GET", "/metrics").text  # what the operator sees
        assert "numberdesk_index_refreshes_total 2.0" in metrics
        assert 'numberdesk_call_path_indexes{index="outbound"} 1.0' in metrics
        assert 'numberdesk_call_path_indexes{index="inbound"} 1.0' in metrics
        assert "numberdesk_index_refresher_failing_orgs 0.0" in metrics


def test_a_pool_a_change_touches_is_copied_again_before_the_next_call_picks_from_it_o5(
    api: Api, desk: Desk, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, process):
        org, body = picking_in_new_york(api, on_pbx)
        rested = org["number_ids"][1]
        rest(api, org, rested)

        def copy_is_current() -> bool:
            pool = new_york_pool(process, org["org_id"])
            resting = pool.members[rested].rested_until is not None
            return resting and copied_new_york_pool(desk, org["org_id"]) == pool.fingerprint

        eventually(copy_is_current)
        copies: list[str] = []
        monkeypatch.setattr(PoolCopies, "copy", lambda _, org_id, key, pool: copies.append(key))
        for _ in range(2):
            answer = on_pbx.call("POST", "/v1/decisions/outbound", org["key"], json=body)
            assert answer.json()["number_id"] != rested
        assert copies == []  # no call copied the pool: it was current


def test_the_refresher_builds_no_index_and_leaves_current_ones_alone(
    api: Api, desk: Desk, database_url: str
) -> None:
    called, quiet = new_org(api, "Called", 1), new_org(api, "Quiet", 2)
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, process):
        assert decide(on_pbx, called).status_code == 200
        held = process.snapshots.get(called["org_id"])
        show_number(api, quiet, quiet["numbers"][1])  # an org this process never needed
        looks_more(on_pbx)
        assert process.snapshots.get(called["org_id"]) is held
        assert held_indexes(process, quiet["org_id"]) == (None, None)
        assert refresher_of(on_pbx).refreshed == 0


def test_a_refresh_that_fails_is_logged_once_and_left_to_the_next_call(
    api: Api,
    desk: Desk,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def lost(process: Desk, org_id: str) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(refresher, "warm_outbound_index", lost)
    org = new_org(api, "Acme", 2)
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, _process):
        assert decide(on_pbx, org).status_code == 200
        show_number(api, org, org["numbers"][1])
        eventually(lambda: org["org_id"] in refresher_of(on_pbx).failing)
        looks_more(on_pbx)
        assert "numberdesk_index_refresher_failing_orgs 1.0" in on_pbx.call("GET", "/metrics").text
        assert decide(on_pbx, org).json()["caller_id"] == org["numbers"][1]
    assert caplog.text.count(f"org {org['org_id']} could not be refreshed") == 1


def test_a_refresh_cut_off_by_the_process_shutting_down_is_not_logged_as_a_failure(
    api: Api,
    desk: Desk,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    begun = threading.Event()
    org = new_org(api, "Acme", 2)
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, _process):
        stopping = refresher_of(on_pbx).stop

        def cut_off(process: Desk, org_id: str) -> None:
            begun.set()
            stopping.wait(10)
            raise ConnectionError("the pool was closed")

        monkeypatch.setattr(refresher, "warm_outbound_index", cut_off)
        assert decide(on_pbx, org).status_code == 200
        show_number(api, org, org["numbers"][1])
        assert begun.wait(10)
    assert "could not be refreshed" not in caplog.text


def test_while_the_orgs_cannot_be_read_the_refresher_says_so_once_and_again_when_they_can(
    api: Api,
    desk: Desk,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    versions = OrgRepo.config_versions

    def unreadable(repo: OrgRepo) -> dict[str, int]:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(OrgRepo, "config_versions", unreadable)
    caplog.set_level(logging.INFO, "numberdesk.refresher")
    org = new_org(api, "Acme", 2)
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, process):
        assert decide(on_pbx, org).status_code == 200
        eventually(lambda: refresher_of(on_pbx).database_lost)
        looks_more(on_pbx)
        assert "numberdesk_index_refresher_database_lost 1.0" in on_pbx.call("GET", "/metrics").text
        monkeypatch.setattr(OrgRepo, "config_versions", versions)
        show_number(api, org, org["numbers"][1])
        version = version_of(desk, org["org_id"])
        eventually(lambda: getattr(process.snapshots.get(org["org_id"]), "version", 0) == version)
    assert caplog.text.count("config versions could not be read") == 1
    assert caplog.text.count("config versions are read again") == 1


def test_a_process_stops_its_refresher_when_it_shuts_down_and_runs_none_when_told_0(
    desk: Desk, database_url: str
) -> None:
    with served(desk, database_url, index_refresh_seconds=EVERY) as (on_pbx, _process):
        running = refresher_of(on_pbx)
        assert running.thread is not None
        assert running.thread.is_alive()
    assert not running.thread.is_alive()
    with served(desk, database_url, index_refresh_seconds=0) as (on_pbx, _process):
        assert on_pbx.client.app.state.refresher is None  # type: ignore[attr-defined]


def builds_shown(api: Api) -> dict[str, float]:
    """What ``/metrics`` says of the process's index builds, by metric and kind."""
    lines = api.call("GET", "/metrics").text.splitlines()
    shown = {}
    for line in lines:
        if line.startswith(("numberdesk_index_builds_total", "numberdesk_index_build_seconds")):
            name, value = line.rsplit(" ", 1)
            shown[name] = float(value)
    return shown


def test_metrics_count_every_index_build_and_refresh_a_call_waited_for_too(
    api: Api, desk: Desk, database_url: str
) -> None:
    org = new_org(api, "Acme", 2)
    with served(desk, database_url, index_refresh_seconds=0) as (on_pbx, _process):
        assert decide(on_pbx, org).status_code == 200  # the call builds its index
        show_number(api, org, org["numbers"][1])  # a change another process makes
        assert decide(on_pbx, org).json()["caller_id"] == org["numbers"][1]  # refreshed by it
        shown = builds_shown(on_pbx)
    outbound = '{index="outbound"}'
    assert shown[f"numberdesk_index_builds_total{outbound}"] == 2
    assert shown['numberdesk_index_builds_total{index="inbound"}'] == 0
    assert shown[f"numberdesk_index_build_seconds_total{outbound}"] > 0

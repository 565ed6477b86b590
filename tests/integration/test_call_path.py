"""How the call path's decisions run: on the API's event loop while the org's index is
current, in a worker thread while it is built (``api/call_path.py``, rules O3 and I1), and
with commits that do not wait for the disk on PostgreSQL unless configured to
(``store/db.make_call_path_engine``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

import pytest
from sqlalchemy import func, literal, select

from numberdesk.bootstrap import build_desk
from numberdesk.domain.errors import Unavailable
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import callerid, inbound
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import IndexNotReady
from numberdesk.store.db import prepared_rows
from numberdesk.store.schema import caller_id_pools, numbers
from numberdesk.store.uow import Transaction
from tests.conftest import Api, settings_for
from tests.integration.helpers import post
from tests.integration.inbound_helpers import CALLER, INBOUND, buy, company_team, count, set_route
from tests.integration.inbound_helpers import inbound as ask_inbound

OUTBOUND = "/v1/decisions/outbound"


def new_org_with_a_number(api: Api, name: str) -> tuple[dict[str, str], dict[str, Any]]:
    """An org and one New York number routed to its owner."""
    org = api.new_org(name, "US")
    number = buy(api, org["api_key"])
    set_route(
        api, org["api_key"], number["id"], {"type": "agent", "agent_id": org["owner_user_id"]}
    )
    return org, number


def decision(api: Api, path: str, org: dict[str, str], number: dict[str, Any]) -> Any:
    """Ask ``path``: an outbound call by the org's owner to a New York callee, or an inbound
    call to the org's number."""
    if path == INBOUND:
        return ask_inbound(api, org["api_key"], number["e164"])
    body = {"agent_id": org["owner_user_id"], "to": "+12125550123"}
    return api.call("POST", OUTBOUND, org["api_key"], json=body)


def calls_recorded(desk: Desk) -> tuple[int, int]:
    """How many outbound and inbound calls are recorded."""
    return count(desk, "outbound_calls"), count(desk, "inbound_calls")


@pytest.mark.parametrize("path", [OUTBOUND, INBOUND])
def test_a_decision_without_a_valid_api_key_is_refused_with_nothing_recorded_a1(
    api: Api, desk: Desk, path: str
) -> None:
    """The call path's routes read the key themselves (``api/call_path.caller``): no key, a
    key of the wrong scheme, a key numberdesk never issued and a key one character off all get
    401, and the header is documented as on every other route."""
    org, number = new_org_with_a_number(api, "Keys")
    body = {"agent_id": org["owner_user_id"], "to": "+12125550123"}
    if path == INBOUND:
        body = {"to": number["e164"], "from": CALLER}
    refusals = [
        ({}, "missing_api_key"),
        ({"Authorization": f"Basic {org['api_key']}"}, "missing_api_key"),
        ({"Authorization": "Bearer nd.org_none.nothing"}, "invalid_api_key"),
        ({"Authorization": f"Bearer {org['api_key']}x"}, "invalid_api_key"),
    ]
    for headers, code in refusals:
        refused = api.call("POST", path, json=body, headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.json()["code"] == code
    assert calls_recorded(desk) == (0, 0)
    spec = api.call("GET", "/openapi.json").json()
    documented = spec["paths"][path]["post"]["parameters"]
    assert [(p["name"], p["in"]) for p in documented] == [("authorization", "header")]
    assert decision(api, path, org, number).status_code == 200


@pytest.mark.parametrize(
    ("service", "path"), [(callerid, OUTBOUND), (inbound, INBOUND)], ids=["o3", "i1"]
)
def test_one_org_rebuilding_its_index_does_not_hold_up_another_orgs_calls(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch, service: Any, path: str
) -> None:
    """A build takes seconds at a million numbers; it runs in a worker thread while the event
    loop goes on answering: other requests and, on PostgreSQL, the other orgs' calls from their
    current indexes (on SQLite they wait for the database's one write lock, which the build
    holds), however many calls wait for the build (they may not take every connection)."""
    slow, slow_number = new_org_with_a_number(api, "Slow")
    busy, busy_number = new_org_with_a_number(api, "Busy")
    warm = decision(api, path, busy, busy_number)
    assert warm.status_code == 200, warm.text  # Busy's index is built and current
    postgres = not desk.store.one_writer_at_a_time
    building, release, built = threading.Event(), threading.Event(), threading.Event()
    build = service.current_index

    def slow_build(*args: Any) -> Any:
        building.set()
        release.wait(30)  # the build of a big org, until the test has asked what it asks
        built.set()
        return build(*args)

    with monkeypatch.context() as patched, ThreadPoolExecutor(max_workers=13) as pool:
        patched.setattr(service, "current_index", slow_build)
        waiting = [pool.submit(decision, api, path, slow, slow_number) for _ in range(12)]
        assert building.wait(10)
        time.sleep(0.5)  # the other 11 calls arrive and wait for the build
        served = api.call("GET", "/openapi.json")  # the loop answers, the database aside
        served_during_the_build = not built.is_set()
        if postgres:
            other = decision(api, path, busy, busy_number)
        else:  # it waits for the build's write lock
            later = pool.submit(decision, api, path, busy, busy_number)
            time.sleep(0.5)
            assert not later.done()
        other_during_the_build = not built.is_set()
        release.set()
        other = other if postgres else later.result()
        slow_answers = {w.result().status_code for w in waiting}
    assert (served.status_code, other.status_code, slow_answers) == (200, 200, {200})
    assert (served_during_the_build, other_during_the_build) == (True, True)


def test_a_decision_that_may_not_build_the_index_refuses_before_recording_anything_o3_i1(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    """What the event loop asks (``rebuild=False``): a process without the org's index, or
    with one a configuration change left out of date, is refused with nothing recorded; once
    a decision built it, the same question is answered."""
    org, number = new_org_with_a_number(api, "Fresh")
    owner = Actor(org["org_id"], org["owner_user_id"], Role.OWNER)

    def both(rebuild: bool) -> tuple[str, str]:
        out = callerid.decide_outbound(
            other_process, owner, agent_id=owner.user_id, to="+12125550123", rebuild=rebuild
        )
        into = inbound.decide_inbound(
            other_process, owner, to=number["e164"], caller="+13055550142", rebuild=rebuild
        )
        return out.number.e164, into.decision.action

    def both_refused() -> None:
        with pytest.raises(IndexNotReady):
            callerid.decide_outbound(
                other_process, owner, agent_id=owner.user_id, to="+12125550123", rebuild=False
            )
        with pytest.raises(IndexNotReady):
            inbound.decide_inbound(
                other_process, owner, to=number["e164"], caller=None, rebuild=False
            )

    both_refused()
    assert calls_recorded(desk) == (0, 0)
    built = both(rebuild=True)
    assert built[0] == number["e164"]
    assert both(rebuild=False) == built
    assert calls_recorded(desk) == (2, 2)
    renamed = api.call("PATCH", f"/v1/users/{owner.user_id}", org["api_key"], json={"name": "O"})
    assert renamed.status_code == 200, renamed.text  # a configuration change
    both_refused()
    assert calls_recorded(desk) == (2, 2)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_call_path_commits_do_not_wait_for_the_disk_unless_configured(
    desk: Desk, database_url: str
) -> None:
    """On PostgreSQL a decision's commit returns before its WAL is flushed (a crash of the
    database server can lose its last 0.6 s of decisions); every other write keeps the
    server's setting, and ``NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT=on`` gives it decisions
    too."""

    def synchronous_commit(of: Desk) -> tuple[str, str]:
        with of.store.call_path() as tx:
            call_path = tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()
        with of.store.transaction() as tx:
            other = tx.conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()
        return str(call_path), str(other)

    call_path, server = synchronous_commit(desk)
    assert call_path == "off"
    assert server != "off"  # the server's own setting, which every other write keeps
    durable = build_desk(settings_for(database_url, call_path_synchronous_commit=True))
    try:
        assert synchronous_commit(durable) == (server, server)
    finally:
        durable.close()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_statement_that_fails_inside_a_decisions_transaction_costs_a_503_not_a_500(
    desk: Desk,
) -> None:
    """A deadlock or a cancelled statement is not a lost connection: the transaction is rolled
    back on the same connection (it was marked lost, and the rollback then raised SQLAlchemy's
    PendingRollbackError, a 500), the store answers 503, and the connection serves on."""

    def cancelled() -> None:
        with desk.store.call_path() as tx, tx.atomic():
            tx.conn.exec_driver_sql("SET LOCAL statement_timeout = '1ms'")
            prepared_rows(tx.conn, select(func.pg_sleep(0.05)), {})

    with pytest.raises(Unavailable):
        cancelled()
    with desk.store.call_path() as tx:
        assert prepared_rows(tx.conn, select(literal(7)), {}) == [(7,)]
        assert tx.conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "0"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_decision_that_may_not_wait_does_not_queue_behind_a_held_company_number_i10(
    api: Api, desk: Desk
) -> None:
    """A call to a company number locks the number's row to count it against the call limit
    (I10). While another transaction holds that row, a decision on the event loop gives up its
    turn after a moment, with nothing recorded, and is answered in a worker thread instead."""
    team = company_team(api, size=1)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    number = team["number"]

    def call(**options: Any) -> str:
        answer = inbound.decide_inbound(desk, owner, to=number["e164"], caller=CALLER, **options)
        return answer.decision.action.value

    assert call() == "ring"  # the index is built
    before = count(desk, "inbound_calls")
    with desk.store.engine.begin() as holding:  # another decision's, or an admin's, transaction
        mine = (numbers.c.org_id == team["org_id"]) & (numbers.c.id == number["id"])
        assert holding.execute(select(numbers.c.id).where(mine).with_for_update()).all()
        with pytest.raises(IndexNotReady):
            call(rebuild=False)
    assert count(desk, "inbound_calls") == before
    assert call(rebuild=False) == "ring"  # the row is free again
    assert count(desk, "inbound_calls") == before + 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_call_path_plans_read_by_index_however_small_a_table_was_when_planned_o5(
    desk: Desk,
) -> None:
    """A prepared statement keeps the plan the server made for it; one made while
    ``pool_numbers`` was nearly empty would scan the whole table on every decision as it grows.
    The call path's sessions plan with indexes; every other session keeps the server's
    setting."""

    def table_scans(unit: Callable[[], AbstractContextManager[Transaction]]) -> str:
        with unit() as tx:
            return str(tx.conn.exec_driver_sql("SHOW enable_seqscan").scalar_one())

    assert table_scans(desk.store.call_path) == "off"
    assert table_scans(desk.store.transaction) == "on"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_call_path_statements_are_planned_once_not_for_every_decision_o5_i2(
    api: Api, database_url: str
) -> None:
    """Left to itself, the server plans a prepared statement for each of its first runs, and
    for every run after when one plan for all never looks cheap enough: at a million numbers
    the inbound read was planned again for every decision. The call path's statements are
    planned once each, for all their runs, outbound and inbound alike."""
    team = company_team(api, size=2)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 2}
    post(api, team["key"], "/v1/number-orders", order)
    alone = build_desk(settings_for(database_url))  # one connection: the one asked below
    try:
        for n in range(8):
            inbound.decide_inbound(alone, owner, to=team["number"]["e164"], caller=CALLER)
            to = f"+1212555{n:04d}"
            callerid.decide_outbound(alone, owner, agent_id=owner.user_id, to=to)
        with alone.store.call_path() as tx:
            plans = tx.conn.exec_driver_sql(
                "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
            ).all()
    finally:
        alone.close()
    assert len(plans) >= 3, plans  # the inbound read and write, the outbound pick
    assert all(custom == 0 and generic > 0 for _, generic, custom in plans), plans


def test_a_decision_that_may_not_wait_leaves_renewing_a_pools_copy_to_a_worker_thread_o5(
    api: Api, desk: Desk
) -> None:
    """A pool's numbers are copied for its picks once per configuration (seconds for a pool of
    thousands): a decision on the event loop that finds the copy out of date refuses with
    nothing recorded, and the decision in a worker thread renews it and picks the new number."""
    org = api.new_org("Pools", "US")
    owner = Actor(org["org_id"], org["owner_user_id"], Role.OWNER)
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 2}
    post(api, org["api_key"], "/v1/number-orders", order)
    buy(api, org["api_key"], area_code="305")

    def call(to: str, **options: Any) -> str:
        answer = callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to=to, **options)
        return answer.number.e164

    call("+12125550100")
    call("+12125550101")  # both New York numbers used once; their pool is copied
    added = buy(api, org["api_key"])
    call("+13055550100", dry_run=True)  # builds the index: one Miami number, no pool, no copy
    call("+13055550101", dry_run=True, rebuild=False)  # the index is current
    before = count(desk, "outbound_calls")
    with pytest.raises(IndexNotReady):
        call("+12125550102", rebuild=False)
    assert count(desk, "outbound_calls") == before
    assert call("+12125550102") == added["e164"]  # the pool renewed: its least used number


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_decision_that_may_not_wait_does_not_queue_behind_a_pool_being_copied_o5(
    api: Api, desk: Desk
) -> None:
    """While another decision holds a pool's row (renewing its copy: seconds for a big pool),
    a decision on the event loop gives up its turn after a moment, with nothing recorded, and
    is answered in a worker thread instead; the pool's own picks queue as before (O5)."""
    org = api.new_org("Queue", "US")
    owner = Actor(org["org_id"], org["owner_user_id"], Role.OWNER)
    order = {"country": "US", "area_code": "212", "kind": "voice", "quantity": 2}
    post(api, org["api_key"], "/v1/number-orders", order)

    callees = iter(range(100, 200))

    def call(**options: Any) -> str:
        to = f"+12125550{next(callees)}"  # a new callee each time: no sticky number, a pick
        answer = callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to=to, **options)
        return answer.call_id

    call()  # the index is built and the pool copied
    before = count(desk, "outbound_calls")
    with desk.store.engine.begin() as holding:  # another decision's connection
        held = caller_id_pools.c.org_id == org["org_id"]
        locked = holding.execute(select(caller_id_pools.c.pool).where(held).with_for_update())
        assert locked.all(), "the pool's row"
        with pytest.raises(IndexNotReady):
            call(rebuild=False)
    assert count(desk, "outbound_calls") == before
    call(rebuild=False)  # the row is free again
    assert count(desk, "outbound_calls") == before + 1

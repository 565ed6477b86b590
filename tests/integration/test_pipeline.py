"""Decisions on the event loop, their statements on the loop's one pipelined connection
(``store/pipeline``; ``decide_outbound_on_loop``, ``decide_inbound_on_loop``): each gets its
own answer, a failure spoils nothing sent with it, a lost connection costs a 503 and is made
again, pools stay even across processes (O5) and company numbers keep their limit (I10)."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, select, text

from numberdesk.domain.errors import Conflict, Problem, Unavailable
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import callerid, inbound
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import IndexNotReady
from tests.conftest import Api
from tests.integration.inbound_helpers import agent, company_team, count, set_route
from tests.integration.inbound_helpers import buy as buy_one
from tests.integration.test_callerid import buy

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]
T = TypeVar("T")


def org_with_numbers(api: Api, desk: Desk, quantity: int) -> Actor:
    """An org with ``quantity`` New York numbers, its index built and their pool copied by
    one decision made the ordinary way (in a worker thread, in the API)."""
    created = api.new_org("Pipelined", "US")
    buy(api, created["api_key"], "212", quantity)
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to="+12125550999")
    return owner


def on_a_loop(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``work`` on a fresh event loop, as an API process runs its decisions."""
    return asyncio.run(work())


async def ask(desk: Desk, owner: Actor, to: str, **options: Any) -> callerid.OutboundAnswer:
    """An outbound decision by the owner on the running loop."""
    return await callerid.decide_outbound_on_loop(
        desk, owner, agent_id=owner.user_id, to=to, **options
    )


def test_decisions_sent_together_each_get_their_own_answer_and_record_o5_o7(
    api: Api, desk: Desk
) -> None:
    owner = org_with_numbers(api, desk, 4)
    before = count(desk, "outbound_calls")

    async def together() -> list[callerid.OutboundAnswer]:
        return await asyncio.gather(*(ask(desk, owner, f"+1212555{n:04d}") for n in range(40)))

    answers = on_a_loop(together)
    assert len({a.call_id for a in answers}) == 40
    assert count(desk, "outbound_calls") == before + 40
    shown = Counter(a.number.e164 for a in answers)
    assert len(shown) == 4, shown
    assert max(shown.values()) - min(shown.values()) <= 1, shown


def test_the_exchanges_of_one_loop_turn_are_held_back_together_and_sent_when_it_ends(
    api: Api, desk: Desk
) -> None:
    owner = org_with_numbers(api, desk, 2)

    async def one_turn() -> tuple[bool | None, bool | None, int]:
        pipeline = await desk.store.pipeline()
        assert pipeline is not None
        sent = asyncio.gather(*(ask(desk, owner, f"+1212555{n:04d}") for n in range(3)))
        await asyncio.sleep(0)  # the three send their first exchange, this turn
        held_back = pipeline.corked
        answers = await sent
        return held_back, pipeline.corked, len({a.call_id for a in answers})

    held_back, after, answered = on_a_loop(one_turn)
    if held_back is None:
        pytest.skip("the test database is not reached over TCP on Linux: nothing to cork")
    assert held_back is True
    assert after is False  # nothing left waiting for the kernel's 200 ms
    assert answered == 3


def test_the_exchanges_of_two_loop_turns_leave_in_one_transmission(api: Api, desk: Desk) -> None:
    owner = org_with_numbers(api, desk, 2)

    async def two_turns() -> tuple[list[str], int]:
        pipeline = await desk.store.pipeline()
        assert pipeline is not None
        happened: list[str] = []
        send, flush = pipeline._send, pipeline._flush

        def noted_send(statements: Any) -> Any:
            happened.append("exchange")
            return send(statements)

        def noted_flush() -> None:
            happened.append("transmission")
            flush()

        pipeline._send = noted_send  # type: ignore[method-assign]
        pipeline._flush = noted_flush  # type: ignore[method-assign]
        first = asyncio.ensure_future(ask(desk, owner, "+12125550001"))
        await asyncio.sleep(0)  # the first sends its exchange, this turn
        second = asyncio.ensure_future(ask(desk, owner, "+12125550002"))
        answers = await asyncio.gather(first, second)  # the second sends its own the next turn
        return happened, len({a.call_id for a in answers})

    happened, answered = on_a_loop(two_turns)
    assert happened[:3] == ["exchange", "exchange", "transmission"], happened
    assert answered == 2


def test_a_call_id_recorded_before_is_409_and_spoils_nothing_sent_with_it_o7(
    api: Api, desk: Desk
) -> None:
    owner = org_with_numbers(api, desk, 2)
    before = count(desk, "outbound_calls")

    async def together() -> list[Any]:
        asks = [ask(desk, owner, "+12125550100", call_id="call_twice") for _ in range(2)]
        asks.append(ask(desk, owner, "+12125550101"))
        return await asyncio.gather(*asks, return_exceptions=True)

    first, second, other = on_a_loop(together)
    assert isinstance(second, Conflict)
    assert second.code == "call_exists"
    assert isinstance(first, callerid.OutboundAnswer)
    assert first.call_id == "call_twice"
    assert isinstance(other, callerid.OutboundAnswer)
    assert count(desk, "outbound_calls") == before + 2
    assert calls_counted(desk, owner) == count(desk, "outbound_calls")  # nothing half-written


def calls_counted(desk: Desk, owner: Actor) -> int:
    """The calls counted today on the org's numbers (their usage rows)."""
    sql = text("SELECT coalesce(sum(calls), 0) FROM number_usage WHERE org_id = :org")
    with desk.store.transaction() as tx:
        return int(tx.conn.execute(sql, {"org": owner.org_id}).scalar_one())


def test_a_connection_lost_while_idle_is_made_again_unnoticed(api: Api, desk: Desk) -> None:
    owner = org_with_numbers(api, desk, 1)
    before = count(desk, "outbound_calls")

    async def across_a_lost_connection() -> callerid.OutboundAnswer:
        await ask(desk, owner, "+12125550100")
        await terminate(desk, await backend_of_this_loop(desk))
        await asyncio.sleep(0.2)  # the loop reads the connection's end
        return await ask(desk, owner, "+12125550101")

    assert on_a_loop(across_a_lost_connection).number.e164.startswith("+1212")
    assert count(desk, "outbound_calls") == before + 2  # both decisions recorded


def test_a_connection_lost_under_a_decision_costs_it_a_503_and_the_next_connects_again(
    api: Api, desk: Desk
) -> None:
    owner = org_with_numbers(api, desk, 1)  # one number: its count waits for its usage row
    before = count(desk, "outbound_calls")

    async def across_a_lost_connection() -> tuple[Any, callerid.OutboundAnswer]:
        backend = await backend_of_this_loop(desk)
        with psycopg.connect(desk_url(desk)) as holding:  # another transaction holds the row
            holding.execute(
                "SELECT 1 FROM number_usage WHERE org_id = %s FOR UPDATE", (owner.org_id,)
            )
            waiting = asyncio.ensure_future(ask(desk, owner, "+12125550101"))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            await terminate(desk, backend)
            try:
                lost: Any = await waiting
            except Unavailable as refused:
                lost = refused
            holding.rollback()
        return lost, await ask(desk, owner, "+12125550102")

    lost, again = on_a_loop(across_a_lost_connection)
    assert isinstance(lost, Unavailable)
    assert lost.code == "database_unavailable"
    assert again.number.e164.startswith("+1212")
    assert count(desk, "outbound_calls") == before + 1


async def backend_of_this_loop(desk: Desk) -> int:
    """The server process of the running loop's pipeline."""
    pipeline = await desk.store.pipeline()
    assert pipeline is not None
    ((pid,),) = (await pipeline.exchange([(select(func.pg_backend_pid()), {})]))[0]
    return int(pid or 0)


async def terminate(desk: Desk, backend: int) -> None:
    """End a server process, as a database restart or a network cut would."""
    with psycopg.connect(desk_url(desk), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (backend,))


def desk_url(desk: Desk) -> str:
    """The desk's database URL, as psycopg takes it."""
    return desk.store.engine.url.set(drivername="postgresql").render_as_string(False)


def test_a_statement_that_could_not_be_prepared_fails_and_is_prepared_again_once_it_can(
    desk: Desk,
) -> None:
    """As when new code answers before its migration has run: the table it reads is missing,
    then made; the pipeline's connection must not go on believing the statement prepared."""
    table = Table("pipeline_not_yet", MetaData(), Column("n", Integer))
    asked = select(table.c.n)

    async def before_and_after_the_migration() -> tuple[Exception | None, list[Any]]:
        pipeline = await desk.store.pipeline()
        assert pipeline is not None
        failed: Exception | None = None
        try:
            await pipeline.exchange([(asked, {})])
        except psycopg.errors.UndefinedTable as missing:
            failed = missing
        with desk.store.engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert().values(n=7))
        try:
            return failed, (await pipeline.exchange([(asked, {})]))[0]
        finally:
            with desk.store.engine.begin() as conn:
                table.drop(conn)

    failed, rows = on_a_loop(before_and_after_the_migration)
    assert isinstance(failed, psycopg.errors.UndefinedTable)
    assert rows == [(7,)]


def test_a_request_given_up_leaves_the_pipeline_in_step_for_the_next(api: Api, desk: Desk) -> None:
    owner = org_with_numbers(api, desk, 2)

    async def give_one_up() -> callerid.OutboundAnswer:
        given_up = asyncio.ensure_future(ask(desk, owner, "+12125550100"))
        await asyncio.sleep(0)  # its statements are queued
        given_up.cancel()
        return await ask(desk, owner, "+12125550101")

    answer = on_a_loop(give_one_up)
    assert answer.call_id
    assert answer.number.e164.startswith("+1212")


def test_a_decision_on_the_loop_without_its_index_refuses_before_recording_anything_o3(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    owner = org_with_numbers(api, desk, 1)  # built in ``desk``, not in the other process
    before = count(desk, "outbound_calls")
    with pytest.raises(IndexNotReady):
        on_a_loop(lambda: ask(other_process, owner, "+12125550100"))
    assert count(desk, "outbound_calls") == before


def test_rotation_stays_even_when_two_processes_decide_on_their_loops_o5(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    """Two desks stand for two API processes, each deciding 500 calls on its event loop, 25
    at a time: the ten numbers of the pool are shown 100 +- 1 times in all."""
    created = api.new_org("Rotation on the loop", "US")
    numbers = buy(api, created["api_key"], "212", 10)
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    shown: Counter[str] = Counter()
    lock = threading.Lock()

    def process(desk: Desk, offset: int) -> None:
        async def five_hundred() -> None:
            for start in range(offset, offset + 500, 25):
                answers = await asyncio.gather(
                    *(decided(desk, n) for n in range(start, start + 25))
                )
                with lock:
                    shown.update(answers)

        asyncio.run(five_hundred())

    async def decided(desk: Desk, n: int) -> str:
        try:
            answer = await ask(desk, owner, f"+1212555{n:04d}")
        except IndexNotReady:  # the first of each process: its index is built in a thread
            answer = await asyncio.to_thread(
                callerid.decide_outbound, desk, owner, agent_id=owner.user_id, to=f"+1212555{n:04d}"
            )
        return answer.number.e164

    threads = [
        threading.Thread(target=process, args=(d, o)) for d, o in ((desk, 0), (other_process, 500))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(shown) == {n["e164"] for n in numbers}
    assert sum(shown.values()) == 1000
    assert all(99 <= n <= 101 for n in shown.values()), shown


def test_inbound_callbacks_sent_together_each_reach_the_agent_who_called_i2_i12(
    api: Api, desk: Desk
) -> None:
    created = api.new_org("Callbacks on the loop", "US")
    key = created["api_key"]
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    number = buy_one(api, key)
    ann, _ = agent(api, key)
    set_route(api, key, number["id"], {"type": "last_caller", "scope": "number"})
    borrowers = [f"+1212555{n:04d}" for n in range(20)]
    for borrower in borrowers:  # Ann calls each from the New York number
        callerid.decide_outbound(desk, owner, agent_id=ann, to=borrower)
    inbound.decide_inbound(desk, owner, to=number["e164"], caller=None, dry_run=True)  # index
    before = count(desk, "inbound_calls")

    async def together() -> list[inbound.InboundAnswer]:
        return await asyncio.gather(
            *(
                inbound.decide_inbound_on_loop(desk, owner, to=number["e164"], caller=b)
                for b in borrowers
            )
        )

    answers = on_a_loop(together)
    assert {t.agent_id for a in answers for t in a.decision.targets} == {ann}
    assert {a.decision.trace[1].step for a in answers} == {"last_caller"}
    assert count(desk, "inbound_calls") == before + 20
    assert len({a.call_id for a in answers}) == 20


def test_company_number_calls_decided_together_on_the_loop_keep_its_call_limit_i10(
    api: Api, desk: Desk
) -> None:
    team = company_team(api, size=2, max_concurrent_calls=3)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    e164 = team["number"]["e164"]
    inbound.decide_inbound(desk, owner, to=e164, caller=None, dry_run=True)  # builds the index

    async def together() -> list[inbound.InboundAnswer]:
        return await asyncio.gather(
            *(
                inbound.decide_inbound_on_loop(desk, owner, to=e164, caller=f"+1305555{n:04d}")
                for n in range(5)
            )
        )

    actions = Counter(a.decision.action.value for a in on_a_loop(together))
    assert actions == {"ring": 3, "busy": 2}
    assert count(desk, "inbound_active_calls") == 3


def test_an_inbound_call_id_recorded_before_is_409_on_the_loop_with_nothing_written_i12(
    api: Api, desk: Desk
) -> None:
    created = api.new_org("Twice", "US")
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    number = buy_one(api, created["api_key"])
    set_route(api, created["api_key"], number["id"], {"type": "agent", "agent_id": owner.user_id})
    inbound.decide_inbound(desk, owner, to=number["e164"], caller=None, dry_run=True)

    async def twice() -> list[Any]:
        asks = [
            inbound.decide_inbound_on_loop(desk, owner, to=number["e164"], caller=c, call_id="dup")
            for c in ("+13055550100", "+13055550101")
        ]
        return await asyncio.gather(*asks, return_exceptions=True)

    first, second = on_a_loop(twice)
    assert isinstance(first, inbound.InboundAnswer)
    assert isinstance(second, Conflict)
    assert second.code == "call_exists"
    assert count(desk, "inbound_calls") == 1


def test_a_company_number_held_elsewhere_sends_the_loops_decision_to_a_thread_i10(
    api: Api, desk: Desk
) -> None:
    """Another transaction holds the company number's row (a decision admitting its call):
    the decision on the loop gives up after a moment with nothing recorded, and is made in a
    worker thread, which waits its turn."""
    team = company_team(api, size=1, max_concurrent_calls=2)
    owner = Actor(team["org_id"], team["owner_user_id"], Role.OWNER)
    e164 = team["number"]["e164"]
    inbound.decide_inbound(desk, owner, to=e164, caller=None, dry_run=True)  # builds the index
    before = count(desk, "inbound_calls")
    with psycopg.connect(desk_url(desk)) as holding:
        holding.execute("SELECT 1 FROM numbers WHERE id = %s FOR UPDATE", (team["number"]["id"],))
        with pytest.raises(IndexNotReady):
            on_a_loop(lambda: inbound.decide_inbound_on_loop(desk, owner, to=e164, caller=None))
        holding.rollback()
    assert count(desk, "inbound_calls") == before
    assert count(desk, "inbound_active_calls") == 0


def test_a_refusal_on_the_loop_stands_only_on_the_configuration_of_now_o3(
    api: Api, desk: Desk
) -> None:
    """An agent added since the process built its index is unknown to that index: the loop's
    404 would be wrong, so the decision goes to a worker thread, which rebuilds first; an
    agent unknown to the org now is a 404."""
    created = api.new_org("Refusals", "US")
    buy(api, created["api_key"], "212", 1)
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to="+12125550999")  # index
    added, _ = api.new_user(created["api_key"])

    async def refusal(agent_id: str) -> Exception | None:
        try:
            await callerid.decide_outbound_on_loop(
                desk, owner, agent_id=agent_id, to="+12125550100"
            )
        except (Problem, IndexNotReady) as refused:
            return refused
        return None

    assert isinstance(on_a_loop(lambda: refusal(added["id"])), IndexNotReady)
    callerid.decide_outbound(desk, owner, agent_id=added["id"], to="+12125550100")  # rebuilt
    refused = on_a_loop(lambda: refusal("usr_nobody"))
    assert isinstance(refused, Problem)
    assert refused.code == "user_not_found"

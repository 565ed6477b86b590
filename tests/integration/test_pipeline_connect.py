"""The call path's pipeline connects in a worker thread (``store/pipeline_connect``): while
the database does not answer, the event loop goes on answering, and the decisions that ask
meanwhile wait for one connection, then get a 503 when it cannot be made."""

from __future__ import annotations

import asyncio
import gc
import socket

from sqlalchemy import Engine, create_engine

from numberdesk.domain.errors import Unavailable
from numberdesk.store.pipeline_connect import Pipelines

CONNECT_TIMEOUT = 2  # s


def engine_on(port: int) -> Engine:
    """A call-path-like engine whose database would be at ``port`` on this machine."""
    return create_engine(
        f"postgresql+psycopg://nobody@127.0.0.1:{port}/none",
        connect_args={"connect_timeout": CONNECT_TIMEOUT, "sslmode": "disable"},
    )


def test_a_database_that_does_not_answer_leaves_the_loop_answering_until_a_503() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # takes connections, says nothing
        port = silent.getsockname()[1]
        engine = engine_on(port)
        pipelines = Pipelines(engine)

        async def two_decisions_and_the_loop_meanwhile() -> tuple[int, list[object]]:
            asking = [asyncio.ensure_future(pipelines.of_this_loop()) for _ in range(2)]
            turns = 0
            while not all(a.done() for a in asking):
                await asyncio.sleep(0.01)  # the loop's other work
                turns += 1
            return turns, await asyncio.gather(*asking, return_exceptions=True)

        turns, answers = asyncio.run(two_decisions_and_the_loop_meanwhile())
        silent.setblocking(False)
        attempts = 0
        while True:
            try:
                silent.accept()[0].close()
            except BlockingIOError:
                break
            attempts += 1
        engine.dispose()
    assert turns >= CONNECT_TIMEOUT * 50  # the loop turned on while the connection was tried
    assert all(isinstance(a, Unavailable) for a in answers), answers
    assert all(a.code == "database_unavailable" for a in answers if isinstance(a, Unavailable))
    assert attempts == 1  # both decisions waited for the same connection


def test_a_failed_connect_nobody_waits_for_any_more_is_not_logged_as_unretrieved() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:  # a port nothing will answer on
        port = taken.getsockname()[1]
    engine = engine_on(port)
    pipelines = Pipelines(engine)
    logged: list[str] = []

    async def a_decision_given_up_while_connecting() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _, context: logged.append(context["message"]))
        asking = asyncio.ensure_future(pipelines.of_this_loop())
        await asyncio.sleep(0)  # the connect has started
        asking.cancel()
        connecting = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        await asyncio.wait(connecting)  # the connect failed, with nobody waiting for it
        del connecting, asking
        gc.collect()  # a task whose failure nobody saw says so when it is freed

    asyncio.run(a_decision_given_up_while_connecting())
    engine.dispose()
    assert logged == []

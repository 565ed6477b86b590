"""Each event loop's call-path ``Pipeline`` (``store/pipeline``), connected in a worker thread:
the loop never waits for a connection to be made."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from numberdesk.domain.errors import database_unavailable
from numberdesk.store.pipeline import Pipeline


def _connection_of(engine: Engine) -> psycopg.Connection[Any]:
    """A connection of the engine's own, taken from its pool (made if the pool has none idle:
    up to the engine's connect timeout); 503 when the database cannot be reached."""
    try:
        fairy = engine.raw_connection()
    except (DBAPIError, psycopg.Error) as exc:  # a raw connection's failure comes unwrapped
        raise database_unavailable() from exc
    driver: psycopg.Connection[Any] = fairy.driver_connection  # type: ignore[assignment]
    fairy.detach()  # the pool's no more: a loop's alone
    return driver


def _retrieved(connecting: asyncio.Task[Pipeline]) -> None:
    """Mark a finished connect's failure as seen: every request that waited for it was told,
    and one whose requests all gave up (cancelled) is not logged as never retrieved."""
    if not connecting.cancelled():
        connecting.exception()


class Pipelines:
    """Each event loop's ``Pipeline`` on the call path's engine, made when first asked for and
    again after its connection was lost; kept until ``close`` (an API process has one loop;
    each pipeline holds its loop, so weak keys would free nothing). A connection is made in a
    worker thread: the loop goes on answering while it is made (or while the database does not
    answer, up to the connect timeout), and the decisions that ask meanwhile wait for the one
    connection being made."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._of: dict[asyncio.AbstractEventLoop, Pipeline] = {}
        self._connecting: dict[asyncio.AbstractEventLoop, asyncio.Task[Pipeline]] = {}

    async def of_this_loop(self) -> Pipeline:
        """The running event loop's pipeline, once connected; 503 ``database_unavailable``
        when the database cannot be reached."""
        loop = asyncio.get_running_loop()
        pipeline = self._of.get(loop)
        if pipeline is not None and not pipeline.is_lost:
            return pipeline
        connecting = self._connecting.get(loop)
        if connecting is None:
            connecting = self._connecting[loop] = loop.create_task(self._connect(loop))
            connecting.add_done_callback(_retrieved)
        return await asyncio.shield(connecting)  # a request given up does not stop the connect

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> Pipeline:
        """Make this loop's connection in a worker thread; its pipeline on the loop."""
        try:
            driver = await asyncio.to_thread(_connection_of, self._engine)
            pipeline = self._of[loop] = Pipeline(driver, loop)
            return pipeline
        finally:
            del self._connecting[loop]

    def close(self) -> None:
        """Close every loop's connection."""
        for pipeline in list(self._of.values()):
            pipeline.close()
        self._of.clear()

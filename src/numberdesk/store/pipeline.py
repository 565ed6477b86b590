"""The call path's statements on the event loop (PostgreSQL): one libpq pipeline per loop.

A decision on the event loop used to send its statement on a pooled connection and wait for
the answer with the loop stopped, so the process and PostgreSQL woke once per statement. Here
each event loop has one connection of the call path's engine in libpq's pipeline mode
(psycopg's ``pq``): a decision sends its statements and awaits their answer while the loop
goes on with other requests, and the statements of the decisions that arrive together leave
in one write and come back in one read (bench/README.md, ninth session: +40% decisions per
second).

Each ``exchange`` is one implicit transaction: its statements run one after the other, each
with a fresh snapshot (READ COMMITTED), and commit together at its Sync; one that fails rolls
them all back and is raised as psycopg's exception for its SQLSTATE, and the exchanges sent
after it are untouched. A loop's exchanges run in the order they were sent, on one server
process: a statement that waits for a lock holds up those behind it (the call path waits at
most ``db.SHORT_LOCK_WAIT``). A lost connection fails the exchanges under way with 503
``database_unavailable`` (whether the last one committed is unknown, as with any lost commit);
the next exchange connects again. A connection is made in a worker thread, never on the
loop, which goes on answering while the database is slow to take it
(``store/pipeline_connect``).

libpq sends at every Sync (``PQpipelineSync``; ``PQsendPipelineSync``, which does not, came in
libpq 17 and psycopg's ``pq`` does not offer it). Each send on a TCP socket is a transmission,
and to PostgreSQL on the same machine it costs the sender the whole delivery, the server
process's wake-up included; so over TCP the socket is corked (Linux's ``TCP_CORK``) from the
first exchange a loop turn sends until the end of the next turn: the exchanges of two turns
leave in one transmission (bench/README.md, tenth session). Two, because a request reaches the
pipeline some turns after its bytes arrived, and an inbound decision sends its write a turn
after its read's answer: waiting one turn more lets the next requests' exchanges join
(bench/README.md, fourteenth session: 1.6-2.2 exchanges per transmission became 3.1-3.8, and
inbound decisions per second rose 6%). The turn more is one more pass of the loop, a few
microseconds, when nothing else is waiting.

Statements are SQLAlchemy statements built once with bound parameters, as for
``db.prepared_rows``; each is prepared on the connection the first time it is sent, its
parameters' types read from the statement (``store/pipeline_exchange``), and again the next
time when that failed (a table new code reads, say, not yet made by its migration). Values
are what psycopg sends as they are (aware datetimes, lists, ``Jsonb``), adapted by psycopg in
text format; rows come back as psycopg loads them.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections import deque
from contextlib import suppress
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import LockNotAvailable, error_from_result

from numberdesk.domain.errors import database_unavailable
from numberdesk.store.pipeline_exchange import Exchange, Rows, Statements, prepared

_TEXT = [PyFormat.TEXT]  # each value in text format: its type is the statement's


def _transient(error: psycopg.Error) -> bool:
    """Whether a failed statement says the database could not answer just now (a deadlock, a
    serialisation failure, a shutdown): 503. A lock wait cut short is the caller's to handle."""
    return isinstance(error, psycopg.OperationalError) and not isinstance(error, LockNotAvailable)


def _tcp_socket_of(fd: int) -> socket.socket | None:
    """A socket object on a duplicate of libpq's socket ``fd`` when it is TCP and can be
    corked (Linux), else None."""
    if not hasattr(socket, "TCP_CORK"):
        return None
    tcp = socket.socket(fileno=os.dup(fd))
    if tcp.family in (socket.AF_INET, socket.AF_INET6):
        return tcp
    tcp.close()
    return None


class Pipeline:
    """One connection of the call path's engine in pipeline mode, written and read by one
    event loop (only from that loop's thread)."""

    def __init__(self, driver: psycopg.Connection[Any], loop: asyncio.AbstractEventLoop) -> None:
        self._driver = driver
        self._pgconn = self._driver.pgconn
        self._pgconn.enter_pipeline_mode()
        self._pgconn.nonblocking = 1
        self._adapt = Transformer(context=self._driver)
        self._loop, self._socket = loop, self._pgconn.socket
        self._tcp = _tcp_socket_of(self._socket)  # closed with the connection (``_lose``)
        self._prepared: set[bytes] = set()
        self._waiting: deque[Exchange] = deque()
        self._flush_due = False
        self.is_lost = False
        loop.add_reader(self._socket, self._read)

    async def exchange(self, statements: Statements) -> list[Rows]:
        """Each statement's rows (none for a statement that returns none), sent as one
        implicit transaction (see the module)."""
        results = await self._send(statements)
        for result in results:  # a failed prepare fails the statements after it too
            if result.status == pq.ExecStatus.FATAL_ERROR:
                error = error_from_result(result)
                if _transient(error):
                    raise database_unavailable() from error
                raise error
        rows: list[Rows] = []
        for result in results[len(results) - len(statements) :]:  # after the prepares'
            if result.status == pq.ExecStatus.TUPLES_OK:
                self._adapt.set_pgresult(result)
                rows.append(self._adapt.load_rows(0, result.ntuples, tuple))
            else:
                rows.append([])
        return rows

    def _send(self, statements: Statements) -> asyncio.Future[list[pq.abc.PGresult]]:
        """Queue the statements and their Sync; flushed once the next turn of the loop ends,
        with whatever the loop's other requests queue meanwhile."""
        if self.is_lost:
            raise database_unavailable()
        answer: asyncio.Future[list[pq.abc.PGresult]] = self._loop.create_future()
        outgoing = []  # every value adapted before anything is sent: all of it goes, or none
        for statement, values in statements:
            name, text, names, constants = prepared(statement)
            given = [values[n] if constants.get(n) is None else constants[n] for n in names]
            outgoing.append((name, text, self._adapt.dump_sequence(given, _TEXT * len(given))))
        unprepared = {name: text for name, text, _ in outgoing if name not in self._prepared}
        if not self._flush_due:
            self._cork(True)  # until the flush, the next turn
        try:
            for name, text in unprepared.items():  # first, so a failed one aborts the rest
                self._pgconn.send_prepare(name, text)
                self._prepared.add(name)
            for name, _, sent in outgoing:
                self._pgconn.send_query_prepared(name, sent)
            self._pgconn.pipeline_sync()
        except psycopg.Error as exc:
            self._lose()
            raise database_unavailable() from exc
        self._waiting.append(Exchange(answer, list(unprepared), len(unprepared) + len(outgoing)))
        if not self._flush_due:
            self._flush_due = True
            self._loop.call_soon(self._flush_next_turn)
        return answer

    @property
    def corked(self) -> bool | None:
        """Whether the socket holds back what it was given (the exchanges of this turn and the
        last, until the flush); None when it cannot (not TCP, not Linux)."""
        if self._tcp is None:
            return None
        return bool(self._tcp.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK))

    def _cork(self, corked: bool) -> None:
        """Hold back (True) or send (False) what the TCP socket was given (see the module)."""
        if self._tcp is not None:
            with suppress(OSError):  # a lost connection is libpq's to report
                self._tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, corked)

    def _flush_next_turn(self) -> None:
        """Flush at the end of the next turn, with the exchanges it brings (see the module)."""
        self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Send what is queued; what the socket cannot take now goes when it can."""
        self._flush_due = False
        if self.is_lost:
            return
        try:
            unsent = self._pgconn.flush()
        except psycopg.OperationalError:
            self._lose()
            return
        self._cork(False)
        if unsent:
            self._loop.add_writer(self._socket, self._flush_rest)

    def _flush_rest(self) -> None:
        self._loop.remove_writer(self._socket)
        self._flush()

    def _read(self) -> None:
        """Hand the results that arrived to the exchanges they answer."""
        try:
            self._pgconn.consume_input()
            while self._waiting and not self._pgconn.is_busy():
                if not self._waiting[0].take(self._pgconn.get_result()):
                    break
                if self._waiting[0].finished:
                    self._forget_unmade(self._waiting.popleft())
        except psycopg.Error:
            self._lose()
            return
        if self._pgconn.status != pq.ConnStatus.OK:
            self._lose()

    def _forget_unmade(self, exchange: Exchange) -> None:
        """The prepares of a finished exchange that failed (or were skipped after a failure)
        made no statement: they are prepared again the next time they are sent."""
        for name, result in zip(exchange.preparing, exchange.results, strict=False):
            if result.status != pq.ExecStatus.COMMAND_OK:
                self._prepared.discard(name)

    def _lose(self) -> None:
        """Fail every exchange under way and close the connection (from the loop's thread)."""
        if self.is_lost:
            return
        self.is_lost = True
        self._loop.remove_reader(self._socket)
        self._loop.remove_writer(self._socket)
        while self._waiting:
            answer = self._waiting.popleft().answer
            if not answer.done():
                answer.set_exception(database_unavailable())
        self._close_connection()

    def _close_connection(self) -> None:
        """Close libpq's connection and this pipeline's duplicate of its socket."""
        self._driver.close()
        if self._tcp is not None:
            self._tcp.close()

    def close(self) -> None:
        """Close the connection, from any thread: at once from its loop's thread or once the
        loop is closed, else on the loop's next turn."""
        if self._loop.is_closed():
            self.is_lost = True
            self._close_connection()
        elif _running_loop() is self._loop:
            self._lose()
        elif not self.is_lost:
            self._loop.call_soon_threadsafe(self._lose)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None

"""Engines: SQLite (WAL, one writer at a time, waits instead of failing) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, cast

import psycopg
from psycopg.errors import LockNotAvailable
from psycopg.pq import ExecStatus, TransactionStatus
from sqlalchemy import Connection, Engine, Table, create_engine, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ClauseElement


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_autocommit(conn: Connection) -> bool:
    """Whether each statement commits by itself on ``conn`` (PostgreSQL's call path), no
    ``atomic`` block being open on it."""
    if conn.dialect.name != "postgresql":
        return False
    driver: Any = conn.connection.driver_connection
    return bool(driver.autocommit) and driver.info.transaction_status == TransactionStatus.IDLE


# How long a decision on the event loop waits for a row another transaction holds: a
# decision's own turn takes a millisecond; past this, it is refused and made in a worker thread.
SHORT_LOCK_WAIT = "100ms"


@cache
def short_lock_wait() -> Executable:
    """The transaction's lock waits end after ``SHORT_LOCK_WAIT`` (an exchange of the event
    loop's pipeline is one transaction: ``store/pipeline``)."""
    return select(func.set_config("lock_timeout", SHORT_LOCK_WAIT, True))


class RowHeld(Exception):
    """A row a decision must lock stayed taken past ``SHORT_LOCK_WAIT``: nothing was written."""


@contextmanager
def atomic(conn: Connection, *, short_lock_wait: bool = False) -> Iterator[None]:
    """The block's statements commit together: on an autocommit connection the block is a
    transaction of its own (rolled back if it raises), whose lock waits end after
    ``SHORT_LOCK_WAIT`` if ``short_lock_wait`` (set with the BEGIN, in the same round trip);
    otherwise the open transaction holds them already."""
    if not is_autocommit(conn):
        yield
        return
    cut = f"; SET LOCAL lock_timeout = '{SHORT_LOCK_WAIT}'" if short_lock_wait else ""
    conn.exec_driver_sql("BEGIN" + cut)
    try:
        yield
    except BaseException:
        if not conn.invalidated:  # a lost connection's transaction ended with it
            conn.exec_driver_sql("ROLLBACK")
        raise
    conn.exec_driver_sql("COMMIT")


def prepared_rows(conn: Connection, statement: Executable, values: dict[str, Any]) -> list[Any]:
    """The rows of a call-path statement (built once, with bound parameters). On PostgreSQL
    it is sent on the driver's connection, prepared (``on_postgresql``): a decision skips
    SQLAlchemy's per-execution work, about 60 us a statement, so the values must be what
    psycopg sends as they are (aware datetimes, ``Jsonb``). Elsewhere SQLAlchemy runs it."""
    if conn.dialect.name != "postgresql":
        result = conn.execute(statement, values)
        return list(result.all()) if result.returns_rows else []
    text, parameters = on_postgresql(statement)
    driver: Any = conn.connection.driver_connection
    with lost_connection_is_operational(conn, text, values):
        cursor = driver.execute(text, bound(parameters, values), prepare=True)
        result = cursor.pgresult  # its status, cheaper than building ``description``
        return cursor.fetchall() if result and result.status == ExecStatus.TUPLES_OK else []


def prepared_row(conn: Connection, statement: Executable, values: dict[str, Any]) -> Any:
    """The first row of a call-path statement (``prepared_rows``), or None."""
    rows = prepared_rows(conn, statement, values)
    return rows[0] if rows else None


@cache
def on_postgresql(statement: Executable) -> tuple[str, dict[str, Any]]:
    """A statement as PostgreSQL's SQL text for psycopg, and its parameters: the value of
    each constant SQLAlchemy bound in it (a LIMIT, a literal), None for each named one."""
    dialect = pg_psycopg.dialect()  # type: ignore[no-untyped-call]
    compiled = cast(ClauseElement, statement).compile(dialect=dialect)
    return str(compiled), dict(compiled.params)


def bound(parameters: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """What a statement of ``on_postgresql`` is sent with: its constants and, for each named
    parameter, its value in ``values`` (KeyError when missing); nothing more, so psycopg
    keeps how it read the statement (it does for up to 50 values)."""
    return {name: values[name] if value is None else value for name, value in parameters.items()}


@contextmanager
def lost_connection_is_operational(
    conn: Connection, text: str, values: dict[str, Any]
) -> Iterator[None]:
    """A connection lost under statements sent on the driver's own connection is
    SQLAlchemy's OperationalError, the connection invalidated, as if SQLAlchemy had run them
    (so the store answers 503 and the pool drops it). Any other operational failure (a
    deadlock, a cancelled statement) is an OperationalError too, on a connection still well;
    a lock wait cut short is left as psycopg raised it."""
    try:
        yield
    except LockNotAvailable:
        raise
    except psycopg.OperationalError as exc:
        driver: Any = conn.connection.driver_connection
        lost = driver.broken or driver.closed
        if lost:
            conn.invalidate()
        raise OperationalError(text, values, exc, connection_invalidated=lost) from exc


def insert_or(dialect: str, table: Table) -> Any:
    """An INSERT into ``table`` that can say ON CONFLICT (DO NOTHING / DO UPDATE), in the
    dialect's own words (``conn.dialect.name``: ``sqlite`` or ``postgresql``)."""
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for ``url``; creates the SQLite file's folder when needed."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # No pre-ping: it would cost every decision a round trip. A connection that died (the
    # server restarted) fails its request with a 503 (``Store``) and the pool is renewed.
    return create_engine(url, pool_size=pool_size, max_overflow=20)


# The call path prepares its statements. Left to itself, the server plans a prepared
# statement for each run until one plan for all runs looks as cheap: a plan made while a table
# was nearly empty (``pool_numbers`` before its pools are copied) scanned the whole table, and
# a decision over a pool took 1 ms more for every few thousand rows the table gained; and at a
# million numbers the inbound read never looked cheap enough, so the server planned it again
# for every decision (40% of its time: bench/README.md, twelfth session). Every statement of a
# decision finds its rows by key, so the call path plans each statement once, for all its
# runs, with indexes.
CALL_PATH_PLANS = "-c enable_seqscan=off -c plan_cache_mode=force_generic_plan"


def make_call_path_engine(url: str, *, synchronous_commit: bool) -> Engine | None:
    """PostgreSQL: the call path's own engine, whose connections commit each statement by
    itself and, unless ``synchronous_commit`` (then the server's own setting holds), answer a
    commit before its WAL reaches the disk or a synchronous standby: PostgreSQL's asynchronous
    commit. A crash of the database server (not of numberdesk), or a failover, can lose the
    decisions of its last ``3 x wal_writer_delay`` (0.6 s by default) and never leaves one
    half written. Its sessions plan each statement once, with indexes, not table scans
    (``CALL_PATH_PLANS``). None for SQLite, whose call path shares the one engine.

    Its pool (at most 8 connections) serves the decisions a process answers on its event
    loop, one at a time, and the few it hands to worker threads (``api/call_path.py``).
    Options given in the URL (``?options=...``) are kept."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return None
    given = make_url(url).query.get("options", "")  # the URL's own, kept
    options = f"{given} {CALL_PATH_PLANS}"
    if not synchronous_commit:
        options += " -c synchronous_commit=off"
    connect = {"connect_timeout": 5, "options": options.strip()}  # s, in a worker thread
    return create_engine(
        url, pool_size=4, max_overflow=4, isolation_level="AUTOCOMMIT", connect_args=connect
    )


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: no deadlocks between readers that later write.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine

"""The outbound call path in the database: the config version, sticky history, the pools'
picks, and the one write per decision (the call counted under the daily cap, copied into the
pools that hold the number, and the attempt it records). The statements are in
``store/callerid_sql``, built once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.errors import LockNotAvailable, UniqueViolation
from psycopg.pq import TransactionStatus
from sqlalchemy import (
    Connection,
    bindparam,
    insert,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql import Executable

from numberdesk.domain.callerid_index import Pool
from numberdesk.domain.callerid_picks import NEVER
from numberdesk.domain.errors import call_exists
from numberdesk.store import callerid_sql as sql
from numberdesk.store import schema as s
from numberdesk.store.db import atomic, is_autocommit


class PoolNotCopied(Exception):
    """A pick asked not to wait found the pool's copy of its numbers out of date, or its row
    held longer than ``SHORT_LOCK_WAIT`` (another decision renewing the copy): nothing was
    picked or counted."""


SHORT_LOCK_WAIT = "100ms"  # a pick's own turn on the pool's row takes microseconds


@dataclass(frozen=True)
class When:
    """Where and when a decision counts: the org, the moment, the org's day (which daily caps
    count) and the moment it began, and the cap (None: no cap)."""

    org_id: str
    now: datetime
    day: str
    day_start: datetime
    cap: int | None


@dataclass(frozen=True)
class Attempt:
    """An outbound attempt to record with the count (O7)."""

    call_id: str
    agent_id: str
    campaign_id: str | None
    callee: str


class CallerIdRepo:
    """What one outbound decision reads and writes, in as few round trips as possible."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    def version_and_last_shown(self, org_id: str, callee: str) -> tuple[int | None, str | None]:
        """The org's config version and the number this callee was last shown, in one query."""
        values = {"org": org_id, "callee": callee}
        if self.dialect == "postgresql":
            row = self._on_driver(sql.version_and_last_shown(), values)
        else:
            row = self.conn.execute(sql.version_and_last_shown(), values).one()
        assert row is not None  # one row: two scalar subqueries
        return row[0], row[1]

    def ensure_usage_rows(self, org_id: str, number_ids: Sequence[str], day: str) -> None:
        """Give every number a usage row (done when the index is rebuilt, not per call); safe
        when several processes do it at once."""
        rows = [{"org_id": org_id, "number_id": n, "day": day, "calls": 0} for n in number_ids]
        for start in range(0, len(rows), 5000):
            self.conn.execute(sql.new_usage_rows(self.dialect), rows[start : start + 5000])

    def ensure_usage_rows_of_live_numbers(self, org_id: str, day: str) -> None:
        """Give every live number of the org a usage row, in one statement (done when the
        index is rebuilt, not per call); safe when several processes do it at once."""
        self.conn.execute(sql.usage_rows_of_live_numbers(self.dialect), {"org": org_id, "day": day})

    def pick(
        self,
        key: str,
        pool: Pool,
        when: When,
        attempt: Attempt | None,
        step: str,
        *,
        copy: bool = True,
    ) -> str | None:
        """The pool's eligible number used least today, then least recently (O5), and, unless
        ``attempt`` is None (a dry run), the call counted on it and the attempt recorded; None
        when every number is resting or at the cap; 409 ``call_exists`` when the call id
        was already recorded.

        Decisions over the same pool queue on its row, in every process, and each picks only
        after the one before it committed, so the pool stays even (O5). The pool's numbers
        are copied again first when its fingerprint changed since the last copy (seconds for
        a pool of thousands); not ``copy``: ``PoolNotCopied`` instead, also when the pool's
        row stays taken (being copied) past ``SHORT_LOCK_WAIT``. On PostgreSQL a counted pick
        is one round trip when the copy is current.
        """
        with _one_attempt_per_call_id(attempt):
            return self._pick(key, pool, when, attempt, step, copy)

    def _pick(
        self, key: str, pool: Pool, when: When, attempt: Attempt | None, step: str, copy: bool
    ) -> str | None:
        """The pick of ``pick``."""
        values = _values(when, attempt, step) | {
            "pool_key": key,
            "taken": int(attempt is not None),
            "fingerprint": pool.fingerprint,
        }
        if self.dialect == "postgresql" and attempt is not None and is_autocommit(self.conn):
            try:
                members, number_id = self._lock_and_count(values, wait=copy)
            except LockNotAvailable as busy:
                raise PoolNotCopied(key) from busy
            if members == pool.fingerprint:
                return number_id
            if not copy:  # the pipeline counted nothing: its pick found no current copy
                raise PoolNotCopied(key)
        with atomic(self.conn):
            members = self.conn.execute(sql.lock_pool(self.dialect), values).scalar_one()
            if members != pool.fingerprint:
                if not copy:
                    raise PoolNotCopied(key)
                self._copy_pool(when.org_id, key, pool)
            if attempt is None:
                return self.conn.execute(sql.pick(), values).scalar()
            if self.dialect == "postgresql":
                return self.conn.execute(sql.count_and_record(picked=True), values).scalar()
            number_id = self.conn.execute(sql.pick(), values).scalar()
            return number_id if number_id and self._count(values | {"number": number_id}) else None

    def count_call(self, number_id: str, when: When, attempt: Attempt, step: str) -> bool:
        """Count the call on the chosen number, if it is under its daily cap, and record the
        attempt (O6, O7); False (nothing written) when the cap was reached meanwhile; 409
        ``call_exists`` when the call id was already recorded. One statement on PostgreSQL
        (the count feeds the insert), three in one transaction on SQLite."""
        values = _values(when, attempt, step) | {"number": number_id}
        with _one_attempt_per_call_id(attempt):
            if self.dialect == "postgresql":
                counted = self._on_driver(sql.count_and_record(picked=False), values) is not None
            else:
                counted = self._count(values)
        if not counted and self._first_usage_row(when.org_id, number_id, when.day):
            return self.count_call(number_id, when, attempt, step)
        return counted

    def _first_usage_row(self, org_id: str, number_id: str, day: str) -> bool:
        """Make a number's usage row if it has none: the index that holds the number was
        built in a transaction that was then rolled back (a refused request on SQLite), so
        its ``ensure_usage_rows_of_live_numbers`` was undone. True when the row was missing."""
        row = {"org_id": org_id, "number_id": number_id, "day": day, "calls": 0}
        return self.conn.execute(sql.new_usage_rows(self.dialect), row).rowcount == 1

    def _on_driver(self, statement: Executable, values: dict[str, Any]) -> Any:
        """PostgreSQL: run a call-path statement on the driver's connection, prepared, and
        return its first row (None if none): a decision's statements skip SQLAlchemy's
        per-execution work. A lost connection is SQLAlchemy's OperationalError, as if it had
        run the statement (the store answers 503)."""
        text, constants = sql.on_postgresql(statement)
        connection: Any = self.conn.connection.driver_connection
        with self._lost_connection_is_operational(text, values):
            return connection.execute(text, constants | values, prepare=True).fetchone()

    @contextmanager
    def _lost_connection_is_operational(self, text: str, values: dict[str, Any]) -> Iterator[None]:
        """A connection lost under the driver's own statements is SQLAlchemy's
        OperationalError, the connection invalidated, as if SQLAlchemy had run them (so the
        store answers 503 and the pool drops it)."""
        try:
            yield
        except LockNotAvailable:
            raise  # a lock wait cut short: the connection is well
        except psycopg.OperationalError as exc:
            self.conn.invalidate()
            raise OperationalError(text, values, exc, connection_invalidated=True) from exc

    def _lock_and_count(
        self, values: dict[str, Any], *, wait: bool
    ) -> tuple[str | None, str | None]:
        """PostgreSQL: take the pool's row, then pick, count and record, in one transaction
        sent as one pipeline (``callerid_sql.lock_and_count``): one round trip. Returns the
        pool's fingerprint as copied, and the pick (None when the copy is not current or
        nothing is eligible). Not ``wait``: ``LockNotAvailable`` when the row stays taken
        past ``SHORT_LOCK_WAIT``."""
        lock, count, constants = sql.lock_and_count()
        params = constants | values
        connection: Any = self.conn.connection.driver_connection
        try:
            with (
                self._lost_connection_is_operational(count, values),
                connection.pipeline(),
                connection.cursor() as locked,
                connection.cursor() as pick,
            ):
                connection.execute("BEGIN")
                if not wait:
                    connection.execute(f"SET LOCAL lock_timeout = '{SHORT_LOCK_WAIT}'")
                locked.execute(lock, params)
                pick.execute(count, params)
                connection.execute("COMMIT")
                members, number = locked.fetchone(), pick.fetchone()
        except psycopg.Error:
            if connection.info.transaction_status != TransactionStatus.IDLE:
                connection.execute("ROLLBACK")  # what failed left its transaction open
            raise
        return (members[0] if members else None), (number[0] if number else None)

    def _count(self, values: dict[str, Any]) -> bool:
        """SQLite: count the call, copy the number's use into its pools, record the attempt."""
        counted = self.conn.execute(sql.counted(bindparam("number")), values).first()
        if counted is None:
            return False
        self.conn.execute(sql.spread_one(), values | {"calls": counted.calls})
        self.conn.execute(sql.record(), values)
        return True

    def _copy_pool(self, org_id: str, key: str, pool: Pool) -> None:
        """Copy the pool's usable numbers, with their use so far, as ``pool_numbers`` rows."""
        self.conn.execute(sql.drop_pool_rows(), {"org": org_id, "pool_key": key})
        ids = [c.id for c in pool.usable]
        self.ensure_usage_rows(org_id, ids, "")
        rows = []
        for start in range(0, len(ids), 1000):
            used = self.conn.execute(
                sql.usage_of(), {"org": org_id, "ids": ids[start : start + 1000]}
            )
            use = {row.number_id: row for row in used}
            for c in pool.usable[start : start + 1000]:
                day, calls, last = use[c.id].day, use[c.id].calls, use[c.id].last_used_at
                rows.append(
                    {
                        "org_id": org_id,
                        "pool": key,
                        "number_id": c.id,
                        "day": day if last else "",
                        "calls": calls if last else 0,
                        "last_used_at": last or NEVER,
                        "rested_until": c.rested_until,
                        "mandate_ends": c.mandate_ends,
                    }
                )
        for start in range(0, len(rows), 5000):
            self.conn.execute(insert(s.pool_numbers), rows[start : start + 5000])
        self.conn.execute(
            update(s.caller_id_pools)
            .where(s.caller_id_pools.c.org_id == org_id, s.caller_id_pools.c.pool == key)
            .values(members=pool.fingerprint)
        )

    def bump_config_version(self, org_id: str) -> None:
        """Tell every process that the org's call-path configuration changed."""
        self.conn.execute(
            update(s.orgs)
            .where(s.orgs.c.org_id == org_id)
            .values(config_version=s.orgs.c.config_version + 1)
        )


@contextmanager
def _one_attempt_per_call_id(attempt: Attempt | None) -> Iterator[None]:
    """A call id already recorded (a PBX that sent the same call twice) is a 409, with
    nothing counted: the statement that failed counted nothing (O7)."""
    try:
        yield
    except (IntegrityError, UniqueViolation) as exc:
        if attempt is None:
            raise
        raise call_exists(attempt.call_id) from exc


def _values(when: When, attempt: Attempt | None, step: str) -> dict[str, Any]:
    values = {
        "org": when.org_id,
        "today": when.day,
        "day_start": when.day_start,
        "now": when.now,
        "cap": when.cap if when.cap is not None else 2**31 - 1,
    }
    if attempt is not None:
        values |= {
            "call": attempt.call_id,
            "agent": attempt.agent_id,
            "campaign": attempt.campaign_id,
            "callee": attempt.callee,
            "step": step,
        }
    return values

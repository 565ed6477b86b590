"""The outbound call path in the database: the one write per decision, which counts the call
under the daily cap on the number chosen (bound, or in a pool the callee's last caller ID or
the pool's pick), copies its use into the pools that hold the number and records the attempt,
only while the org's config version is the one the decision was made on. The statements are
in ``store/callerid_sql``, built once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg.errors import LockNotAvailable, UniqueViolation
from psycopg.pq import TransactionStatus
from sqlalchemy import (
    Connection,
    bindparam,
    update,
)
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.callerid_index import Pool
from numberdesk.domain.errors import call_exists
from numberdesk.store import callerid_sql as sql
from numberdesk.store import schema as s
from numberdesk.store.db import (
    SHORT_LOCK_WAIT,
    atomic,
    bound,
    is_autocommit,
    lost_connection_is_operational,
    prepared_row,
)
from numberdesk.store.orgs import OrgRepo
from numberdesk.store.pool_copies import PoolCopies, ensure_usage_rows


class PoolNotCopied(Exception):
    """A pick asked not to wait found the pool's copy of its numbers out of date, or its row
    held longer than ``SHORT_LOCK_WAIT`` (another decision renewing the copy): nothing was
    picked or counted."""


@dataclass(frozen=True)
class When:
    """Where and when a decision counts: the org, the moment, the org's day (which daily caps
    count) and the moment it began, the cap (None: no cap), and the config version of the
    index the decision was made on (nothing is written under another)."""

    org_id: str
    now: datetime
    day: str
    day_start: datetime
    cap: int | None
    version: int


@dataclass(frozen=True)
class Taken:
    """What the database made of a decision's choice: the org's config version it saw (if it
    is not the decision's, nothing was written), the number counted (in a dry run, chosen;
    None: nothing eligible, or at its cap), and whether it is the number the callee was shown
    last time (O5)."""

    version: int | None
    number_id: str | None
    sticky: bool = False


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

    def ensure_usage_rows(self, org_id: str, number_ids: Sequence[str], day: str) -> None:
        """Give every number a usage row (done when the index is rebuilt, not per call); safe
        when several processes do it at once."""
        ensure_usage_rows(self.conn, org_id, number_ids, day)

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
        sticky_to: str | None = None,
        copy: bool = True,
    ) -> Taken:
        """The pool's choice (O5): with ``sticky_to`` (the callee of a sticky call), the number
        they were shown last time if it is in the pool and eligible; else the pool's eligible
        number used least today, then least recently. Unless ``attempt`` is None (a dry run),
        the call is counted on it and the attempt recorded; 409 ``call_exists`` when the call
        id was already recorded.

        Picks over the same pool queue on its row, in every process, and each picks only
        after the one before it committed, so the pool stays even (O5); the callee's own
        number needs no turn. The pool's numbers are copied again first when its fingerprint
        changed since the last copy (seconds for a pool of thousands); not ``copy``:
        ``PoolNotCopied`` instead, also when the pool's row stays taken (being copied) past
        ``SHORT_LOCK_WAIT``. On PostgreSQL a counted choice is one round trip when the copy is
        current and the callee's number is chosen or there is none, else two.
        """
        values = values_of(when, attempt, step) | {
            "pool_key": key,
            "fingerprint": pool.fingerprint,
            "sticky": sticky_to is not None,
        }
        values.setdefault("callee", sticky_to or "")
        fast = self.dialect == "postgresql" and attempt is not None and is_autocommit(self.conn)
        with _one_attempt_per_call_id(attempt):
            if fast and sticky_to is not None:
                sticky = sql.count_and_record(choose="sticky")
                taken = taken_of(prepared_row(self.conn, sticky, values))
                if taken.number_id is not None or taken.version != when.version:
                    return replace(taken, sticky=taken.number_id is not None)
            if fast:
                try:
                    members, taken = self._lock_and_count(values, wait=copy)
                except LockNotAvailable as busy:
                    raise PoolNotCopied(key) from busy
                # No row to lock: another process is making it and copying the pool, and the
                # pick may have seen that committed meanwhile; then it counted, and that stands.
                if members == pool.fingerprint or taken.number_id is not None:
                    return taken
                if not copy:  # the pipeline counted nothing: it found no current copy
                    raise PoolNotCopied(key)
            return self._choose_holding_the_pool(key, pool, when, attempt is not None, values, copy)

    def _choose_holding_the_pool(
        self, key: str, pool: Pool, when: When, counts: bool, values: dict[str, Any], copy: bool
    ) -> Taken:
        """``pick`` in one transaction that holds the pool's row (making it on the pool's first
        choice), copies the pool first if need be, then chooses and counts."""
        with atomic(self.conn):
            members = self.conn.execute(sql.lock_pool(self.dialect), values).scalar_one()
            if members != pool.fingerprint:
                if not copy:
                    raise PoolNotCopied(key)
                PoolCopies(self.conn).copy(when.org_id, key, pool)
            version = OrgRepo(self.conn).config_version(when.org_id)
            if version != when.version:
                return Taken(version, None)
            held, head = self.conn.execute(sql.sticky_and_pick(), values).one()
            number_id = held or head
            if counts and number_id and not self._count(values | {"number": number_id}):
                return Taken(version, None)
            return Taken(version, number_id, number_id is not None and number_id == held)

    def count_call(self, number_id: str, when: When, attempt: Attempt, step: str) -> Taken:
        """Count the call on the chosen number, if it is under its daily cap, and record the
        attempt (O6, O7); nothing written when the cap was reached meanwhile or the config
        version moved; 409 ``call_exists`` when the call id was already recorded. One
        statement on PostgreSQL (the count feeds the insert)."""
        values = values_of(when, attempt, step) | {"number": number_id}
        with _one_attempt_per_call_id(attempt):
            if self.dialect == "postgresql":
                taken = taken_of(prepared_row(self.conn, sql.count_and_record(), values))
            else:
                version = OrgRepo(self.conn).config_version(when.org_id)
                counted = version == when.version and self._count(values)
                taken = Taken(version, number_id if counted else None)
        refused = taken.number_id is None and taken.version == when.version
        if refused and self._first_usage_row(when.org_id, number_id, when.day):
            return self.count_call(number_id, when, attempt, step)
        return taken

    def _first_usage_row(self, org_id: str, number_id: str, day: str) -> bool:
        """Make a number's usage row if it has none: the index that holds the number was
        built in a transaction that was then rolled back (a refused request on SQLite), so
        its ``ensure_usage_rows_of_live_numbers`` was undone. True when the row was missing."""
        row = {"org_id": org_id, "number_id": number_id, "day": day, "calls": 0}
        return self.conn.execute(sql.new_usage_rows(self.dialect), row).rowcount == 1

    def _lock_and_count(self, values: dict[str, Any], *, wait: bool) -> tuple[str | None, Taken]:
        """PostgreSQL: take the pool's row, then choose, count and record, in one transaction
        sent as one pipeline (``callerid_sql.lock_and_count``): one round trip. Returns the
        pool's fingerprint as copied, and what was taken (nothing when the copy is not
        current, nothing is eligible or the config version moved). Not ``wait``:
        ``LockNotAvailable`` when the row stays taken past ``SHORT_LOCK_WAIT``."""
        (lock, lock_parameters), (count, count_parameters) = sql.lock_and_count()
        connection: Any = self.conn.connection.driver_connection
        try:
            with (
                lost_connection_is_operational(self.conn, count, values),
                connection.pipeline(),
                connection.cursor() as locked,
                connection.cursor() as pick,
            ):
                connection.execute("BEGIN")
                if not wait:
                    connection.execute(f"SET LOCAL lock_timeout = '{SHORT_LOCK_WAIT}'")
                locked.execute(lock, bound(lock_parameters, values))
                pick.execute(count, bound(count_parameters, values))
                connection.execute("COMMIT")
                members, taken = locked.fetchone(), pick.fetchone()
        except psycopg.Error:
            if connection.info.transaction_status != TransactionStatus.IDLE:
                connection.execute("ROLLBACK")  # what failed left its transaction open
            raise
        return (members[0] if members else None), taken_of(taken)

    def _count(self, values: dict[str, Any]) -> bool:
        """Count the call on the bound number, copy its use into its pools, record the attempt:
        one statement on PostgreSQL, three on SQLite."""
        if self.dialect == "postgresql":
            return (
                taken_of(self.conn.execute(sql.count_and_record(), values).one()).number_id
                is not None
            )
        counted = self.conn.execute(sql.counted(bindparam("number")), values).first()
        if counted is None:
            return False
        self.conn.execute(sql.spread_one(), values | {"calls": counted.calls})
        self.conn.execute(sql.record(), values)
        return True

    def bump_config_version(self, org_id: str) -> int:
        """Tell every process that the org's call-path configuration changed; the new version."""
        version: int = self.conn.execute(
            update(s.orgs)
            .where(s.orgs.c.org_id == org_id)
            .values(config_version=s.orgs.c.config_version + 1)
            .returning(s.orgs.c.config_version)
        ).scalar_one()
        return version


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


def taken_of(row: Any) -> Taken:
    """What a counting statement's one row says: the version it saw, and the number counted."""
    version, number_id = row
    return Taken(version, number_id)


def values_of(when: When, attempt: Attempt | None, step: str) -> dict[str, Any]:
    """What a decision's counting statements are bound with."""
    values = {
        "org": when.org_id,
        "version": when.version,
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

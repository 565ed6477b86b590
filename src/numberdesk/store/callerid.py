"""The outbound call path in the database: the config version, sticky history, the pools'
turns, and the one write per decision (the call counted under the daily cap, and the attempt
it records).

The statements are built once, with bound parameters, so a decision spends no time building
SQL: each one is a few hundred microseconds of round trip and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, case, insert, select, update
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from numberdesk.store import schema as s
from numberdesk.store.db import insert_or


@dataclass(frozen=True)
class Attempt:
    """An outbound attempt to record with the pick (O7); its step is the decision's."""

    org_id: str
    call_id: str
    at: datetime
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
        row = self.conn.execute(_version_and_last_shown(), {"org": org_id, "callee": callee}).one()
        return row[0], row[1]

    def ensure_usage_rows(self, org_id: str, number_ids: Sequence[str], day: str) -> None:
        """Give every number a usage row (done when the index is rebuilt, not per call); safe
        when several processes do it at once."""
        rows = [{"org_id": org_id, "number_id": n, "day": day, "calls": 0} for n in number_ids]
        for start in range(0, len(rows), 5000):
            self.conn.execute(_new_usage_rows(self.dialect), rows[start : start + 5000])

    def take_turn(self, org_id: str, pool: str) -> int:
        """Count one more turn of a pool and return how many turns it had before this one (O5).

        One atomic upsert: concurrent decisions over the same pool queue on its row, so each
        gets its own turn, in every process.
        """
        turns = self.conn.execute(_take_turn(self.dialect), {"org": org_id, "pool": pool})
        return int(turns.scalar_one()) - 1

    def peek_turn(self, org_id: str, pool: str) -> int:
        """How many turns a pool has had (a dry run's pick takes none)."""
        t = s.rotation_turns.c
        query = select(t.turns).where(t.org_id == org_id, t.pool == pool)
        return int(self.conn.execute(query).scalar() or 0)

    def count_call(
        self,
        attempt: Attempt,
        step: str,
        number_id: str,
        caller_id: str,
        day: str,
        cap: int | None,
    ) -> bool:
        """Count the call on the chosen number, if it is under its daily cap, and record the
        attempt (O6, O7); False (nothing written) when the cap was reached meanwhile. One
        statement on PostgreSQL (the count feeds the insert), two in one transaction on SQLite.
        """
        values = {
            "org": attempt.org_id,
            "number": number_id,
            "today": day,
            "cap": cap if cap is not None else 2**31 - 1,
            "at": attempt.at,
            "now": attempt.at,
            "call": attempt.call_id,
            "agent": attempt.agent_id,
            "campaign": attempt.campaign_id,
            "caller_id": caller_id,
            "callee": attempt.callee,
            "step": step,
        }
        if self.dialect == "postgresql":
            recorded = self.conn.execute(_count_and_record(), values).first()
        else:
            recorded = self.conn.execute(_count(), values).first()
            if recorded is not None:
                self.conn.execute(_record(), values)
        if recorded is None and self._first_usage_row(attempt.org_id, number_id, day):
            return self.count_call(attempt, step, number_id, caller_id, day, cap)
        return recorded is not None

    def _first_usage_row(self, org_id: str, number_id: str, day: str) -> bool:
        """Make a number's usage row if it has none yet (a number newer than the index)."""
        row = {"org_id": org_id, "number_id": number_id, "day": day, "calls": 0}
        return self.conn.execute(_new_usage_rows(self.dialect), row).rowcount == 1

    def bump_config_version(self, org_id: str) -> None:
        """Tell every process that the org's call-path configuration changed."""
        self.conn.execute(
            update(s.orgs)
            .where(s.orgs.c.org_id == org_id)
            .values(config_version=s.orgs.c.config_version + 1)
        )


def _calls_today() -> ColumnElement[int]:
    """A number's calls on the day bound as ``today`` (its row counts the day it was last used)."""
    u = s.number_usage.c
    return case((u.day == bindparam("today"), u.calls), else_=0)


@cache
def _version_and_last_shown() -> Executable:
    calls = s.outbound_calls.c
    last = (
        select(calls.number_id)
        .where(calls.org_id == bindparam("org"), calls.callee == bindparam("callee"))
        .order_by(calls.at.desc())
        .limit(1)
        .scalar_subquery()
    )
    version = select(s.orgs.c.config_version).where(s.orgs.c.org_id == bindparam("org"))
    return select(version.scalar_subquery(), last)


@cache
def _new_usage_rows(dialect: str) -> Executable:
    return insert_or(dialect, s.number_usage).on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=["org_id", "number_id"]
    )


@cache
def _take_turn(dialect: str) -> Executable:
    t = s.rotation_turns
    statement = insert_or(dialect, t).values(
        org_id=bindparam("org"), pool=bindparam("pool"), turns=1
    )
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["org_id", "pool"], set_={"turns": t.c.turns + 1}
    ).returning(t.c.turns)


@cache
def _count() -> Any:
    """Count a call on the number bound as ``number`` if it is under ``cap`` today."""
    u = s.number_usage.c
    return (
        update(s.number_usage)
        .where(
            u.org_id == bindparam("org"),
            u.number_id == bindparam("number"),
            _calls_today() < bindparam("cap"),
        )
        .values(calls=_calls_today() + 1, day=bindparam("today"), last_used_at=bindparam("now"))
        .returning(u.number_id)
    )


_COLUMNS = [
    "org_id",
    "id",
    "at",
    "agent_id",
    "campaign_id",
    "number_id",
    "caller_id",
    "callee",
    "step",
]


def _attempt_row() -> Any:
    c = s.outbound_calls.c
    return select(
        bindparam("org", type_=c.org_id.type),
        bindparam("call", type_=c.id.type),
        bindparam("at", type_=c.at.type),
        bindparam("agent", type_=c.agent_id.type),
        bindparam("campaign", type_=c.campaign_id.type),
        bindparam("number", type_=c.number_id.type),
        bindparam("caller_id", type_=c.caller_id.type),
        bindparam("callee", type_=c.callee.type),
        bindparam("step", type_=c.step.type),
    )


@cache
def _record() -> Executable:
    return insert(s.outbound_calls).from_select(_COLUMNS, _attempt_row())


@cache
def _count_and_record() -> Executable:
    counted = _count().cte("counted")
    row = _attempt_row().select_from(counted)
    record = insert(s.outbound_calls).from_select(_COLUMNS, row)
    return record.add_cte(counted).returning(s.outbound_calls.c.id)

"""The outbound call path in the database: the config version, sticky history, and the one
write per decision (the least-used pick under the daily cap, and the attempt it records)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from numberdesk.store import schema as s


@dataclass(frozen=True)
class Attempt:
    """An outbound attempt to record with the pick (O7)."""

    org_id: str
    call_id: str
    at: datetime
    agent_id: str
    campaign_id: str | None
    callee: str
    step: str


class CallerIdRepo:
    """What one outbound decision reads and writes, in as few round trips as possible."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def version_and_last_shown(self, org_id: str, callee: str) -> tuple[int | None, str | None]:
        """The org's config version and the number this callee was last shown, in one query."""
        calls = s.outbound_calls.c
        last = (
            select(calls.number_id)
            .where(calls.org_id == org_id, calls.callee == callee)
            .order_by(calls.at.desc())
            .limit(1)
            .scalar_subquery()
        )
        version = select(s.orgs.c.config_version).where(s.orgs.c.org_id == org_id)
        row = self.conn.execute(select(version.scalar_subquery(), last)).one()
        return row[0], row[1]

    def ensure_usage_rows(self, org_id: str, number_ids: Sequence[str], day: str) -> None:
        """Give every number a usage row (done when the index is rebuilt, not per call); safe
        when several processes do it at once."""
        insert_rows = (sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert)(
            s.number_usage
        ).on_conflict_do_nothing(index_elements=["org_id", "number_id"])
        rows = [{"org_id": org_id, "number_id": n, "day": day, "calls": 0} for n in number_ids]
        for start in range(0, len(rows), 5000):
            self.conn.execute(insert_rows, rows[start : start + 5000])

    def lock_usage(
        self, org_id: str, pool: Sequence[str], day: str
    ) -> dict[str, tuple[int, datetime | None]]:
        """Lock the pool's usage rows (in id order, so concurrent decisions never deadlock)
        and read each number's calls on ``day`` and when it was last used (O5, O6).

        Decisions over the same numbers queue here, so each sees every call counted before
        it: rotation stays exact across processes, unlike an unlocked counter.
        """
        u = s.number_usage.c
        query = (
            select(u.number_id, _calls_on(day), u.last_used_at)
            .where(u.org_id == org_id, u.number_id.in_(pool))
            .order_by(u.number_id)
            .with_for_update()
        )
        rows = self.conn.execute(query).all()
        if len(rows) < len(set(pool)):  # a number the index has but no usage row yet
            self.ensure_usage_rows(org_id, pool, day)
            rows = self.conn.execute(query).all()
        return {str(r[0]): (int(r[1]), r[2]) for r in rows}

    def count_call(self, attempt: Attempt, number_id: str, caller_id: str, day: str) -> None:
        """Count the call on the chosen number and record the attempt (O6, O7): one statement
        on PostgreSQL (the count feeds the insert), two in one transaction on SQLite."""
        u = s.number_usage.c
        counted = (
            update(s.number_usage)
            .where(u.org_id == attempt.org_id, u.number_id == number_id)
            .values(calls=_calls_on(day) + 1, day=day, last_used_at=attempt.at)
        )
        c = s.outbound_calls.c
        row = select(
            literal(attempt.org_id),
            literal(attempt.call_id),
            literal(attempt.at, c.at.type),
            literal(attempt.agent_id),
            literal(attempt.campaign_id, c.campaign_id.type),
            literal(number_id),
            literal(caller_id),
            literal(attempt.callee),
            literal(attempt.step),
        )
        columns = ["org_id", "id", "at", "agent_id", "campaign_id", "number_id", "caller_id"]
        columns += ["callee", "step"]
        if self.conn.dialect.name == "postgresql":
            done = counted.returning(u.number_id).cte("counted")
            record = insert(s.outbound_calls).from_select(columns, row.select_from(done))
            self.conn.execute(record.add_cte(done))
            return
        self.conn.execute(counted)
        self.conn.execute(insert(s.outbound_calls).from_select(columns, row))

    def bump_config_version(self, org_id: str) -> None:
        """Tell every process that the org's call-path configuration changed."""
        self.conn.execute(
            update(s.orgs)
            .where(s.orgs.c.org_id == org_id)
            .values(config_version=s.orgs.c.config_version + 1)
        )


def _calls_on(day: str) -> ColumnElement[int]:
    """A number's calls on ``day`` (its row holds the count of the day it was last used)."""
    u = s.number_usage.c
    return case((u.day == day, u.calls), else_=0)

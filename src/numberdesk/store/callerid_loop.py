"""The outbound call path's one write on the event loop (PostgreSQL): ``CallerIdRepo``'s
counting choice, the same statements sent on the loop's pipeline (``store/pipeline``), for a
decision that never waits for a pool's copy to be renewed (``copy=False``).

A number's usage row is made when the index that holds it is built, which commits at once on
PostgreSQL; so a count refused here is a number at its daily cap (O6).
"""

from __future__ import annotations

from psycopg.errors import LockNotAvailable, UniqueViolation

from numberdesk.domain.callerid_index import Pool
from numberdesk.domain.errors import call_exists
from numberdesk.store import callerid_sql as sql
from numberdesk.store.callerid import Attempt, PoolNotCopied, Taken, When, taken_of, values_of
from numberdesk.store.db import short_lock_wait
from numberdesk.store.pipeline import Pipeline
from numberdesk.store.pipeline_exchange import Rows, Statements


class CallerIdOnLoop:
    """What one outbound decision on the event loop writes: one exchange, or two when the
    callee's number is not chosen first."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def pick(
        self,
        key: str,
        pool: Pool,
        when: When,
        attempt: Attempt,
        step: str,
        *,
        sticky_to: str | None = None,
    ) -> Taken:
        """``CallerIdRepo.pick`` without waiting: ``PoolNotCopied`` when the pool's copy of its
        numbers is out of date or its row stays taken past ``SHORT_LOCK_WAIT``."""
        values = values_of(when, attempt, step) | {
            "pool_key": key,
            "fingerprint": pool.fingerprint,
            "sticky": sticky_to is not None,
        }
        if sticky_to is not None:
            (row,) = await self._exchange(
                attempt, [(sql.count_and_record(choose="sticky"), values)]
            )
            taken = taken_of(row[0])
            if taken.number_id is not None or taken.version != when.version:
                return Taken(taken.version, taken.number_id, taken.number_id is not None)
        statements = [
            (short_lock_wait(), {}),
            (sql.hold_pool(), values),
            (sql.count_and_record(choose="pick"), values),
        ]
        try:
            _, locked, counted = await self._exchange(attempt, statements)
        except LockNotAvailable as busy:
            raise PoolNotCopied(key) from busy
        taken = taken_of(counted[0])
        members = locked[0][0] if locked else None
        if members == pool.fingerprint or taken.number_id is not None:
            return taken
        raise PoolNotCopied(key)  # it counted nothing: the copy is not current

    async def count_call(self, number_id: str, when: When, attempt: Attempt, step: str) -> Taken:
        """``CallerIdRepo.count_call``: counted and recorded, or nothing (the cap reached, or
        the config version moved)."""
        values = values_of(when, attempt, step) | {"number": number_id}
        (row,) = await self._exchange(attempt, [(sql.count_and_record(), values)])
        return taken_of(row[0])

    async def _exchange(self, attempt: Attempt, statements: Statements) -> list[Rows]:
        """The statements' rows; 409 ``call_exists`` when the call id was recorded before."""
        try:
            return await self.pipeline.exchange(statements)
        except UniqueViolation as exc:
            raise call_exists(attempt.call_id) from exc

"""The inbound call path's statements on the event loop (PostgreSQL): ``InboundRepo``'s read
for the caller and its one write, the same statements sent on the loop's pipeline
(``store/pipeline``): one exchange to read, one to write.

A voice call to a company number (I10) is decided on its live calls without holding its row:
they are read with the caller; the write then takes the row, drops the rows that outlived
their end, and records only while the number carries as many live calls as the decision saw
(a compare-and-set, ``inbound_sql.record(guarded=True)``), all in one transaction. When the
count moved meanwhile nothing is written, and the decision is made again holding the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.errors import LockNotAvailable

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.inbox import InboxItem
from numberdesk.store import inbound_sql as sql
from numberdesk.store.db import RowHeld, short_lock_wait
from numberdesk.store.inbound import (
    Admission,
    LookedUp,
    LookUp,
    look_up_values,
    looked_up_of,
    record_values,
)
from numberdesk.store.pipeline import Pipeline
from numberdesk.store.pipeline_exchange import Statements


@dataclass(frozen=True)
class Live:
    """A company number's live calls when the decision read them, and whether rows that
    outlived their end are to be dropped (I10)."""

    number_id: str
    calls: int
    expired: bool


class InboundOnLoop:
    """What one inbound decision on the event loop reads (one exchange) and writes (one)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def read(
        self,
        org_id: str,
        caller: str | None,
        asked: LookUp | None,
        limited: str | None,
        now: datetime,
    ) -> tuple[LookedUp, Live | None]:
        """What ``InboundRepo.looked_up`` reads for the caller (``asked``: None, nothing) and
        the live calls of the ``limited`` number (None: no call limit counts this call)."""
        statements: list[tuple[Any, dict[str, Any]]] = []
        looks = asked is not None and asked.reads(caller)
        if looks and asked is not None:  # (``asked`` again, for the type checker)
            statements.append((sql.looked_up("postgresql"), look_up_values(org_id, caller, asked)))
        if limited is not None:
            statements.append((sql.live_calls(), {"org": org_id, "number": limited, "now": now}))
        if not statements:
            return LookedUp(), None
        rows = await self.pipeline.exchange(statements)
        looked = looked_up_of(rows[0]) if looks else LookedUp()
        if limited is None:
            return looked, None
        live, expired = rows[-1][0]
        return looked, Live(limited, int(live), bool(expired))

    async def record(
        self,
        call: CallRecord,
        admitted: Admission | None,
        item: InboxItem | None,
        timeline: Sequence[TimelineEntry],
        *,
        version: int,
        live: Live | None = None,
    ) -> bool:
        """``InboundRepo.record`` on the pipeline; with ``live``, holding the number's row
        and only while it carries ``live.calls`` live calls. False, nothing written, when
        the call id is taken, the version moved or the live calls did. ``RowHeld`` when the
        number's row stayed taken past ``SHORT_LOCK_WAIT``."""
        values = record_values(call, version, admitted, item, timeline)
        statements: Statements = [(sql.record_all(), values)]
        if live is not None:
            held = {"org": call.org_id, "number": live.number_id, "now": call.at}
            statements = [(short_lock_wait(), {}), (sql.lock_number(), held)]
            if live.expired:
                statements.append((sql.forget_expired(), held))
            statements.append((sql.record_all(guarded=True), values | {"live": live.calls}))
        try:
            rows = await self.pipeline.exchange(statements)
        except LockNotAvailable as busy:
            raise RowHeld(call.number_id or "") from busy
        return bool(rows[-1])

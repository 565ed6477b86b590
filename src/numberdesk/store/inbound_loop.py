"""The inbound call path's statements on the event loop (PostgreSQL): ``InboundRepo``'s read
for the caller and its one write, the same statements sent on the loop's pipeline
(``store/pipeline``). A voice call to a company number is not decided here: its call limit
(I10) holds the number's row across its read, its decision and its write, one transaction
that the pipeline, shared by the decisions of the loop, cannot hold open."""

from __future__ import annotations

from collections.abc import Sequence

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.inbox import InboxItem
from numberdesk.store import inbound_sql as sql
from numberdesk.store.inbound import LookedUp, LookUp, look_up_values, looked_up_of, record_values
from numberdesk.store.orgs import config_version_statement
from numberdesk.store.pipeline import Pipeline


class InboundOnLoop:
    """What one inbound decision on the event loop reads (one exchange) and writes (one)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    async def looked_up(self, org_id: str, caller: str | None, asked: LookUp) -> LookedUp:
        """``InboundRepo.looked_up`` on the pipeline."""
        if not asked.reads(caller):
            return LookedUp()
        values = look_up_values(org_id, caller, asked)
        (rows,) = await self.pipeline.exchange([(sql.looked_up("postgresql"), values)])
        return looked_up_of(rows)

    async def record(
        self,
        call: CallRecord,
        version: int,
        item: InboxItem | None = None,
        timeline: Sequence[TimelineEntry] = (),
    ) -> bool:
        """``InboundRepo.record`` on the pipeline, for a call counted against no limit."""
        values = record_values(call, version, None, item, timeline)
        (rows,) = await self.pipeline.exchange([(sql.record_all(), values)])
        return bool(rows)

    async def config_version(self, org_id: str) -> int | None:
        """The org's config version now."""
        (rows,) = await self.pipeline.exchange([(config_version_statement(), {"org": org_id})])
        version: int | None = rows[0][0]
        return version

"""Inbound calls' events in the database: answered and ended, settled by conditional updates
(I7, I10), and the inbox item that follows the call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.inbox import ItemStatus
from numberdesk.store import schema as s
from numberdesk.store.repo import Repo


class CallRepo(Repo[CallRecord]):
    """Recorded inbound calls, their live-call rows and their inbox items."""

    table = s.inbound_calls
    cls = CallRecord
    entity = "call"

    def answer(self, org_id: str, call_id: str, agent_id: str, at: datetime) -> bool:
        """Mark the call answered if nobody answered it and it has not ended; False otherwise."""
        c = s.inbound_calls.c
        done = self.conn.execute(
            update(s.inbound_calls)
            .where(
                c.org_id == org_id,
                c.id == call_id,
                c.answered_by.is_(None),
                c.ended_at.is_(None),
            )
            .values(answered_by=agent_id, answered_at=at)
        )
        return done.rowcount == 1

    def end(self, org_id: str, call_id: str, at: datetime) -> bool:
        """Mark the call ended if it has not ended yet; False otherwise."""
        c = s.inbound_calls.c
        done = self.conn.execute(
            update(s.inbound_calls)
            .where(c.org_id == org_id, c.id == call_id, c.ended_at.is_(None))
            .values(ended_at=at)
        )
        return done.rowcount == 1

    def release(self, org_id: str, number_id: str, call_id: str) -> None:
        """The call no longer counts against its number's limit (I10)."""
        a = s.inbound_active_calls.c
        self.conn.execute(
            delete(s.inbound_active_calls).where(
                a.org_id == org_id, a.number_id == number_id, a.call_id == call_id
            )
        )

    def item_of(self, org_id: str, call_id: str) -> str | None:
        """The id of the call's inbox item, if it opened one."""
        i = s.inbox_items.c
        query = select(i.id).where(i.org_id == org_id, i.call_id == call_id).limit(1)
        found: str | None = self.conn.execute(query).scalar()
        return found

    def item_answered(self, org_id: str, call_id: str, agent_id: str) -> None:
        """The call's item becomes the answering agent's, visible to them only (I7), unless an
        agent already claimed it."""
        i = s.inbox_items.c
        self.conn.execute(
            update(s.inbox_items)
            .where(
                i.org_id == org_id,
                i.call_id == call_id,
                i.status.in_([ItemStatus.RINGING, ItemStatus.UNCLAIMED]),
                i.owner_id.is_(None),
            )
            .values(status=ItemStatus.ANSWERED, owner_id=agent_id)
        )

    def item_missed(self, org_id: str, call_id: str) -> None:
        """A call that ended still ringing: its item waits, unclaimed, for every selected
        agent (I7)."""
        i = s.inbox_items.c
        self.conn.execute(
            update(s.inbox_items)
            .where(i.org_id == org_id, i.call_id == call_id, i.status == ItemStatus.RINGING)
            .values(status=ItemStatus.UNCLAIMED)
        )

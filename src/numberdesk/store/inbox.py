"""The inbox in the database: items, the agents they were offered to, and the claim (I7, I8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select, update

from numberdesk.domain.inbox import ClaimAction, InboxItem, ItemStatus
from numberdesk.store import schema as s
from numberdesk.store.records import dump, load
from numberdesk.store.repo import Repo
from numberdesk.store.uow import Transaction


class InboxRepo(Repo[InboxItem]):
    """Inbox items with their selected agents (``inbox_agents``)."""

    table = s.inbox_items
    cls = InboxItem
    entity = "inbox_item"

    def add(self, entity: InboxItem) -> InboxItem:
        """Insert the item and the agents it is offered to."""
        self.conn.execute(insert(s.inbox_items).values(dump(entity, s.inbox_items)))
        rows = [
            {"org_id": entity.org_id, "item_id": entity.id, "agent_id": a} for a in entity.selected
        ]
        if rows:
            self.conn.execute(insert(s.inbox_agents), rows)
        return entity

    def get(self, org_id: str, id_: str) -> InboxItem | None:
        """The item with its selected agents, or None."""
        found = super().get(org_id, id_)
        return self._with_agents(org_id, [found])[0] if found else None

    def visible_to(self, org_id: str, agent_id: str, limit: int) -> list[InboxItem]:
        """The agent's inbox, newest first: unclaimed items offered to them, and the items
        they answered or claimed (I7, I8)."""
        i, a = s.inbox_items.c, s.inbox_agents.c
        offered = select(a.item_id).where(a.org_id == org_id, a.agent_id == agent_id)
        query = (
            select(s.inbox_items)
            .where(
                i.org_id == org_id,
                or_(
                    (i.status == ItemStatus.UNCLAIMED) & i.id.in_(offered),
                    i.status.in_([ItemStatus.ANSWERED, ItemStatus.CLAIMED])
                    & (i.owner_id == agent_id),
                ),
            )
            .order_by(i.at.desc(), i.id.desc())
            .limit(limit)
        )
        found = [load(InboxItem, row) for row in self.conn.execute(query)]
        return self._with_agents(org_id, found)

    def claim(self, item: InboxItem, agent_id: str, action: ClaimAction, at: datetime) -> bool:
        """Make the item the agent's if it is still unclaimed; False if another won (I8).

        One conditional UPDATE: concurrent claims queue on the row, and only the first finds
        it unclaimed, on PostgreSQL as on SQLite.
        """
        i = s.inbox_items.c
        done = self.conn.execute(
            update(s.inbox_items)
            .where(
                i.org_id == item.org_id,
                i.id == item.id,
                i.status == ItemStatus.UNCLAIMED,
                i.owner_id.is_(None),
            )
            .values(
                status=ItemStatus.CLAIMED, owner_id=agent_id, claim_action=action, claimed_at=at
            )
        )
        return done.rowcount == 1

    def _with_agents(self, org_id: str, found: list[InboxItem]) -> list[InboxItem]:
        if not found:
            return found
        a = s.inbox_agents.c
        query = select(a.item_id, a.agent_id).where(
            a.org_id == org_id, a.item_id.in_([f.id for f in found])
        )
        agents: dict[str, list[str]] = {}
        for item_id, agent_id in self.conn.execute(query.order_by(a.agent_id)):
            agents.setdefault(item_id, []).append(agent_id)
        for item in found:
            item.selected = agents.get(item.id, [])
        return found


def inbox(tx: Transaction) -> InboxRepo:
    """The inbox of the transaction."""
    return InboxRepo(tx.conn)

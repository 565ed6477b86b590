"""The inbox in the database: items, the agents they were offered to, and the claim (I7, I8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, or_, select, update

from numberdesk.domain.inbox import InboxItem, ItemStatus
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
        self.conn.execute(insert(s.inbox_items), dump(entity, s.inbox_items))
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

    def visible_to(
        self, org_id: str, agent_id: str, rang_out: datetime, limit: int
    ) -> list[InboxItem]:
        """The agent's inbox, newest first: unclaimed items offered to them (with calls still
        ringing that began at or before ``rang_out``: see ``domain.inbox.as_of``), and the
        items they answered or claimed (I7, I8)."""
        i, a = s.inbox_items.c, s.inbox_agents.c
        offered = select(a.item_id).where(a.org_id == org_id, a.agent_id == agent_id)
        missed = (i.status == ItemStatus.UNCLAIMED) | (
            (i.status == ItemStatus.RINGING) & (i.at <= rang_out)
        )
        query = (
            select(s.inbox_items)
            .where(
                i.org_id == org_id,
                or_(
                    missed & i.id.in_(offered),
                    i.status.in_([ItemStatus.ANSWERED, ItemStatus.CLAIMED])
                    & (i.owner_id == agent_id),
                ),
            )
            .order_by(i.at.desc(), i.id.desc())
            .limit(limit)
        )
        found = [load(InboxItem, row) for row in self.conn.execute(query)]
        return self._with_agents(org_id, found)

    def claim(self, before: InboxItem, after: InboxItem) -> bool:
        """Write the claim if the item is still as the agent found it; False if it moved (I8)."""
        # One conditional UPDATE: concurrent claims queue on the row and only the first still
        # finds it unclaimed (owner none) or, for the owner, answered or claimed without a
        # contact (owner = the acting agent), on PostgreSQL as on SQLite.
        i = s.inbox_items.c
        owner = i.owner_id.is_(None) if before.owner_id is None else i.owner_id == after.owner_id
        done = self.conn.execute(
            update(s.inbox_items)
            .where(
                i.org_id == before.org_id,
                i.id == before.id,
                i.status == before.status,
                owner,
                i.contact_id.is_(None),
            )
            .values(
                status=after.status,
                owner_id=after.owner_id,
                claim_action=after.claim_action,
                claimed_at=after.claimed_at,
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

"""The audit trail in the database (rule A3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from numberdesk.domain.audit import AuditEntry
from numberdesk.store import schema as s
from numberdesk.store.records import dump
from numberdesk.store.repo import Repo

Change = tuple[int, str, str]  # the config version it moved the org to, entity, entity id


class AuditRepo(Repo[AuditEntry]):
    """Audit entries, newest last."""

    table = s.audit_entries
    cls = AuditEntry
    entity = "audit_entry"

    def _select(self) -> Select[Any]:
        """An entry's own columns (its config version is read only by ``changes``)."""
        return select(*(c for c in self.table.c if c.name != "config_version"))

    def record(self, entry: AuditEntry, config_version: int | None) -> None:
        """Insert an entry, with the config version its change moved the org to (if any)."""
        values = dump(entry, self.table) | {"config_version": config_version}
        self.conn.execute(self.table.insert().values(values))

    def changes(self, org_id: str, after: int, upto: int, *, limit: int) -> list[Change]:
        """The call-path changes that moved the org past version ``after`` up to ``upto``, in
        version order; at most ``limit`` (+1 to tell that there were more)."""
        t = s.audit_entries.c
        query = (
            select(t.config_version, t.entity, t.entity_id)
            .where(t.org_id == org_id, t.config_version > after, t.config_version <= upto)
            .order_by(t.config_version)
            .limit(limit + 1)
        )
        return [(row[0], row[1], row[2]) for row in self.conn.execute(query)]

    def page(
        self,
        org_id: str,
        *,
        entity: str | None,
        entity_id: str | None,
        after: str | None,
        limit: int,
    ) -> list[AuditEntry]:
        """A page of entries, optionally for one kind of object or one object."""
        t = s.audit_entries.c
        where = []
        if entity:
            where.append(t.entity == entity)
        if entity_id:
            where.append(t.entity_id == entity_id)
        return self._page(org_id, *where, after=after, limit=limit)

"""The audit trail in the database (rule A3)."""

from __future__ import annotations

from numberdesk.domain.audit import AuditEntry
from numberdesk.store import schema as s
from numberdesk.store.repo import Repo


class AuditRepo(Repo[AuditEntry]):
    """Audit entries, newest last."""

    table = s.audit_entries
    cls = AuditEntry
    entity = "audit_entry"

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

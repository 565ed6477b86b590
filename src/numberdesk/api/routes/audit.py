"""The audit trail (rule A3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.schemas import MANAGER, ListOf
from numberdesk.domain.audit import AuditEntry
from numberdesk.services import audit

router = APIRouter(tags=["audit"])


class AuditOut(BaseModel):
    """One change: who, when, what, before and after."""

    id: str
    at: datetime
    actor_user_id: str | None
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditOut:
        """The API view of an entry."""
        return cls(**{k: getattr(entry, k) for k in cls.model_fields})


@router.get("/v1/audit", response_model=ListOf[AuditOut], description=MANAGER)
def read_audit(
    desk: DeskDep,
    actor: ActorDep,
    entity: str | None = Query(None, description="number, group, campaign, user, api_key, ..."),
    entity_id: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOf[AuditOut]:
    """Read the audit trail, oldest first."""
    page = audit.list_audit(
        desk, actor, entity=entity, entity_id=entity_id, cursor=cursor, limit=limit
    )
    return ListOf[AuditOut](items=[AuditOut.of(e) for e in page.items], next=page.next)

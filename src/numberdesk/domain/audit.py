"""The audit trail (rule A3): who changed what, when, before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AuditEntry:
    """One change of one object."""

    org_id: str
    id: str
    at: datetime
    actor_user_id: str | None
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

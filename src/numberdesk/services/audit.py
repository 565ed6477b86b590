"""Writing and reading the audit trail (rule A3)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from numberdesk.domain.audit import AuditEntry
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Number
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.desk import Desk
from numberdesk.services.paging import Page, page_of
from numberdesk.store.callerid import CallerIdRepo
from numberdesk.store.uow import Transaction

HIDDEN = frozenset({"key_hash"})


def snapshot(entity: object | None) -> dict[str, Any] | None:
    """A JSON-safe picture of a domain object for the before/after of an entry."""
    if entity is None:
        return None
    if dataclasses.is_dataclass(entity) and not isinstance(entity, type):
        raw = dataclasses.asdict(entity)
    else:
        raw = dict(entity)  # type: ignore[call-overload]
    return {k: _json_safe(v) for k, v in raw.items() if k not in HIDDEN}


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    return value


def record(
    tx: Transaction,
    at: datetime,
    actor: Actor | None,
    entity: str,
    entity_id: str,
    action: str,
    before: object | None = None,
    after: object | None = None,
    *,
    org_id: str | None = None,
) -> AuditEntry:
    """Write one audit entry inside the transaction that makes the change."""
    org = org_id or (actor.org_id if actor else None)
    assert org is not None, "an audit entry needs an org"
    entry = AuditEntry(
        org_id=org,
        id=new_id("aud"),
        at=at,
        actor_user_id=actor.user_id if actor else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=snapshot(before),
        after=snapshot(after),
    )
    version = None
    if _moves_call_path(entity, action):
        version = tx.bumped_orgs.get(org)
        if version is None:  # processes refresh their index from the entries past theirs
            version = tx.bumped_orgs[org] = CallerIdRepo(tx.conn).bump_config_version(org)
    tx.audit.record(entry, version)
    return entry


def _moves_call_path(entity: str, action: str) -> bool:
    """Whether a change can alter a call-path decision's configuration (not presence or keys)."""
    return entity != "api_key" and not (entity == "user" and action == "presence")


def list_audit(
    desk: Desk,
    actor: Actor,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[AuditEntry]:
    """Read the audit trail, oldest first (owners and admins)."""
    require_manager(actor, "read the audit trail")
    with desk.store.transaction() as tx:
        rows = tx.audit.page(
            actor.org_id, entity=entity, entity_id=entity_id, after=cursor, limit=limit + 1
        )
    return page_of(rows, limit)


def picture(number: Number, mapped: list[str]) -> dict[str, Any]:
    """A number's before/after for the audit trail, with its mapped area codes (A3)."""
    return {**(snapshot(number) or {}), "mapped_area_codes": list(mapped)}

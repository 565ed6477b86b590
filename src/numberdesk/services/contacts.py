"""Contacts from the CRM (I4, I9): upsert by the CRM's id, read with the timeline, find by phone.

Contacts are synced often, so changes are not audited (they would also move the call-path
config version); the timeline is their history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from numberdesk.domain.contacts import (
    Contact,
    TimelineEntry,
    check_contact_tags,
    check_external_id,
    check_phone_count,
    check_source,
)
from numberdesk.domain.errors import Conflict, invalid_field, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, check_name, require_manager
from numberdesk.domain.phones import parse_phone
from numberdesk.services.desk import Desk
from numberdesk.store.contacts import contacts, timelines
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class ContactView:
    """A contact with its newest timeline entries."""

    contact: Contact
    timeline: list[TimelineEntry]


def put_contact(
    desk: Desk, actor: Actor, external_id: str, fields: dict[str, Any]
) -> tuple[ContactView, bool]:
    """Create or replace the contact the CRM knows by ``external_id`` (owners and admins);
    ``source`` and ``tags`` change only when given. True when it was created."""
    require_manager(actor, "change contacts")
    external_id = check_external_id(external_id)
    now = desk.now()
    with desk.store.transaction() as tx:
        country = tx.orgs.require(actor.org_id).country
        changes = _clean(tx, actor.org_id, country, fields)
        before, after = _put(tx, actor.org_id, external_id, changes, now)
        timeline = timelines(tx).of_contact(actor.org_id, after.id)
    return ContactView(after, timeline), before is None


def _put(
    tx: Transaction, org_id: str, external_id: str, changes: dict[str, Any], now: datetime
) -> tuple[Contact | None, Contact]:
    """The contact before and after the change, written: created, or changed under its row's
    lock. When a request of the same moment creates it first, the insert waits for that one
    and writes nothing, and the change is made again on what it created."""
    for _ in range(2):
        before = contacts(tx).by_external_id(org_id, external_id, lock=True)
        base = before or Contact(org_id, new_id("con"), external_id, "", "", now, now)
        after = replace(base, **changes, updated_at=now)
        if contacts(tx).put(after, new=before is None):
            return before, after
    raise Conflict(  # created and then deleted meanwhile: contacts are not deleted today
        "contact_changed_concurrently",
        f"Contact {external_id!r} was changed by another request at the same moment; "
        "send this one again.",
    )


def get_contact(desk: Desk, actor: Actor, external_id: str) -> ContactView:
    """Read one contact with its timeline (any user)."""
    with desk.store.transaction() as tx:
        found = contacts(tx).by_external_id(actor.org_id, external_id)
        if found is None:
            raise not_found("contact", external_id)
        return ContactView(found, timelines(tx).of_contact(actor.org_id, found.id))


def contacts_with_phone(desk: Desk, actor: Actor, phone: str) -> list[Contact]:
    """Every contact with this phone, oldest first (any user)."""
    with desk.store.transaction() as tx:
        country = tx.orgs.require(actor.org_id).country
        e164 = parse_phone(phone, country, field="phone").e164
        return contacts(tx).with_phone(actor.org_id, e164)


def _clean(tx: Transaction, org_id: str, country: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Validated fields: name, phones in E.164, a live agent of the org, source and tags."""
    phones = [
        parse_phone(raw, country, field=f"phones[{i}]").e164
        for i, raw in enumerate(fields.get("phones") or [])
    ]
    clean: dict[str, Any] = {
        "name": check_name(fields.get("name") or ""),
        "phones": check_phone_count(phones),
        "primary_agent_id": _agent(tx, org_id, fields.get("primary_agent_id") or ""),
    }
    if "source" in fields:
        clean["source"] = check_source(fields["source"])
    if "tags" in fields:
        clean["tags"] = check_contact_tags(list(fields["tags"] or []))
    return clean


def _agent(tx: Transaction, org_id: str, user_id: str) -> str:
    user = tx.users.get(org_id, user_id) if user_id else None
    if user is None or user.deleted_at is not None:
        raise invalid_field(
            "primary_agent_id", f"no user {user_id!r} in your organisation; give a user's id"
        )
    return user.id

"""The inbox (rules I7, I8, I9, S3): read it, and act on an item (the first action claims it).

Who may act, and what a second action gets, is the domain's (``domain.inbox``); here each
action is one transaction whose conditional UPDATE settles every race.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from numberdesk.domain.contacts import Contact, TimelineEntry, with_link
from numberdesk.domain.errors import Conflict, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.inbox import (
    ClaimAction,
    InboxItem,
    as_of,
    check_claim,
    claim_refused,
    claimed,
)
from numberdesk.domain.orgs import Actor
from numberdesk.services.desk import Desk
from numberdesk.store.contacts import contacts, timelines
from numberdesk.store.inbox import inbox
from numberdesk.store.uow import Transaction


def open_item(tx: Transaction, item: InboxItem) -> InboxItem:
    """Put a company number's call or text in the inbox of the agents it was offered to."""
    return inbox(tx).add(item)


def list_inbox(desk: Desk, actor: Actor, limit: int = 50) -> list[InboxItem]:
    """The caller's own inbox, newest first (A2: every user sees only their items)."""
    rang_out = _rang_out(desk, desk.now())
    with desk.store.transaction() as tx:
        found = inbox(tx).visible_to(actor.org_id, actor.user_id, rang_out, limit)
    return [as_of(item, rang_out) for item in found]


def _rang_out(desk: Desk, now: datetime) -> datetime:
    """Calls that began at or before this have ended, reported or not (I10)."""
    return now - timedelta(minutes=desk.settings.max_call_minutes)


def claim_item(
    desk: Desk,
    actor: Actor,
    item_id: str,
    action: ClaimAction,
    contact_external_id: str | None = None,
) -> InboxItem:
    """Record an agent's action on an item: claims it if first (I7, I8); contacts get I9."""
    now = desk.now()
    with desk.store.transaction() as tx:
        stored = inbox(tx).get(actor.org_id, item_id)
        if stored is None:
            raise not_found("inbox_item", item_id)
        item = as_of(stored, _rang_out(desk, now))
        contact_external_id = check_claim(item, actor.user_id, action, contact_external_id)
        after = claimed(item, actor.user_id, action, now)
        if not inbox(tx).claim(stored, after):
            raise claim_refused(inbox(tx).get(actor.org_id, item_id) or item, actor.user_id)
        contact = _contact_for(tx, item, actor, action, contact_external_id, now)
        if contact is not None:
            after = replace(after, contact_id=contact.id)
            inbox(tx).save(after)
    return after


def _contact_for(
    tx: Transaction,
    item: InboxItem,
    actor: Actor,
    action: ClaimAction,
    external_id: str | None,
    now: datetime,
) -> Contact | None:
    """The contact an unknown caller becomes (create) or joins (link), with a timeline entry."""
    if action is ClaimAction.CREATE_CONTACT:
        contact = Contact(
            org_id=item.org_id,
            id=new_id("con"),
            external_id=external_id or f"numberdesk-{item.id}",
            name=item.caller,
            primary_agent_id=actor.user_id,
            created_at=now,
            updated_at=now,
            source=item.source,
            tags=[item.tag] if item.tag else [],
            phones=[item.caller],
        )
        if not contacts(tx).put(contact, new=True):  # the CRM id is taken
            raise Conflict(
                "contact_exists",
                f"The CRM already has contact {contact.external_id!r}; link the caller to it "
                "with link_contact, or give a new contact_external_id.",
            )
    elif action is ClaimAction.LINK_CONTACT:
        found = contacts(tx).by_external_id(item.org_id, external_id or "", lock=True)
        if found is None:
            raise not_found("contact", external_id or "")
        contact = with_link(found, item.source, item.tag)
        contact.phones = list(dict.fromkeys([*contact.phones, item.caller]))
        contact.updated_at = now
        contacts(tx).put(contact, new=False)
    else:
        return None
    what = "created from" if action is ClaimAction.CREATE_CONTACT else "linked to"
    timelines(tx).add(
        TimelineEntry(
            item.org_id,
            new_id("tle"),
            contact.id,
            now,
            f"{item.channel}_{action.value}",
            f"Contact {what} the {item.channel} from {item.caller} by agent {actor.user_id}",
            item.call_id,
        )
    )
    return contact

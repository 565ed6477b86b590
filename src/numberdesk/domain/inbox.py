"""The inbox (rules I7, I8, I9, S3): missed calls and texts waiting for one agent to follow up.

An item belongs to the agents the inbound decision selected. Answered, it is the answering
agent's alone (I7), and their first follow-up action claims it for them. Not answered (or a
text, S3), it is visible to every selected agent and ``unclaimed`` until one of them claims it
with their first action; exactly one claim wins (I8), which the database settles. The owner of
a claimed item may still make its contact (I9) if the claim did not: an agent who called back
then saves the caller. Any other second action (a repeated call or text back, a second contact)
is 409 ``already_claimed`` telling them the item is already theirs: a retried claim never
counts twice, and the claim keeps recording the first action (I8).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.contacts import check_external_id
from numberdesk.domain.errors import Conflict, Forbidden, Problem, invalid_field


class ItemStatus(StrEnum):
    """Where an inbox item is in its life."""

    RINGING = "ringing"  # the call is still being offered; not in anyone's inbox yet
    ANSWERED = "answered"  # the answering agent's alone (I7)
    UNCLAIMED = "unclaimed"  # missed call or text: every selected agent sees it (I7, S3)
    CLAIMED = "claimed"  # one agent acted first (I8)


class ClaimAction(StrEnum):
    """A follow-up action on an item; the first one claims it (I8)."""

    CALL_BACK = "call_back"
    TEXT_BACK = "text_back"
    CREATE_CONTACT = "create_contact"
    LINK_CONTACT = "link_contact"


@dataclass
class InboxItem:
    """One inbound call or text of a company number, and who may follow it up."""

    org_id: str
    id: str
    call_id: str
    number_id: str
    caller: str
    channel: str
    at: datetime
    status: ItemStatus
    selected: list[str] = field(default_factory=list)  # agent ids (inbox_agents)
    owner_id: str | None = None  # the answering or claiming agent
    claim_action: ClaimAction | None = None
    claimed_at: datetime | None = None
    contact_id: str | None = None
    source: str | None = None  # the company number's, for contacts made from it (I9)
    tag: str | None = None


def as_of(item: InboxItem, rang_out: datetime) -> InboxItem:
    """The item as agents see it: a call still ringing when it began at or before
    ``rang_out`` (the longest a call may last, I10) ended unanswered though the PBX never
    said so, and is a missed call (I7)."""
    if item.status is ItemStatus.RINGING and item.at <= rang_out:
        return replace(item, status=ItemStatus.UNCLAIMED)
    return item


CONTACT_ACTIONS = frozenset({ClaimAction.CREATE_CONTACT, ClaimAction.LINK_CONTACT})


def check_claim(
    item: InboxItem, agent_id: str, action: ClaimAction, contact: str | None
) -> str | None:
    """Refuse an action the agent may not record on the item as it stands (I7, I8, I9);
    the CRM id of the contact it names, cleaned."""
    if not _may_act(item, agent_id, action):
        raise claim_refused(item, agent_id)
    if action is ClaimAction.LINK_CONTACT and not contact:
        raise invalid_field("contact_external_id", "give the CRM id of the contact to link to")
    return None if contact is None else check_external_id(contact, "contact_external_id")


def _may_act(item: InboxItem, agent_id: str, action: ClaimAction) -> bool:
    """Selected agents if unclaimed; the owner if answered, or claimed and lacking its contact."""
    if item.status is ItemStatus.UNCLAIMED:
        return agent_id in item.selected
    if item.owner_id != agent_id:
        return False
    if item.status is ItemStatus.ANSWERED:
        return True
    return item.status is ItemStatus.CLAIMED and action in CONTACT_ACTIONS and not item.contact_id


def claimed(item: InboxItem, agent_id: str, action: ClaimAction, at: datetime) -> InboxItem:
    """The item once the action is recorded: the agent's, claimed by its first action (I8)."""
    if item.status is ItemStatus.CLAIMED:
        return item
    return replace(
        item, status=ItemStatus.CLAIMED, owner_id=agent_id, claim_action=action, claimed_at=at
    )


def claim_refused(item: InboxItem, agent_id: str) -> Problem:
    """Why the agent may not act on the item as it now stands, in their terms (I7, I8)."""
    what = f"the {item.channel} from {item.caller}"
    if item.owner_id == agent_id:
        return _already_yours(item, what)
    if agent_id not in item.selected:
        return Forbidden(
            "not_selected",
            "Only the agents this call or text was offered to can claim it (rule I8).",
        )
    if item.status is ItemStatus.RINGING:
        return Conflict(
            "still_ringing",
            f"{what.capitalize()} is still ringing: answer it, or claim it once it ends "
            "unanswered (rule I7).",
        )
    if item.status is ItemStatus.ANSWERED:
        return Conflict(
            "already_claimed",
            f"Another agent answered {what}; only they can follow it up (rule I7).",
        )
    return Conflict(
        "already_claimed",
        f"Another agent already followed up {what} (rule I8); it has left your inbox.",
    )


def _already_yours(item: InboxItem, what: str) -> Conflict:
    """The 409 for an owner whose action would add nothing to their claimed item (I8, I9)."""
    if item.contact_id:
        more = f"its contact ({item.contact_id}) is already made"
    else:
        more = "only create_contact or link_contact can still be recorded on it (rule I9)"
    return Conflict(
        "already_claimed",
        f"You already claimed {what} with {item.claim_action} (rule I8); it stays yours, and "
        f"{more}.",
    )

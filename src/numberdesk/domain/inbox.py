"""The inbox (rules I7, I8, S3): missed calls and texts waiting for one agent to follow up.

An item belongs to the agents the inbound decision selected. Answered, it is the answering
agent's alone (I7). Not answered (or a text, S3), it is visible to every selected agent and
``unclaimed`` until one of them claims it with their first action; exactly one claim wins
(I8), which the database settles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from numberdesk.domain.errors import Conflict, Forbidden, invalid_field


class ItemStatus(StrEnum):
    """Where an inbox item is in its life."""

    RINGING = "ringing"  # the call is still being offered; not in anyone's inbox yet
    ANSWERED = "answered"  # the answering agent's alone (I7)
    UNCLAIMED = "unclaimed"  # missed call or text: every selected agent sees it (I7, S3)
    CLAIMED = "claimed"  # one agent acted first (I8)


class ClaimAction(StrEnum):
    """The first action of an agent on an unclaimed item (I8)."""

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


def visible_to(item: InboxItem, agent_id: str) -> bool:
    """Whether the agent sees the item in their inbox (I7, I8)."""
    if item.status is ItemStatus.UNCLAIMED:
        return agent_id in item.selected
    if item.status in (ItemStatus.ANSWERED, ItemStatus.CLAIMED):
        return item.owner_id == agent_id
    return False


def check_claim(item: InboxItem, agent_id: str, action: ClaimAction, contact: str | None) -> None:
    """Refuse a claim that can never succeed: not selected, not unclaimed, or a link without a
    contact (I8). The race between selected agents is settled by the database."""
    if agent_id not in item.selected:
        raise Forbidden(
            "not_selected",
            "Only the agents this call or text was offered to can claim it (rule I8).",
        )
    if item.status is not ItemStatus.UNCLAIMED:
        raise already_claimed(item)
    if action is ClaimAction.LINK_CONTACT and not contact:
        raise invalid_field("contact_external_id", "give the CRM id of the contact to link to")


def already_claimed(item: InboxItem) -> Conflict:
    """The 409 for every claim after the first (I8)."""
    return Conflict(
        "already_claimed",
        f"Another agent already followed up the {item.channel} from {item.caller} (rule I8); "
        "it has left your inbox.",
    )

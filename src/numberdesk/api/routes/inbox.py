"""The inbox: missed calls and texts of company numbers, and the claim (I7, I8, I9, S3)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.schemas import ANY_USER, Body
from numberdesk.domain.inbox import ClaimAction, InboxItem
from numberdesk.services import inbox

router = APIRouter(tags=["inbox"])


class ItemOut(BaseModel):
    """One call or text to follow up."""

    id: str
    call_id: str
    number_id: str
    caller: str
    channel: str
    at: datetime
    status: str
    owner_id: str | None
    claim_action: str | None
    contact_id: str | None


class InboxOut(BaseModel):
    """The caller's inbox, newest first."""

    items: list[ItemOut]
    next: str | None = None


class ClaimIn(Body):
    """An action on an item: the first one claims it."""

    action: ClaimAction
    contact_external_id: str | None = Field(
        default=None, max_length=200, description="The contact to create or link (CRM id)."
    )


def _out(item: InboxItem) -> ItemOut:
    return ItemOut(**{k: getattr(item, k) for k in ItemOut.model_fields})


@router.get("/v1/inbox", response_model=InboxOut, description=ANY_USER + " Only your own items.")
def list_inbox(
    desk: DeskDep,
    actor: ActorDep,
    limit: int = Query(50, ge=1, le=500, description="How many items (max 500)."),
) -> InboxOut:
    """Read your inbox: unclaimed items offered to you and those you answered or claimed."""
    return InboxOut(items=[_out(i) for i in inbox.list_inbox(desk, actor, limit)])


@router.post(
    "/v1/inbox/{item_id}/claim",
    response_model=ItemOut,
    description=ANY_USER
    + " Your first action on an unclaimed item offered to you (403 `not_selected` otherwise),"
    " or on a call you answered, claims it; 409 `already_claimed` when another agent answered"
    " or claimed it first, or when it is already yours (then only a contact it lacks can still"
    " be created or linked); 409 `still_ringing` before the call ends.",
)
def claim_item(item_id: str, body: ClaimIn, desk: DeskDep, actor: ActorDep) -> ItemOut:
    """Act on an item: your first action claims it; exactly one agent wins."""
    claimed = inbox.claim_item(desk, actor, item_id, body.action, body.contact_external_id)
    return _out(claimed)

"""Call events from the PBX: an inbound call was answered, or ended (rules I7, I10)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.schemas import Body
from numberdesk.domain.calls import EventType
from numberdesk.services import calls

router = APIRouter(tags=["decisions"])
ROLE = (
    "Role: owner or admin (the PBX's key). 404 `call_not_found` for a call id no inbound "
    "decision gave; `answered` needs the `agent_id` of a user of the org (422 `not_selected` "
    "when the call was offered to other agents; 409 `already_answered` the second time); "
    "409 `call_ended` for any event after `ended`."
)


class EventIn(Body):
    """What happened to the call."""

    type: EventType = Field(description="`answered` (with `agent_id`) or `ended`.")
    agent_id: str | None = Field(
        None, max_length=64, description="For `answered`: the agent who took the call."
    )


class CallOut(BaseModel):
    """The call as the events left it."""

    call_id: str
    status: str = Field(description="ringing, answered or ended.")
    answered_by: str | None
    answered_at: datetime | None
    ended_at: datetime | None
    inbox_item_id: str | None


@router.post("/v1/calls/{call_id}/events", response_model=CallOut, description=ROLE)
def report_event(call_id: str, body: EventIn, desk: DeskDep, actor: ActorDep) -> CallOut:
    """Report that an inbound call was answered by an agent, or ended."""
    view = calls.report_event(desk, actor, call_id, body.type, body.agent_id)
    call = view.call
    return CallOut(
        call_id=call.id,
        status=call.status.value,
        answered_by=call.answered_by,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        inbox_item_id=view.inbox_item_id,
    )

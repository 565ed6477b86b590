"""The inbound half of the call path: who gets a call or text to one of our numbers (I1-I12)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from numberdesk.api.call_path import AUTHORIZATION, decided
from numberdesk.api.schemas import Body, TraceOut
from numberdesk.domain.inbound import Channel
from numberdesk.services import inbound

router = APIRouter(tags=["decisions"])
ROLE = (
    "Role: owner or admin (the PBX's key). Every decision is recorded with its `call_id`; the "
    "PBX then reports `answered` and `ended` to `POST /v1/calls/{call_id}/events`. 422 on "
    "`to` when it is not a phone number; a `from` that is empty, `anonymous` or not a phone "
    "number is a withheld caller. 409 `call_exists` when the `call_id` was decided before."
)


class InboundIn(Body):
    """One inbound call or text that just arrived."""

    to: str = Field(
        examples=["+12125550100"],
        max_length=64,
        description="Our number that was called; national input is read with the org's country.",
    )
    from_: str | None = Field(
        None,
        alias="from",
        max_length=64,
        examples=["+13055550142"],
        description="The caller; empty, `anonymous` or not a phone number: withheld.",
    )
    channel: Channel = Field(Channel.VOICE, description="`voice` (default) or `sms` (rule S3).")
    call_id: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[^/\s]+$",
        description="The PBX's call id (no slashes or spaces); made up when absent.",
    )


class TargetOut(BaseModel):
    """Where it goes: an agent's extension (`uri`) or phone (`number`), a queue, a custom
    destination, an external number, or a voicemail box (`email`, `greeting_url`)."""

    type: str
    agent_id: str | None = None
    uri: str | None = None
    number: str | None = None
    email: str | None = None
    greeting_url: str | None = None
    queue_id: str | None = None
    destination_id: str | None = None


class InboundOut(BaseModel):
    """The action, its targets, the reason and the trace (rule I12). Company numbers add
    `selected`, `known_caller` and `rule`; `inbox_item_id` is there when an unknown caller's
    call or text waits in the selected agents' inbox (I7, S3)."""

    call_id: str
    action: str = Field(description="ring, queue, forward, voicemail, busy or disconnect.")
    targets: list[TargetOut]
    reason: str
    trace: list[TraceOut]
    selected: list[str] | None = None
    known_caller: bool | None = None
    rule: str | None = None
    inbox_item_id: str | None = None


@router.post(
    "/v1/decisions/inbound",
    response_model=InboundOut,
    description=ROLE,
    openapi_extra=AUTHORIZATION,
)
async def decide_inbound(body: InboundIn, request: Request) -> JSONResponse:
    """Decide who gets an inbound call or text, and record it."""
    answer = await decided(
        inbound.decide_inbound,
        request,
        inbound.decide_inbound_on_loop,
        to=body.to,
        caller=body.from_,
        channel=body.channel,
        call_id=body.call_id,
    )
    out = {"call_id": answer.call_id, **answer.decision.to_json()}
    if answer.inbox_item_id is not None:
        out["inbox_item_id"] = answer.inbox_item_id
    return JSONResponse(out)  # the decision's own JSON (InboundOut), not validated again

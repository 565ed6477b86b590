"""The outbound half of the call path: which caller ID the callee sees (rules O1-O7)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from numberdesk.api.call_path import AUTHORIZATION, decided
from numberdesk.api.schemas import Body, TraceOut, json_answer
from numberdesk.services import callerid

router = APIRouter(tags=["decisions"])
ROLE = (
    "Role: owner or admin for any agent (the PBX's key); an agent only for their own calls. "
    "409 `no_caller_id` (with the trace) when no number may be shown; 403 "
    "`caller_id_not_allowed` when a requested caller ID may not be used; 409 `call_exists` "
    "when the `call_id` was decided before."
)


class OutboundIn(Body):
    """One outbound call about to be placed."""

    agent_id: str
    to: str = Field(
        examples=["+12125550123"],
        max_length=64,
        description="The callee; national input is read with the org's country.",
    )
    campaign_id: str | None = None
    caller_id: str | None = Field(
        None, max_length=64, description="A caller ID the agent asks for (rule O2)."
    )
    call_id: str | None = Field(
        None, max_length=64, description="The PBX's call id; made up when absent."
    )


class OutboundOut(BaseModel):
    """The caller ID to show, the rule that chose it, and every step tried (O1)."""

    call_id: str
    caller_id: str
    number_id: str
    step: str
    display_name: str | None = None
    attestation: str
    trace: list[TraceOut]


@router.post(
    "/v1/decisions/outbound",
    response_model=OutboundOut,
    description=ROLE,
    openapi_extra=AUTHORIZATION,
)
async def decide_outbound(body: OutboundIn, request: Request) -> Response:
    """Choose the caller ID for an outbound call and record the attempt."""
    answer = await decided(
        callerid.decide_outbound,
        request,
        callerid.decide_outbound_on_loop,
        agent_id=body.agent_id,
        to=body.to,
        campaign_id=body.campaign_id,
        caller_id=body.caller_id,
        call_id=body.call_id,
    )
    out = OutboundOut(
        call_id=answer.call_id,
        caller_id=answer.number.e164,
        number_id=answer.number.id,
        step=answer.step,
        display_name=answer.number.display_name,
        attestation=answer.attestation,
        trace=[TraceOut(step=t.step, result=t.result, reason=t.reason) for t in answer.trace],
    )
    return json_answer(out)

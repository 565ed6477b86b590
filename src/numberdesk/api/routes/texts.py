"""The sender of an outbound text: the user's pick (rule S1) or their sender ID, personal or
company number (rule S2)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.schemas import Body, TraceOut, json_answer
from numberdesk.services import texts

router = APIRouter(tags=["decisions"])
ROLE = (
    "Role: owner or admin for any user (the PBX's or CPaaS webhook's key); an agent only for "
    "their own texts. Nothing is recorded. Manual (rule S1): `from` must be one of the user's "
    "SMS-capable, active personal or company numbers: 403 `sender_not_allowed` otherwise, "
    "422 `sender_required` (with the `options`) without it. Auto (rule S2): the user's sender "
    "ID, else personal number, else company number; 409 `no_sender` (with the trace) when "
    "none can send texts."
)


class TextIn(Body):
    """One text about to be sent, and who chooses its sender."""

    user_id: str
    mode: Literal["manual", "auto"] = Field(
        description="manual: the user picks `from` (rule S1); auto: the rules pick (rule S2)."
    )
    from_: str | None = Field(
        None,
        alias="from",
        examples=["+12125550123"],
        description="Manual only: the number to send from; national input is read with the "
        "org's country.",
    )


class TextOut(BaseModel):
    """The sender to show (E.164 or sender ID text), its number, the rule that chose it."""

    sender: str
    number_id: str | None = None
    step: str
    mode: str
    trace: list[TraceOut]


@router.post("/v1/decisions/text", response_model=TextOut, description=ROLE)
def decide_text(body: TextIn, desk: DeskDep, actor: ActorDep) -> Response:
    """Choose the sender of a text for a user (manual or automatic)."""
    answer = texts.decide_text_sender(desk, actor, body.user_id, body.mode, body.from_)
    out = TextOut(
        sender=answer.sender,
        number_id=answer.number_id,
        step=answer.step,
        mode=body.mode,
        trace=[TraceOut(step=t.step, result=t.result, reason=t.reason) for t in answer.trace],
    )
    return json_answer(out)

"""Masked numbers (N2, N6): mask, verify by the code of a call, call again; sandbox codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep, Limit, platform_admin
from numberdesk.api.idempotency import RETRY_SAFE, IdempotencyKey, respond
from numberdesk.api.routes.numbers import Items, NumberOut
from numberdesk.api.schemas import ANY_USER, MANAGER, PLATFORM, Body
from numberdesk.domain.masking import CALL_VALID_FOR, MAX_ATTEMPTS
from numberdesk.services import masking
from numberdesk.services.masking import MaskedView

router = APIRouter(tags=["masked numbers"])
MINUTES = int(CALL_VALID_FOR.total_seconds() // 60)


class OwnerIn(Body):
    """Whose number it is: your organisation, or one of your sponsors (with its id)."""

    type: str = Field(examples=["org"], description="org or sponsor.")
    id: str | None = Field(None, description="The sponsor's id; leave out for org.")


class MaskCreate(Body):
    """A number the owner already has, to show as caller ID, and the owner's mask mandate."""

    e164: str = Field(
        examples=["+14155550123"],
        description="National input is read with the organisation's country.",
    )
    owner: OwnerIn
    mandate_id: str = Field(description="The owner's active mandate with purpose mask.")


class CodeIn(Body):
    """The code read out on the verification call."""

    code: str = Field(examples=["123456"], description="Six digits.")


class CallAgain(Body):
    """Optionally, a new mask mandate of the owner to depend on (when the old one ended)."""

    mandate_id: str | None = None


class VerificationOut(BaseModel):
    """The ownership check of a masked number: its current call and the tries left."""

    state: str = Field(
        description="waiting (for the code), verified, or expired (ask for a new call)."
    )
    attempts_left: int
    call_placed_at: datetime
    expires_at: datetime
    verified_at: datetime | None


class MaskedOut(NumberOut):
    """A masked number (voice out only) with why it is pending and its verification."""

    status_reason: str | None = None
    mandate_id: str | None = None
    verification: VerificationOut | None = None


class CallOut(BaseModel):
    """A call the sandbox carrier placed and the code it read out."""

    e164: str
    code: str
    at: datetime
    used_at: datetime | None = Field(description="When the code was accepted (it works once).")


def render(view: MaskedView) -> dict[str, Any]:
    """The API view of a masked number, as JSON."""
    return masked_out(view).model_dump(mode="json")


def masked_out(view: MaskedView) -> MaskedOut:
    """The API view of a masked number."""
    number = NumberOut.of(view.number).model_dump()
    v = view.verification
    verification = (
        None
        if v is None
        else VerificationOut(
            state=v.state(view.at),
            attempts_left=v.attempts_left(),
            call_placed_at=v.created_at,
            expires_at=v.expires_at,
            verified_at=v.verified_at,
        )
    )
    n = view.number.number
    number.update(status_reason=n.status_reason, mandate_id=n.mandate_id, verification=verification)
    return MaskedOut(**number)


@router.post(
    "/v1/numbers/mask",
    status_code=201,
    response_model=MaskedOut,
    description=f"{MANAGER} Needs the owner's active `mask` mandate covering the number (N6). "
    "The number is `pending` until the code of the verification call the carrier places "
    f"is entered. 409 `number_already_yours` if it is one of your numbers. {RETRY_SAFE}",
)
def mask_number(
    body: MaskCreate, desk: DeskDep, actor: ActorDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Add a number your organisation or a sponsor owns, for outbound caller ID only."""
    request = masking.MaskRequest(
        e164=body.e164,
        owner_type=body.owner.type,
        owner_id=body.owner.id,
        mandate_id=body.mandate_id,
    )
    answer = masking.mask_number(
        desk, actor, request, render=render, idempotency_key=idempotency_key
    )
    return respond(answer)


@router.post(
    "/v1/numbers/{number_id}/verify",
    response_model=MaskedOut,
    description=f"{MANAGER} The right code makes the masked number `active`. A wrong one is "
    f"422 `wrong_code` with `attempts_left` and still counts: after {MAX_ATTEMPTS} tries, or "
    f"{MINUTES} minutes after the call, 409 `verification_expired` (ask for a new call). "
    "409 `already_verified` for a number that is already active.",
)
def verify_number(number_id: str, body: CodeIn, desk: DeskDep, actor: ActorDep) -> MaskedOut:
    """Enter the code read out on the verification call to a masked number."""
    return masked_out(masking.verify_number(desk, actor, number_id, body.code))


@router.post(
    "/v1/numbers/{number_id}/verification-calls",
    status_code=201,
    response_model=MaskedOut,
    description=f"{MANAGER} The carrier calls the number again with a new code; the tries "
    "start over and the old code stops working. Give `mandate_id` to depend on a new mask "
    "mandate of the owner (when the old one was revoked or expired).",
)
def new_verification_call(
    number_id: str, desk: DeskDep, actor: ActorDep, body: CallAgain | None = None
) -> MaskedOut:
    """Ask for a new verification call to a masked number that is waiting for its code."""
    mandate_id = body.mandate_id if body else None
    return masked_out(masking.request_verification_call(desk, actor, number_id, mandate_id))


@router.get(
    "/v1/numbers/{number_id}/verification",
    response_model=MaskedOut,
    description=ANY_USER,
)
def read_verification(number_id: str, desk: DeskDep, actor: ActorDep) -> MaskedOut:
    """Read a number with its verification: waiting, verified or expired, and tries left."""
    return masked_out(masking.get_verification(desk, actor, number_id))


@router.get(
    "/v1/sandbox/verification-calls",
    response_model=Items[CallOut],
    dependencies=[Depends(platform_admin)],
    description=f"{PLATFORM} Only with the embedded sandbox carrier: the codes it read out, "
    "newest first.",
)
def sandbox_verification_calls(
    desk: DeskDep, e164: str | None = None, limit: Limit = 50
) -> Items[CallOut]:
    """List the sandbox carrier's verification calls (to one number, in E.164) with their codes."""
    calls = masking.list_verification_calls(desk, e164, limit)
    return Items[CallOut](
        items=[CallOut(e164=c.e164, code=c.code, at=c.at, used_at=c.used_at) for c in calls]
    )

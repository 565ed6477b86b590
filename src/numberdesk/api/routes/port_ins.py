"""Port-ins (N7): create, submit, cancel, read; the sandbox carrier's updates and port-outs (N8)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit, platform_admin
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.schemas import MANAGER, PLATFORM, Body, ListOf
from numberdesk.domain.errors import NotFound
from numberdesk.domain.numbers import Kind, Status
from numberdesk.domain.port_ins import PortInStatus
from numberdesk.services import port_ins
from numberdesk.services.port_ins import PortInRequest, PortInView

router = APIRouter(tags=["port-ins"])
LIFECYCLE = (
    "`draft` -> `submitted` -> `confirmed` (with a completion date) -> `completed`, or "
    "`rejected` (with the carrier's reason) or `cancelled`."
)


class PortInCreate(Body):
    """Numbers to bring over from their current (losing) carrier."""

    numbers: list[str] = Field(
        examples=[["+12125550123"]],
        description="1 to 100 numbers of one country; national ones are read with the "
        "organisation's country.",
    )
    losing_carrier: str = Field(examples=["Old Telco"])
    account_ref: str = Field(examples=["ACC-1234"], description="Your account at that carrier.")
    mandate_id: str = Field(
        description="The numbers' owner's active mandate with purpose `port`, covering them all."
    )
    kind: str | None = Field(None, examples=["voice"], description="voice (default) or omni.")


class PortInNumberOut(BaseModel):
    """One number of a port-in; `number_id` once it is submitted."""

    e164: str
    number_id: str | None


class PortInOut(BaseModel):
    """A port-in order."""

    id: str
    status: PortInStatus
    losing_carrier: str
    account_ref: str
    mandate_id: str
    kind: Kind
    numbers: list[PortInNumberOut]
    completion_date: datetime | None
    reason: str | None
    created_by: str | None
    created_at: datetime
    submitted_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, view: PortInView) -> PortInOut:
        """The API view of a port-in."""
        p = view.port_in
        fields = {name: getattr(p, name) for name in cls.model_fields if name != "numbers"}
        numbers = [PortInNumberOut(e164=n.e164, number_id=n.number_id) for n in view.numbers]
        return cls(**fields, numbers=numbers)


class CarrierUpdate(Body):
    """What the carrier says about a port-in."""

    to: str = Field(examples=["confirmed"], description="confirmed, completed or rejected.")
    reason: str | None = Field(None, description="Required when rejecting.")
    completion_date: datetime | None = Field(
        None, description="When confirming; the sandbox picks tomorrow if left out."
    )


class PortOut(Body):
    """The losing-carrier notice that a number left us."""

    e164: str = Field(examples=["+12125550123"])


class PortedOut(BaseModel):
    """A number that ported away."""

    org_id: str
    number_id: str
    e164: str
    status: Status
    released_at: datetime | None


class PortOutDone(BaseModel):
    """Every number the notice took away (one, unless several orgs held it)."""

    items: list[PortedOut]


def sandbox_only(desk: DeskDep) -> None:
    """Pass only when the desk runs the embedded sandbox carrier (else: 404)."""
    if desk.settings.carrier != "sandbox":
        raise NotFound(
            "sandbox_not_configured",
            "The sandbox endpoints exist only with the embedded sandbox carrier "
            "(NUMBERDESK_CARRIER=sandbox).",
        )


@router.post(
    "/v1/port-ins",
    status_code=201,
    response_model=PortInOut,
    description=f"{MANAGER} {RETRY_SAFE} Needs the owner's active `port` mandate (N7); "
    "409 `number_already_yours` or `already_porting` for numbers you have or are porting.",
)
def create_port_in(body: PortInCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Draft a port-in of numbers from another carrier."""
    request = PortInRequest(**body.model_dump())
    return once.create(
        desk, actor, body, lambda: PortInOut.of(port_ins.create_port_in(desk, actor, request))
    )


@router.get(
    "/v1/port-ins",
    response_model=ListOf[PortInOut],
    description=f"{MANAGER} Oldest first. {LIFECYCLE}",
)
def list_port_ins(
    desk: DeskDep,
    actor: ActorDep,
    status: PortInStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOf[PortInOut]:
    """List the organisation's port-ins."""
    page = port_ins.list_port_ins(desk, actor, status=status, cursor=cursor, limit=limit)
    return ListOf[PortInOut](items=[PortInOut.of(v) for v in page.items], next=page.next)


@router.get(
    "/v1/port-ins/{port_in_id}",
    response_model=PortInOut,
    description=f"{MANAGER} {LIFECYCLE} A confirmed port-in completes by itself once its "
    "completion date has passed.",
)
def read_port_in(port_in_id: str, desk: DeskDep, actor: ActorDep) -> PortInOut:
    """Read one port-in."""
    return PortInOut.of(port_ins.get_port_in(desk, actor, port_in_id))


@router.post(
    "/v1/port-ins/{port_in_id}/submit",
    response_model=PortInOut,
    description=f"{MANAGER} Only a draft. The carrier is asked; the numbers appear as "
    "`porting_in` (not usable in calls until the port-in completes).",
)
def submit_port_in(port_in_id: str, desk: DeskDep, actor: ActorDep) -> PortInOut:
    """Submit a draft port-in to the carrier."""
    return PortInOut.of(port_ins.submit_port_in(desk, actor, port_in_id))


@router.post(
    "/v1/port-ins/{port_in_id}/cancel",
    response_model=PortInOut,
    description=f"{MANAGER} A draft, submitted or confirmed port-in; numbers that were porting "
    "in are released.",
)
def cancel_port_in(port_in_id: str, desk: DeskDep, actor: ActorDep) -> PortInOut:
    """Cancel an open port-in."""
    return PortInOut.of(port_ins.cancel_port_in(desk, actor, port_in_id))


@router.post(
    "/v1/sandbox/port-ins/{port_in_id}/advance",
    response_model=PortInOut,
    dependencies=[Depends(platform_admin), Depends(sandbox_only)],
    description=f"{PLATFORM} Only with the embedded sandbox carrier: play the carrier's "
    "answer: `confirmed` (with a completion date), `completed` or `rejected` (with a reason).",
)
def advance_port_in(port_in_id: str, body: CarrierUpdate, desk: DeskDep) -> PortInOut:
    """Move a submitted port-in as the carrier would (N7)."""
    view = port_ins.apply_carrier_update(
        desk, port_in_id, body.to, reason=body.reason, completion_date=body.completion_date
    )
    return PortInOut.of(view)


@router.post(
    "/v1/sandbox/port-outs",
    response_model=PortOutDone,
    dependencies=[Depends(platform_admin), Depends(sandbox_only)],
    description=f"{PLATFORM} Only with the embedded sandbox carrier: the losing-carrier notice "
    "that a number left us. It becomes `ported_out` and leaves groups, campaigns, local "
    "presence, agent cards and the org default (N8).",
)
def port_out(body: PortOut, desk: DeskDep) -> PortOutDone:
    """Tell numberdesk that a number ported away to another carrier."""
    gone = port_ins.receive_port_out(desk, body.e164)
    return PortOutDone(
        items=[
            PortedOut(
                org_id=n.org_id,
                number_id=n.id,
                e164=n.e164,
                status=n.status,
                released_at=n.released_at,
            )
            for n in gone
        ]
    )

"""Sponsors and mandates (N5, C3), and reactivating a number a mandate's end suspended."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.routes.numbers import NumberOut
from numberdesk.api.schemas import ANY_USER, MANAGER, Body, ListOf
from numberdesk.domain.mandates import GrantorType, Mandate, MandateStatus, Sponsor
from numberdesk.services import mandates, reactivation, sponsors
from numberdesk.services.mandates import MandateRequest

router = APIRouter(tags=["compliance"])


class SponsorCreate(Body):
    """A partner company whose name or numbers the organisation uses."""

    name: str = Field(examples=["Northwind Oy"])
    business_id: str = Field(examples=["1234567-8"], description="Its company registration id.")
    country: str = Field(examples=["FI"], description="Where it is registered (ISO 3166).")


class SponsorOut(BaseModel):
    """A sponsor."""

    id: str
    name: str
    business_id: str
    country: str
    created_at: datetime

    @classmethod
    def of(cls, sponsor: Sponsor) -> SponsorOut:
        """The API view of a sponsor."""
        return cls(**{k: getattr(sponsor, k) for k in cls.model_fields})


class Grantor(BaseModel):
    """Who grants a mandate: the organisation itself, or one of its sponsors (with its id)."""

    type: GrantorType
    id: str | None = None


class MandateCreate(Body):
    """A mandate to record; it is active once signed."""

    grantor: Grantor
    purposes: list[str] = Field(
        examples=[["purchase"]], description="Any of purchase, mask, port, register, brand."
    )
    numbers: list[str] | None = Field(
        None, description="The numbers it covers (national ones read with the org's country)."
    )
    all_numbers: bool | None = Field(None, description="Covers every number of the grantor.")
    valid_until: datetime | None = Field(None, description="Absent: valid until revoked.")


class MandateSign(Body):
    """The grantor's signature."""

    signed_by: str = Field(examples=["Maija Virtanen, CEO"])
    document_hash: str | None = Field(
        None, description="SHA-256 (hex) of the signed document; absent: a hash of the terms."
    )


class MandateOut(BaseModel):
    """A mandate; ``status`` already accounts for time (a run-out mandate is expired)."""

    id: str
    grantor: Grantor
    purposes: list[str]
    numbers: list[str]
    all_numbers: bool
    status: MandateStatus
    valid_from: datetime
    valid_until: datetime | None
    signed_by: str | None
    signed_at: datetime | None
    document_hash: str | None
    revoked_at: datetime | None
    created_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, mandate: Mandate) -> MandateOut:
        """The API view of a mandate (the org grants with its own id)."""
        grantor = Grantor(
            type=GrantorType(mandate.grantor_type), id=mandate.grantor_id or mandate.org_id
        )
        fields = {k: getattr(mandate, k) for k in cls.model_fields if k != "grantor"}
        return cls(**fields, grantor=grantor)


class Reactivate(Body):
    """The mandate the number will depend on from now on."""

    mandate_id: str | None = Field(
        None, description="An active mandate of the number's owner that covers it."
    )


@router.post(
    "/v1/sponsors",
    status_code=201,
    response_model=SponsorOut,
    description=f"{MANAGER} {RETRY_SAFE}",
)
def create_sponsor(body: SponsorCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Add a sponsor; 409 `sponsor_exists` for a second one with the same business id."""
    return once.create(
        desk,
        actor,
        body,
        lambda: SponsorOut.of(
            sponsors.create_sponsor(desk, actor, body.name, body.business_id, body.country)
        ),
    )


@router.get("/v1/sponsors", response_model=ListOf[SponsorOut], description=ANY_USER)
def list_sponsors(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[SponsorOut]:
    """List the organisation's sponsors, oldest first."""
    page = sponsors.list_sponsors(desk, actor, cursor=cursor, limit=limit)
    return ListOf[SponsorOut](items=[SponsorOut.of(s) for s in page.items], next=page.next)


@router.get("/v1/sponsors/{sponsor_id}", response_model=SponsorOut, description=ANY_USER)
def read_sponsor(sponsor_id: str, desk: DeskDep, actor: ActorDep) -> SponsorOut:
    """Read one sponsor."""
    return SponsorOut.of(sponsors.get_sponsor(desk, actor, sponsor_id))


@router.post(
    "/v1/mandates",
    status_code=201,
    response_model=MandateOut,
    description=f"{MANAGER} Created `pending_signature`. {RETRY_SAFE}",
)
def create_mandate(body: MandateCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Record a mandate from the organisation or a sponsor (C3); it waits for a signature."""
    request = MandateRequest(
        grantor_type=body.grantor.type.value,
        grantor_id=body.grantor.id,
        purposes=body.purposes,
        numbers=body.numbers,
        all_numbers=body.all_numbers,
        valid_until=body.valid_until,
    )
    return once.create(
        desk, actor, body, lambda: MandateOut.of(mandates.create_mandate(desk, actor, request))
    )


@router.get("/v1/mandates", response_model=ListOf[MandateOut], description=ANY_USER)
def list_mandates(
    desk: DeskDep,
    actor: ActorDep,
    status: MandateStatus | None = None,
    grantor_type: GrantorType | None = None,
    grantor_id: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOf[MandateOut]:
    """List mandates, filtered by status and grantor, oldest first."""
    page = mandates.list_mandates(
        desk,
        actor,
        status=status.value if status else None,
        grantor_type=grantor_type.value if grantor_type else None,
        grantor_id=grantor_id,
        cursor=cursor,
        limit=limit,
    )
    return ListOf[MandateOut](items=[MandateOut.of(m) for m in page.items], next=page.next)


@router.get("/v1/mandates/{mandate_id}", response_model=MandateOut, description=ANY_USER)
def read_mandate(mandate_id: str, desk: DeskDep, actor: ActorDep) -> MandateOut:
    """Read one mandate."""
    return MandateOut.of(mandates.get_mandate(desk, actor, mandate_id))


@router.post(
    "/v1/mandates/{mandate_id}/sign",
    response_model=MandateOut,
    description=f"{MANAGER} Only a `pending_signature` mandate; 409 `mandate_not_pending` else.",
)
def sign_mandate(mandate_id: str, body: MandateSign, desk: DeskDep, actor: ActorDep) -> MandateOut:
    """Record the grantor's signature: the mandate becomes active."""
    signed = mandates.sign_mandate(desk, actor, mandate_id, body.signed_by, body.document_hash)
    return MandateOut.of(signed)


@router.post(
    "/v1/mandates/{mandate_id}/revoke",
    response_model=MandateOut,
    description=f"{MANAGER} Every active number depending on it is suspended at once (C3).",
)
def revoke_mandate(mandate_id: str, desk: DeskDep, actor: ActorDep) -> MandateOut:
    """Revoke a mandate; the numbers depending on it are suspended until reactivated."""
    return MandateOut.of(mandates.revoke_mandate(desk, actor, mandate_id))


@router.post(
    "/v1/numbers/{number_id}/reactivate",
    response_model=NumberOut,
    description=f"{MANAGER} Only a suspended number; it needs an active mandate of its owner "
    "with the purpose it was added for (purchase, mask or port) that covers it (C3).",
)
def reactivate_number(
    number_id: str, desk: DeskDep, actor: ActorDep, body: Reactivate | None = None
) -> NumberOut:
    """Re-enable a number suspended because its mandate stopped being active."""
    mandate_id = body.mandate_id if body else None
    return NumberOut.of(reactivation.reactivate_number(desk, actor, number_id, mandate_id))

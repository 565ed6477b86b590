"""Proof of address (C1, C2): addresses, linking them to numbers, and the requirement data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.idempotency import RETRY_SAFE, OnceDep
from numberdesk.api.routes.numbers import NumberOut, shown
from numberdesk.api.schemas import ANY_USER, MANAGER, Body, ListOf
from numberdesk.domain.addresses import requirement_table
from numberdesk.services import addresses
from numberdesk.services.addresses import AddressView

router = APIRouter(tags=["addresses"])
requirement_table()  # the shipped requirement data is checked when the app starts (C1)


class AddressCreate(Body):
    """A postal address that proves numbers (C2)."""

    name: str = Field(examples=["Berlin office"], description="Unique in the organisation.")
    street: str = Field(examples=["Unter den Linden 1"])
    city: str = Field(examples=["Berlin"])
    postal_code: str = Field(examples=["10117"])
    region: str | None = Field(None, examples=["Berlin"], description="State, county or province.")
    country: str = Field(examples=["DE"], description="ISO 3166 alpha-2.")


class AddressPatch(Body):
    """What to correct; leave out what stays."""

    name: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None


class AddressOut(BaseModel):
    """An address and how many live numbers it proves."""

    id: str
    name: str
    street: str
    city: str
    postal_code: str
    region: str | None
    country: str
    number_count: int = Field(description="Live numbers linked to this address.")
    created_at: datetime

    @classmethod
    def of(cls, view: AddressView) -> AddressOut:
        """The API view of an address."""
        a = view.address
        fields = {k: getattr(a, k) for k in cls.model_fields if hasattr(a, k)}
        return cls(**fields, number_count=view.number_count)


class Unproven(BaseModel):
    """A linked number the address no longer proves (its compliance shows address_not_valid)."""

    number_id: str
    e164: str
    code: str = Field(description="wrong_country or outside_area.")
    reason: str


class AddressChanged(AddressOut):
    """The corrected address, and the linked numbers it stopped proving."""

    no_longer_valid: list[Unproven]


class LinkRequest(Body):
    """The numbers this address proves."""

    number_ids: list[str] = Field(min_length=1, max_length=1000)


class LinkedOut(BaseModel):
    """The address and the numbers now linked to it."""

    address: AddressOut
    numbers: list[NumberOut]


class RequirementOut(BaseModel):
    """What address a (country, line type) needs, and where the rule comes from (C1)."""

    country: str
    line_type: str
    requirement: str = Field(description="none, national or local.")
    source: str
    default: bool = Field(description="True when the country has no row of its own.")


@router.post(
    "/v1/addresses",
    status_code=201,
    response_model=AddressOut,
    description=f"{MANAGER} {RETRY_SAFE} 409 `duplicate_name` when the name is taken.",
)
def create_address(body: AddressCreate, desk: DeskDep, actor: ActorDep, once: OnceDep) -> Response:
    """Add a postal address to prove numbers with."""
    fields = body.model_dump(exclude_unset=True)
    return once.create(
        desk, actor, body, lambda: AddressOut.of(addresses.create_address(desk, actor, fields))
    )


@router.get("/v1/addresses", response_model=ListOf[AddressOut], description=ANY_USER)
def list_addresses(
    desk: DeskDep, actor: ActorDep, limit: Limit = 50, cursor: Cursor = None
) -> ListOf[AddressOut]:
    """List the organisation's addresses, oldest first."""
    page = addresses.list_addresses(desk, actor, cursor=cursor, limit=limit)
    return ListOf[AddressOut](items=[AddressOut.of(v) for v in page.items], next=page.next)


@router.get("/v1/addresses/{address_id}", response_model=AddressOut, description=ANY_USER)
def read_address(address_id: str, desk: DeskDep, actor: ActorDep) -> AddressOut:
    """Read one address."""
    return AddressOut.of(addresses.get_address(desk, actor, address_id))


@router.patch(
    "/v1/addresses/{address_id}",
    response_model=AddressChanged,
    description=f"{MANAGER} `no_longer_valid` lists the linked numbers the corrected address "
    "stopped proving; they report `address_not_valid` until fixed (C4).",
)
def patch_address(
    address_id: str, body: AddressPatch, desk: DeskDep, actor: ActorDep
) -> AddressChanged:
    """Correct an address."""
    change = addresses.update_address(desk, actor, address_id, body.model_dump(exclude_unset=True))
    unproven = [
        Unproven(
            number_id=u.number.id,
            e164=u.number.e164,
            code=u.mismatch.code,
            reason=u.mismatch.reason,
        )
        for u in change.no_longer_valid
    ]
    out = AddressOut.of(change.view)
    return AddressChanged(**out.model_dump(), no_longer_valid=unproven)


@router.delete(
    "/v1/addresses/{address_id}",
    status_code=204,
    description=f"{MANAGER} 409 `address_in_use` while live numbers are linked to it.",
)
def delete_address(address_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Delete an address no number is linked to."""
    addresses.delete_address(desk, actor, address_id)
    return Response(status_code=204)


@router.post(
    "/v1/addresses/{address_id}/numbers",
    response_model=LinkedOut,
    description=f"{MANAGER} All or nothing: if the address does not satisfy the rule of any "
    "of the numbers (C2: wrong country, outside the prefix's area), 422 "
    "`address_rule_not_met` names each failing number and its reason, and nothing is linked.",
)
def link_numbers(address_id: str, body: LinkRequest, desk: DeskDep, actor: ActorDep) -> LinkedOut:
    """Link the address to many numbers in one request."""
    linked = addresses.link_numbers(desk, actor, address_id, body.number_ids)
    return LinkedOut(address=AddressOut.of(linked.view), numbers=shown(desk, actor, linked.numbers))


@router.get(
    "/v1/address-requirements",
    response_model=ListOf[RequirementOut],
    description=f"{ANY_USER} The rule of every line type of a country, with its source (C1).",
)
def list_requirements(
    actor: ActorDep, country: Annotated[str, Query(examples=["DE"])]
) -> ListOf[RequirementOut]:
    """Show what address each kind of line needs in a country."""
    rules = addresses.list_requirements(country)
    code = country.strip().upper()
    items = [
        RequirementOut(
            country=code,
            line_type=r.line_type,
            requirement=r.requirement.value,
            source=r.source,
            default=r.is_default,
        )
        for r in rules
    ]
    return ListOf[RequirementOut](items=items)

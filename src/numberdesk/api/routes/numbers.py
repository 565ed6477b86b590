"""Numbers: search and buy (N4), list, read, change and release (N1-N3, N8), local presence."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from numberdesk.api.deps import ActorDep, Cursor, DeskDep, Limit
from numberdesk.api.idempotency import IdempotencyKey, respond
from numberdesk.api.routes.branding import BrandingOut, ListingOut
from numberdesk.api.schemas import ANY_USER, MANAGER, Body, ListOf
from numberdesk.domain.numbers import Kind, NumberOrder, Origin, Status
from numberdesk.domain.orgs import Actor
from numberdesk.domain.routes import NOT_ASSIGNED
from numberdesk.services import branding, number_orders, numbers
from numberdesk.services.branding import NumberExtras
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView

router = APIRouter(tags=["numbers"])
T = TypeVar("T")


class Owner(BaseModel):
    """Whose number it is: the org itself or a sponsor."""

    type: str
    id: str


class IssueOut(BaseModel):
    """One unmet requirement and how to fix it (C4)."""

    code: str = Field(
        description="address_required, address_not_valid, suspended, pending_verification "
        "or porting_in."
    )
    message: str
    fix: str


class Compliance(BaseModel):
    """Whether the number meets every requirement, and what to fix if not (C4)."""

    ok: bool = True
    issues: list[IssueOut] = Field(default_factory=list)

    @classmethod
    def of(cls, view: NumberView) -> Compliance:
        """The API view of a number's compliance."""
        found = view.compliance
        issues = [IssueOut(code=i.code, message=i.message, fix=i.fix) for i in found.issues]
        return cls(ok=found.ok, issues=issues)


class NumberOut(BaseModel):
    """One number of the organisation."""

    id: str
    e164: str
    country: str
    area_code: str | None
    line_type: str
    kind: Kind
    origin: Origin
    status: Status
    status_reason: str | None = Field(None, description="Why it is suspended or pending.")
    owner: Owner
    mandate_id: str | None = Field(None, description="The mandate the number depends on (C3).")
    address_id: str | None
    area_codes: list[str] = Field(description="Own area code first, then the mapped ones.")
    route: dict[str, Any] = Field(
        default_factory=NOT_ASSIGNED.to_json,
        description="What an inbound call does (I2); set with PUT /v1/numbers/{id}/route. "
        "`not_assigned` disconnects (I1).",
    )
    compliance: Compliance
    forward_to: str | None
    rested_until: datetime | None = Field(
        None,
        description="Left out of caller ID while this is in the future (O6); a past time is "
        "when it last woke or stopped resting.",
    )
    rest_reason: str | None = Field(None, description="Why it rests (O6).")
    branding: BrandingOut | None = Field(None, description="Its branding and review (N9).")
    directory_listing: ListingOut | None = Field(None, description="Its directory entry (N10).")
    tags: list[str]
    created_at: datetime
    released_at: datetime | None

    @field_validator("route", mode="before")
    @classmethod
    def _not_assigned(cls, value: object) -> object:
        """A number without a stored route shows ``{"type": "not_assigned"}`` (I1)."""
        return NOT_ASSIGNED.to_json() if value is None else value

    @classmethod
    def of(cls, view: NumberView, extras: NumberExtras | None = None) -> NumberOut:
        """The API view of a number (with its branding and directory listing, if loaded)."""
        n = view.number
        copied = {name: getattr(n, name) for name in cls.model_fields if hasattr(n, name)}
        owner = Owner(type=n.owner_type, id=n.owner_id or n.org_id)
        brand = extras.brandings.get(n.id) if extras else None
        listing = extras.listings.get(n.id) if extras else None
        return cls(
            **copied,
            owner=owner,
            area_codes=view.area_codes,
            compliance=Compliance.of(view),
            branding=BrandingOut.of(brand) if brand else None,
            directory_listing=ListingOut.of(listing) if listing else None,
        )


def shown(desk: Desk, actor: Actor, views: list[NumberView]) -> list[NumberOut]:
    """Numbers as the API shows them, with brandings and listings (one query each)."""
    extras = branding.of_numbers(desk, actor, [v.id for v in views])
    return [NumberOut.of(v, extras) for v in views]


class Offered(BaseModel):
    """A number the carrier offers now."""

    e164: str
    country: str
    area_code: str | None
    line_type: str
    kind: str


class OrderCreate(Body):
    """Either a quantity in a country (and area code), or exact numbers to buy."""

    kind: str = Field(examples=["voice"], description="voice, omni or sms.")
    country: str | None = Field(None, examples=["US"])
    area_code: str | None = Field(None, examples=["212"])
    quantity: int | None = Field(None, examples=[3], description="1 to 100.")
    numbers: list[str] | None = Field(
        None,
        description="Exact numbers; national ones are read "
        "with `country`, else the organisation's country.",
    )
    sponsor_id: str | None = Field(
        None,
        description="Buy with this sponsor's information: needs its active purchase mandate (N5).",
    )
    mandate_id: str | None = Field(
        None,
        description="Which of the sponsor's purchase mandates to use (default: one that covers).",
    )


class OrderOut(BaseModel):
    """A completed order and the numbers it bought."""

    id: str
    country: str
    area_code: str | None
    kind: Kind
    quantity: int
    created_at: datetime
    numbers: list[NumberOut]


class NumberPatch(Body):
    """What to change; leave out what stays."""

    area_codes: list[str] | None = Field(
        None, description="Local-presence area codes this number covers beyond its own."
    )
    forward_to: str | None = Field(None, description="Forward every inbound call here; null stops.")
    tags: list[str] | None = None
    address_id: str | None = Field(
        None, description="Link this proof of address (it must satisfy rule C2); null unlinks."
    )


class AreaCodeOut(BaseModel):
    """A geographic area code of a country."""

    country: str
    area_code: str
    name: str | None


class PresenceOut(BaseModel):
    """An area code and the numbers that show as local there."""

    country: str
    area_code: str
    numbers: list[str]


class Items(BaseModel, Generic[T]):
    """A complete list."""

    items: list[T]


def _render(order: NumberOrder, views: list[NumberView]) -> dict[str, Any]:
    out = OrderOut(
        id=order.id,
        country=order.country,
        area_code=order.area_code,
        kind=order.kind,
        quantity=order.quantity,
        created_at=order.created_at,
        numbers=[NumberOut.of(v) for v in views],
    )
    return out.model_dump(mode="json")


@router.get("/v1/available-numbers", response_model=Items[Offered], description=ANY_USER)
def available_numbers(
    desk: DeskDep,
    actor: ActorDep,
    country: Annotated[str, Query(examples=["US"])],
    area_code: Annotated[str | None, Query(examples=["212"])] = None,
    kind: Annotated[str, Query(description="voice, omni or sms")] = "voice",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Items[Offered]:
    """Search the carrier's inventory by country, area code and kind (N4)."""
    offers = number_orders.search_available(desk, country, area_code, kind, limit)
    return Items[Offered](items=[Offered(**vars(o)) for o in offers])


@router.get("/v1/area-codes", response_model=Items[AreaCodeOut], description=ANY_USER)
def area_codes(
    actor: ActorDep, country: Annotated[str, Query(examples=["US"])]
) -> Items[AreaCodeOut]:
    """List a country's geographic area codes, with the name of each area."""
    found = number_orders.list_area_codes(country)
    code = country.strip().upper()
    return Items[AreaCodeOut](
        items=[AreaCodeOut(country=code, area_code=ac, name=name) for ac, name in found]
    )


@router.post(
    "/v1/number-orders",
    status_code=201,
    response_model=OrderOut,
    description=f"{MANAGER} All-or-nothing: 409 `no_numbers_available` buys nothing. "
    "Send `Idempotency-Key` to retry safely.",
)
def order_numbers(
    body: OrderCreate,
    desk: DeskDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Buy numbers: a quantity in a country and area code, or exact numbers (N4)."""
    request = number_orders.OrderRequest(**body.model_dump())
    answer = number_orders.buy_numbers(
        desk, actor, request, render=_render, idempotency_key=idempotency_key
    )
    return respond(answer)


@router.get(
    "/v1/numbers",
    response_model=ListOf[NumberOut],
    description=f"{ANY_USER} Live numbers unless `status` is given; `area_code` matches own "
    "and mapped area codes; `needs_address=true` lists the numbers still without a valid proof "
    "of address (C2); `compliance_ok=false` the non-compliant ones (C4).",
)
def list_numbers(
    desk: DeskDep,
    actor: ActorDep,
    status: Status | None = None,
    kind: Kind | None = None,
    country: str | None = None,
    area_code: str | None = None,
    group_id: str | None = None,
    needs_address: bool | None = None,
    compliance_ok: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ListOf[NumberOut]:
    """List the organisation's numbers, filtered, oldest first."""
    page = numbers.list_numbers(
        desk,
        actor,
        status=status,
        kind=kind,
        country=country,
        area_code=area_code,
        group_id=group_id,
        needs_address=needs_address,
        compliance_ok=compliance_ok,
        cursor=cursor,
        limit=limit,
    )
    return ListOf[NumberOut](items=shown(desk, actor, page.items), next=page.next)


@router.get("/v1/numbers/{number_id}", response_model=NumberOut, description=ANY_USER)
def read_number(number_id: str, desk: DeskDep, actor: ActorDep) -> NumberOut:
    """Read one number."""
    return shown(desk, actor, [numbers.get_number(desk, actor, number_id)])[0]


@router.patch("/v1/numbers/{number_id}", response_model=NumberOut, description=MANAGER)
def patch_number(number_id: str, body: NumberPatch, desk: DeskDep, actor: ActorDep) -> NumberOut:
    """Change a number's local-presence area codes, forwarding, tags or proof of address."""
    changes = body.model_dump(exclude_unset=True)
    return shown(desk, actor, [numbers.update_number(desk, actor, number_id, changes)])[0]


@router.delete(
    "/v1/numbers/{number_id}",
    response_model=NumberOut,
    description=f"{MANAGER} Releases the number; it leaves groups, campaigns, local presence "
    "and agent cards (N8).",
)
def release_number(number_id: str, desk: DeskDep, actor: ActorDep) -> NumberOut:
    """Release a number back to the carrier."""
    return NumberOut.of(numbers.release_number(desk, actor, number_id))


@router.get("/v1/local-presence", response_model=Items[PresenceOut], description=ANY_USER)
def local_presence(desk: DeskDep, actor: ActorDep) -> Items[PresenceOut]:
    """List the area codes the organisation's numbers show as local in (own and mapped)."""
    areas = numbers.list_local_presence(desk, actor)
    return Items[PresenceOut](
        items=[
            PresenceOut(country=a.country, area_code=a.area_code, numbers=a.numbers) for a in areas
        ]
    )

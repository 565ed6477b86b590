"""Branding (N9) and directory registration (N10) of a number; the sandbox carrier's reviews."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep, platform_admin
from numberdesk.api.schemas import ANY_USER, MANAGER, PLATFORM, Body
from numberdesk.domain.branding import Branding, BrandingStatus, DirectoryListing, ListingStatus
from numberdesk.domain.errors import NotFound
from numberdesk.services import branding

router = APIRouter(tags=["branding and directories"])
SANDBOX = f"{PLATFORM} Only with the embedded sandbox carrier (NUMBERDESK_CARRIER=sandbox)."


class BrandingIn(Body):
    """What the people this number calls should see."""

    display_name: str = Field(examples=["Acme Insurance"], description="1 to 32 characters.")
    location: str | None = Field(None, examples=["Helsinki"], description="Up to 100 characters.")
    logo_url: str | None = Field(None, examples=["https://acme.example/logo.png"])
    call_reason: str | None = Field(
        None, examples=["Your insurance renewal"], description="Up to 64 characters."
    )


class BrandingOut(BaseModel):
    """A number's branding and where the carrier's review stands."""

    display_name: str
    location: str | None
    logo_url: str | None
    call_reason: str | None
    status: BrandingStatus = Field(description="submitted, approved or rejected.")
    reason: str | None = Field(description="The carrier's reason (always given on rejection).")
    submitted_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, found: Branding) -> BrandingOut:
        """The API view of a branding."""
        return cls(**{name: getattr(found, name) for name in cls.model_fields})


class ListingIn(Body):
    """The company information to list the number under."""

    company_name: str = Field(examples=["Acme Oy"], description="1 to 200 characters.")
    sponsor_id: str | None = Field(
        None,
        description="Register with this sponsor's information; needs its active `register` "
        "mandate covering the number (found automatically, or give `mandate_id`).",
    )
    mandate_id: str | None = None


class ListingOut(BaseModel):
    """A number's directory registration and where it stands."""

    directory: str = Field(examples=["Fonecta"])
    company_name: str
    sponsor_id: str | None
    mandate_id: str | None
    status: ListingStatus = Field(description="requested, registered or rejected.")
    reason: str | None
    requested_at: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, found: DirectoryListing) -> ListingOut:
        """The API view of a directory listing."""
        return cls(**{name: getattr(found, name) for name in cls.model_fields})


class DirectoryOut(BaseModel):
    """A country's phone directory, and where we know it from."""

    country: str
    name: str
    website: str
    source: str


class Directories(BaseModel):
    """Every country with a directory."""

    items: list[DirectoryOut]


class BrandingReview(Body):
    """The carrier's decision on a branding."""

    approved: bool
    reason: str | None = Field(None, description="Required when rejecting.")


class ListingReview(Body):
    """The directory's decision on a registration."""

    registered: bool
    reason: str | None = Field(None, description="Required when rejecting.")


def sandbox_only(desk: DeskDep) -> None:
    """Pass only when the desk runs the embedded sandbox carrier (else: 404)."""
    if desk.settings.carrier != "sandbox":
        raise NotFound("not_found", "The sandbox endpoints exist only with the sandbox carrier.")


@router.put(
    "/v1/numbers/{number_id}/branding",
    response_model=BrandingOut,
    description=f"{MANAGER} Only purchased or ported-in numbers that make calls (N9, N2). "
    "Submits (or resubmits) it for the carrier's review: `submitted` -> `approved` | `rejected`.",
)
def put_branding(number_id: str, body: BrandingIn, desk: DeskDep, actor: ActorDep) -> BrandingOut:
    """Brand a number: display name, location, logo and reason for call (N9)."""
    return BrandingOut.of(branding.set_branding(desk, actor, number_id, **body.model_dump()))


@router.get("/v1/numbers/{number_id}/branding", response_model=BrandingOut, description=ANY_USER)
def read_branding(number_id: str, desk: DeskDep, actor: ActorDep) -> BrandingOut:
    """Read a number's branding and its review."""
    return BrandingOut.of(branding.get_branding(desk, actor, number_id))


@router.delete("/v1/numbers/{number_id}/branding", status_code=204, description=MANAGER)
def delete_branding(number_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Remove a number's branding (the carrier stops showing it)."""
    branding.remove_branding(desk, actor, number_id)
    return Response(status_code=204)


@router.put(
    "/v1/numbers/{number_id}/directory-listing",
    response_model=ListingOut,
    description=f"{MANAGER} Only owned (not masked) numbers in a country with a directory (N10; "
    "GET /v1/directories). `requested` -> `registered` | `rejected`.",
)
def put_listing(number_id: str, body: ListingIn, desk: DeskDep, actor: ActorDep) -> ListingOut:
    """Register a number in its country's directory under a company's name (N10)."""
    listing = branding.set_directory_listing(desk, actor, number_id, **body.model_dump())
    return ListingOut.of(listing)


@router.get(
    "/v1/numbers/{number_id}/directory-listing", response_model=ListingOut, description=ANY_USER
)
def read_listing(number_id: str, desk: DeskDep, actor: ActorDep) -> ListingOut:
    """Read a number's directory registration."""
    return ListingOut.of(branding.get_directory_listing(desk, actor, number_id))


@router.delete("/v1/numbers/{number_id}/directory-listing", status_code=204, description=MANAGER)
def delete_listing(number_id: str, desk: DeskDep, actor: ActorDep) -> Response:
    """Unregister a number from its directory."""
    branding.remove_directory_listing(desk, actor, number_id)
    return Response(status_code=204)


@router.get("/v1/directories", response_model=Directories, description=ANY_USER)
def list_directories(actor: ActorDep) -> Directories:
    """List the countries whose directory numbers can be registered in (N10), with sources."""
    found = branding.list_directories()
    return Directories(items=[DirectoryOut(**vars(d)) for d in found])


@router.post(
    "/v1/sandbox/brandings/{number_id}",
    response_model=BrandingOut,
    dependencies=[Depends(platform_admin), Depends(sandbox_only)],
    description=SANDBOX,
)
def review_branding(number_id: str, body: BrandingReview, desk: DeskDep) -> BrandingOut:
    """Play the carrier: approve or reject a submitted branding."""
    decided = branding.branding_reviewed(
        desk, number_id, approved=body.approved, reason=body.reason
    )
    return BrandingOut.of(decided)


@router.post(
    "/v1/sandbox/directory-listings/{number_id}",
    response_model=ListingOut,
    dependencies=[Depends(platform_admin), Depends(sandbox_only)],
    description=SANDBOX,
)
def review_listing(number_id: str, body: ListingReview, desk: DeskDep) -> ListingOut:
    """Play the directory: register or reject a requested registration."""
    decided = branding.listing_reviewed(
        desk, number_id, registered=body.registered, reason=body.reason
    )
    return ListingOut.of(decided)

"""Branding (N9) and directory registration (N10) of the org's own numbers.

Branding puts the company's identity (display name, location, logo, reason for call) on the
calls a number makes; directory registration lists the number with company information in
the country's directory. Both are requests the carrier reviews. Which countries have a
directory is data: ``numberdesk/data/directories.csv``, one row per country with its source.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from importlib import resources
from urllib.parse import urlsplit

from numberdesk.domain.errors import Conflict, Invalid, invalid_field
from numberdesk.domain.numbers import Capability, Number, Origin, Status, require_still_live
from numberdesk.domain.orgs import check_name

MAX_DISPLAY_NAME, MAX_CALL_REASON, MAX_LOCATION, MAX_LOGO_URL = 32, 64, 100, 1000
MAX_COMPANY_NAME, MAX_REASON = 200, 500
OWNED_ORIGINS = frozenset({Origin.PURCHASED, Origin.PORTED_IN})
IN_SERVICE = frozenset({Status.ACTIVE, Status.SUSPENDED})


class BrandingStatus(StrEnum):
    """Where a branding request stands at the carrier (N9)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ListingStatus(StrEnum):
    """Where a directory registration stands (N10)."""

    REQUESTED = "requested"
    REGISTERED = "registered"
    REJECTED = "rejected"


@dataclass
class Branding:
    """What the people a number calls see about the caller (N9); one per number."""

    org_id: str
    number_id: str
    display_name: str
    status: BrandingStatus
    submitted_at: datetime
    location: str | None = None
    logo_url: str | None = None
    call_reason: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None

    def __post_init__(self) -> None:
        self.status = BrandingStatus(self.status)


@dataclass
class DirectoryListing:
    """A number's entry in its country's directory, with company information (N10)."""

    org_id: str
    number_id: str
    directory: str
    company_name: str
    status: ListingStatus
    requested_at: datetime
    sponsor_id: str | None = None
    mandate_id: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None

    def __post_init__(self) -> None:
        self.status = ListingStatus(self.status)


@dataclass(frozen=True)
class BrandingRequest:
    """A checked branding request: what the org asks the carrier to show."""

    display_name: str
    location: str | None = None
    logo_url: str | None = None
    call_reason: str | None = None


@dataclass(frozen=True)
class Directory:
    """A country's phone directory we can register numbers in (N10), with its source."""

    country: str
    name: str
    website: str
    source: str


# --- Directories (data) ---------------------------------------------------------------------


def parse_directories(text: str) -> dict[str, Directory]:
    """Directories by country from the CSV text (country, directory, website, source)."""
    rows = csv.DictReader(io.StringIO(text))
    found: dict[str, Directory] = {}
    for row in rows:
        country = row["country"].strip().upper()
        found[country] = Directory(
            country, row["directory"].strip(), row["website"].strip(), row["source"].strip()
        )
    return found


@functools.cache
def directories() -> dict[str, Directory]:
    """The directories shipped with numberdesk, by country."""
    text = resources.files("numberdesk").joinpath("data/directories.csv").read_text("utf-8")
    return parse_directories(text)


def require_directory(country: str) -> Directory:
    """The directory of the number's country, or refuse naming the countries that have one."""
    found = directories().get(country)
    if found is None:
        known = ", ".join(f"{d.country} ({d.name})" for d in sorted(directories().values(), key=_c))
        raise Invalid(
            "no_directory",
            f"{country} has no phone directory we can register numbers in (rule N10); "
            f"directory registration is available for numbers in {known}",
        )
    return found


def _c(directory: Directory) -> str:
    return directory.country


# --- Which numbers may be branded or registered (N2, N9, N10) -------------------------------


def require_in_service(number: Number) -> None:
    """Refuse a number that is no longer the org's (409) or not yet in service (409)."""
    require_still_live(number)
    if number.status not in IN_SERVICE:
        raise Conflict(
            "number_not_active",
            f"{number.e164} is {number.status.value}; wait until it is active, then try again",
        )


def require_brandable(number: Number) -> None:
    """Only the org's own (purchased or ported-in) numbers that make calls are branded (N9, N2)."""
    require_in_service(number)
    if number.origin not in OWNED_ORIGINS:
        raise Invalid(
            "number_masked",
            f"{number.e164} is a masked number and masked numbers can't be branded (rules N9, "
            "N2): its carrier is not ours; brand a purchased or ported-in number instead",
        )
    if not number.can(Capability.VOICE_OUT):
        raise Invalid(
            "capability_missing",
            f"{number.e164} is an {number.kind.value} number: it places no calls, so branding "
            "(shown to the people it calls) has no use (rules N9, N2); brand a voice or omni "
            "number instead",
        )


def require_registrable(number: Number) -> Directory:
    """Only owned (not masked) numbers in a country with a directory are registered (N10)."""
    require_in_service(number)
    if number.origin not in OWNED_ORIGINS:
        raise Invalid(
            "number_masked",
            f"{number.e164} is a masked number and masked numbers can't be registered in a "
            "directory (rules N10, N2); register a purchased or ported-in number instead",
        )
    return require_directory(number.country)


# --- Checking what the org asks for ---------------------------------------------------------


def check_branding(
    display_name: str,
    location: str | None = None,
    logo_url: str | None = None,
    call_reason: str | None = None,
) -> BrandingRequest:
    """A branding request within the carrier's limits (N9)."""
    return BrandingRequest(
        display_name=check_name(display_name, "display_name", MAX_DISPLAY_NAME),
        location=_optional(location, "location", MAX_LOCATION),
        logo_url=check_logo_url(logo_url),
        call_reason=_optional(call_reason, "call_reason", MAX_CALL_REASON),
    )


def _optional(value: str | None, field: str, max_length: int) -> str | None:
    """A trimmed optional text; empty means none."""
    if value is None or not value.strip():
        return None
    return check_name(value, field, max_length)


def check_logo_url(value: str | None) -> str | None:
    """The logo's address: an https URL (the carrier fetches it), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in text):
        raise invalid_field(
            "logo_url", f"{value!r} is not an https URL; give one like https://example.com/logo.png"
        )
    if len(text) > MAX_LOGO_URL:
        raise invalid_field("logo_url", f"must be at most {MAX_LOGO_URL} characters")
    return text


def check_company_name(value: str) -> str:
    """The company name the directory shows (N10)."""
    return check_name(value, "company_name", MAX_COMPANY_NAME)


def check_reason(approved: bool, reason: str | None) -> str | None:
    """The carrier's reason: required for a rejection, kept (trimmed) for an approval."""
    if approved:
        return _optional(reason, "reason", MAX_REASON)
    if reason is None or not reason.strip():
        raise invalid_field("reason", "give the carrier's reason for the rejection")
    return check_name(reason, "reason", MAX_REASON)


# --- Lifecycle -----------------------------------------------------------------------------


def is_unchanged_branding(current: Branding | None, request: BrandingRequest) -> bool:
    """Whether a PUT repeats a branding that is pending or approved (so nothing is resubmitted)."""
    return (
        current is not None
        and current.status is not BrandingStatus.REJECTED
        and BrandingRequest(
            current.display_name, current.location, current.logo_url, current.call_reason
        )
        == request
    )


def is_unchanged_listing(
    current: DirectoryListing | None, company_name: str, sponsor_id: str | None
) -> bool:
    """Whether a PUT repeats a registration that is requested or done (so nothing is re-sent)."""
    return (
        current is not None
        and current.status is not ListingStatus.REJECTED
        and (current.company_name, current.sponsor_id) == (company_name, sponsor_id)
    )


def decide_branding(
    branding: Branding, approved: bool, reason: str | None, at: datetime
) -> Branding:
    """The carrier's decision on a submitted branding (N9)."""
    if branding.status is not BrandingStatus.SUBMITTED:
        raise Conflict(
            "branding_not_submitted",
            f"The branding is already {branding.status.value}; only a submitted branding is "
            "reviewed (the organisation resubmits it with PUT .../branding)",
        )
    status = BrandingStatus.APPROVED if approved else BrandingStatus.REJECTED
    return replace(branding, status=status, reason=check_reason(approved, reason), decided_at=at)


def decide_listing(
    listing: DirectoryListing, registered: bool, reason: str | None, at: datetime
) -> DirectoryListing:
    """The directory's decision on a requested registration (N10)."""
    if listing.status is not ListingStatus.REQUESTED:
        raise Conflict(
            "listing_not_requested",
            f"The directory registration is already {listing.status.value}; only a requested "
            "one is reviewed (the organisation requests it again with PUT .../directory-listing)",
        )
    status = ListingStatus.REGISTERED if registered else ListingStatus.REJECTED
    return replace(listing, status=status, reason=check_reason(registered, reason), decided_at=at)

"""Branding (N9) and directory registration (N10) rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from numberdesk.domain.branding import (
    Branding,
    BrandingRequest,
    BrandingStatus,
    DirectoryListing,
    ListingStatus,
    check_branding,
    decide_branding,
    decide_listing,
    directories,
    is_unchanged_branding,
    is_unchanged_listing,
    parse_directories,
    require_brandable,
    require_registrable,
)
from numberdesk.domain.errors import Conflict, Invalid
from numberdesk.domain.numbers import Kind, Number, Origin, Status

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def number(
    kind: Kind = Kind.VOICE,
    origin: Origin = Origin.PURCHASED,
    status: Status = Status.ACTIVE,
    country: str = "FI",
) -> Number:
    """A number of the org, Finnish unless told."""
    return Number(
        org_id="org_1",
        id="num_1",
        e164="+358912345678",
        country=country,
        line_type="local",
        kind=kind,
        origin=origin,
        status=status,
        created_at=NOW,
    )


def submitted(**changes: object) -> Branding:
    """A branding waiting for the carrier."""
    found = Branding("org_1", "num_1", "Acme", BrandingStatus.SUBMITTED, NOW)
    return replace(found, **changes)  # type: ignore[arg-type]


def test_display_name_of_32_characters_passes_and_33_is_refused_n9() -> None:
    assert check_branding("x" * 32).display_name == "x" * 32
    with pytest.raises(Invalid) as refused:
        check_branding("x" * 33)
    assert refused.value.errors[0].field == "display_name"
    assert "32" in refused.value.detail


def test_reason_for_call_of_64_characters_passes_and_65_is_refused_n9() -> None:
    assert check_branding("Acme", call_reason="r" * 64).call_reason == "r" * 64
    with pytest.raises(Invalid) as refused:
        check_branding("Acme", call_reason="r" * 65)
    assert refused.value.errors[0].field == "call_reason"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"display_name": "  "}, "display_name"),
        ({"display_name": "Acme", "location": "l" * 101}, "location"),
        ({"display_name": "Acme", "logo_url": "http://acme.example/logo.png"}, "logo_url"),
        ({"display_name": "Acme", "logo_url": "https://"}, "logo_url"),
        ({"display_name": "Acme", "logo_url": "https://acme.example/a logo.png"}, "logo_url"),
    ],
)
def test_branding_outside_the_carriers_limits_is_refused_naming_the_field_n9(
    fields: dict[str, str], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        check_branding(**fields)
    assert refused.value.errors[0].field == field


def test_branding_is_trimmed_and_blank_extras_mean_none_n9() -> None:
    asked = check_branding(" Acme ", location=" ", logo_url="", call_reason=" Renewal ")
    assert asked == BrandingRequest("Acme", None, None, "Renewal")
    logo = check_branding("Acme", logo_url="https://acme.example/logo.png").logo_url
    assert logo == "https://acme.example/logo.png"


def test_purchased_and_ported_in_voice_and_omni_numbers_can_be_branded_n9() -> None:
    for kind in (Kind.VOICE, Kind.OMNI):
        for origin in (Origin.PURCHASED, Origin.PORTED_IN):
            require_brandable(number(kind, origin))
    require_brandable(number(status=Status.SUSPENDED))


def test_masked_number_cannot_be_branded_n9_n2() -> None:
    with pytest.raises(Invalid) as refused:
        require_brandable(number(Kind.MASKED, Origin.MASKED))
    assert refused.value.code == "number_masked"
    assert "masked numbers can't be branded" in refused.value.detail
    assert "N9" in refused.value.detail


def test_sms_number_places_no_calls_so_it_cannot_be_branded_n9_n2() -> None:
    with pytest.raises(Invalid) as refused:
        require_brandable(number(Kind.SMS))
    assert refused.value.code == "capability_missing"
    assert "N9" in refused.value.detail


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Status.RELEASED, "number_not_live"),
        (Status.PORTED_OUT, "number_not_live"),
        (Status.PENDING, "number_not_active"),
        (Status.PORTING_IN, "number_not_active"),
    ],
)
def test_numbers_out_of_service_are_neither_branded_nor_registered_n3(
    status: Status, code: str
) -> None:
    for check in (require_brandable, require_registrable):
        with pytest.raises(Conflict) as refused:
            check(number(status=status))
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("country", "directory"), [("FI", "Fonecta"), ("SE", "Hitta.se"), ("NO", "1881")]
)
def test_numbers_register_in_their_countrys_directory_n10(country: str, directory: str) -> None:
    assert require_registrable(number(country=country)).name == directory


def test_directories_are_data_with_a_source_for_each_row_n10() -> None:
    shipped = directories()
    assert sorted(shipped) == ["FI", "NO", "SE"]
    assert all(d.source and d.website.startswith("https://") for d in shipped.values())
    extra = parse_directories("country,directory,website,source\ndk,Krak,https://krak.dk,x\n")
    assert extra["DK"].name == "Krak"


def test_country_without_directory_is_refused_naming_those_with_one_n10() -> None:
    with pytest.raises(Invalid) as refused:
        require_registrable(number(country="DE"))
    assert refused.value.code == "no_directory"
    for named in ("N10", "FI (Fonecta)", "SE (Hitta.se)", "NO (1881)"):
        assert named in refused.value.detail


def test_masked_number_cannot_be_registered_n10_n2() -> None:
    with pytest.raises(Invalid) as refused:
        require_registrable(number(Kind.MASKED, Origin.MASKED))
    assert refused.value.code == "number_masked"
    assert "N10" in refused.value.detail


def test_carrier_approves_or_rejects_with_a_reason_once_n9() -> None:
    approved = decide_branding(submitted(), True, None, NOW)
    assert (approved.status, approved.decided_at) == (BrandingStatus.APPROVED, NOW)
    rejected = decide_branding(submitted(), False, " Name is misleading ", NOW)
    assert (rejected.status, rejected.reason) == (BrandingStatus.REJECTED, "Name is misleading")
    with pytest.raises(Invalid):
        decide_branding(submitted(), False, None, NOW)
    with pytest.raises(Conflict) as twice:
        decide_branding(approved, False, "changed my mind", NOW)
    assert twice.value.code == "branding_not_submitted"


def test_directory_registers_or_rejects_a_requested_listing_once_n10() -> None:
    asked = DirectoryListing("org_1", "num_1", "Fonecta", "Acme Oy", ListingStatus.REQUESTED, NOW)
    registered = decide_listing(asked, True, None, NOW)
    assert registered.status is ListingStatus.REGISTERED
    with pytest.raises(Conflict) as twice:
        decide_listing(registered, True, None, NOW)
    assert twice.value.code == "listing_not_requested"


def test_repeating_a_pending_or_approved_branding_does_not_resubmit_it_n9() -> None:
    same = BrandingRequest("Acme")
    assert is_unchanged_branding(submitted(), same)
    assert is_unchanged_branding(submitted(status=BrandingStatus.APPROVED), same)
    assert not is_unchanged_branding(submitted(status=BrandingStatus.REJECTED), same)
    assert not is_unchanged_branding(submitted(), BrandingRequest("Acme", call_reason="Hi"))
    listed = DirectoryListing("org_1", "num_1", "Fonecta", "Acme Oy", ListingStatus.REGISTERED, NOW)
    assert is_unchanged_listing(listed, "Acme Oy", None)
    assert not is_unchanged_listing(listed, "Acme Oy", "spn_1")

"""Linking rules (C2) and a number's compliance with the fix for each issue (C4), no database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from numberdesk.domain.addresses import Address, rule_for
from numberdesk.domain.compliance import (
    assess,
    compliance_of,
    in_area,
    mismatch,
    place_forms,
    require_linkable,
)
from numberdesk.domain.errors import Invalid
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.domain.phones import parse_phone

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def number(raw: str, status: Status = Status.ACTIVE, **changes: object) -> Number:
    """A number of org ``o`` as libphonenumber describes it."""
    phone = parse_phone(raw, "US")
    made = Number(
        org_id="o",
        id=f"num_{phone.e164[1:]}",
        e164=phone.e164,
        country=phone.country,
        line_type=phone.line_type.value,
        kind=Kind.VOICE,
        origin=Origin.PURCHASED,
        status=status,
        created_at=AT,
        area_code=phone.area_code,
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


def address(city: str, country: str = "DE", region: str | None = None) -> Address:
    """An address of org ``o`` in ``city``."""
    return Address(
        "o", f"adr_{city}", f"Office {city}", "Street 1", city, "12345", country, AT, region
    )


BERLIN = "+493012345678"  # prefix 30: Berlin
MUNICH = "+498912345678"  # prefix 89: Munich / München


def reason(raw: str, where: Address) -> str | None:
    n = number(raw)
    found = mismatch(n, where, rule_for(n.country, n.line_type))
    return None if found is None else found.reason


def test_a_berlin_number_refuses_a_munich_address_and_accepts_a_berlin_one_c2() -> None:
    refused = reason(BERLIN, address("Munich"))
    assert refused is not None
    assert "outside the area of prefix 30 (Berlin)" in refused
    assert reason(BERLIN, address("Berlin")) is None


@pytest.mark.parametrize("city", ["München", "MÜNCHEN", "Munchen", "munich", "Muenchen"])
def test_a_munich_number_accepts_munich_in_any_spelling_case_or_accent_c2(city: str) -> None:
    assert reason(MUNICH, address(city)) is None


def test_the_region_also_places_an_address_in_the_area_c2() -> None:
    assert reason(MUNICH, address("Unterhaching", region="München")) is None
    assert reason(MUNICH, address("Unterhaching", region="Bayern")) is not None


def test_a_district_of_the_area_is_inside_it_but_a_shorter_name_is_not_c2() -> None:
    assert in_area(["Berlin"], address("Berlin-Mitte"))
    assert not in_area(["Frankfurt am Main"], address("Frankfurt"))
    assert place_forms("MÜNCHEN") == {"munchen", "muenchen"}


def test_an_address_in_another_country_is_refused_as_the_wrong_country_c2() -> None:
    n = number(BERLIN)
    found = mismatch(n, address("Berlin", country="AT"), rule_for("DE", "local"))
    assert found is not None
    assert found.code == "wrong_country"
    assert "wrong country" in found.reason


def test_gb_local_numbers_need_an_address_anywhere_in_gb_c1_c2() -> None:
    london = "+442071234567"
    assert reason(london, address("Manchester", country="GB")) is None
    assert "wrong country" in (reason(london, address("Dublin", country="IE")) or "")


def test_us_local_numbers_need_no_address_so_any_address_is_accepted_c1_c2() -> None:
    new_york = "+12125550123"
    assert reason(new_york, address("Toronto", country="CA")) is None
    assert assess(number(new_york), None).ok


def test_german_mobile_numbers_need_no_address_c1() -> None:
    assert assess(number("+4915123456789"), None).ok


def test_require_linkable_refuses_with_the_rule_and_the_reason_c2() -> None:
    with pytest.raises(Invalid) as refused:
        require_linkable(number(BERLIN), address("Munich"))
    assert refused.value.code == "address_rule_not_met"
    assert "outside the area of prefix 30 (Berlin)" in refused.value.detail
    assert "C2" in refused.value.detail


def test_a_number_without_its_required_address_says_where_to_link_one_c4() -> None:
    n = number(BERLIN)
    (issue,) = assess(n, None).issues
    assert issue.code == "address_required"
    assert "prefix 30 (Berlin)" in issue.message
    assert f"PATCH /v1/numbers/{n.id}" in issue.fix
    assert "POST /v1/addresses/{address_id}/numbers" in issue.fix


def test_a_linked_address_that_no_longer_proves_the_number_is_flagged_c4() -> None:
    munich = address("Munich")
    n = number(BERLIN, address_id=munich.id)
    (issue,) = assess(n, munich).issues
    assert issue.code == "address_not_valid"
    assert f"PATCH /v1/addresses/{munich.id}" in issue.fix
    assert assess(number(BERLIN, address_id="adr_Berlin"), address("Berlin")).ok


def test_a_suspended_number_explains_why_and_how_to_reactivate_c3_c4() -> None:
    n = number("+12125550123", Status.SUSPENDED, status_reason="mandate man_1 was revoked")
    (issue,) = assess(n, None).issues
    assert (issue.code, issue.message) == ("suspended", "mandate man_1 was revoked")
    assert issue.fix == f"re-activate under an active mandate: POST /v1/numbers/{n.id}/reactivate"


def test_pending_and_porting_numbers_say_what_to_do_c4() -> None:
    pending = assess(number("+12125550123", Status.PENDING), None).issues
    assert [i.code for i in pending] == ["pending_verification"]
    assert "/verify" in pending[0].fix
    porting = assess(number("+12125550123", Status.PORTING_IN), None).issues
    assert [i.code for i in porting] == ["porting_in"]
    assert porting[0].fix


def test_issues_add_up_and_every_one_has_a_fix_c4() -> None:
    found = assess(number(BERLIN, Status.SUSPENDED), None)
    assert not found.ok
    assert [i.code for i in found.issues] == ["suspended", "address_required"]
    assert all(i.fix for i in found.issues)


def test_a_number_that_left_has_nothing_left_to_fix_c4() -> None:
    assert assess(number(BERLIN, Status.RELEASED), None).ok


def test_compliance_of_many_numbers_uses_the_addresses_given_c4() -> None:
    berlin, munich = address("Berlin"), address("Munich")
    good = number(BERLIN, address_id=berlin.id)
    bad = number("+493087654321", address_id=munich.id)
    missing = number("+493011112222")
    found = compliance_of([good, bad, missing], [berlin, munich])
    assert found[good.id].ok
    assert [i.code for i in found[bad.id].issues] == ["address_not_valid"]
    assert [i.code for i in found[missing.id].issues] == ["address_required"]

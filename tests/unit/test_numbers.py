"""Domain rules of numbers: capabilities (N2), buying (N4), area codes and local presence (O3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from numberdesk.domain import areacodes
from numberdesk.domain.errors import Conflict, Invalid
from numberdesk.domain.numbers import (
    Capability,
    Kind,
    Number,
    Origin,
    PresenceArea,
    Status,
    all_area_codes,
    check_area_code_syntax,
    check_kind_to_buy,
    check_mapped_area_codes,
    check_quantity,
    check_tags,
    local_presence,
    require_capability,
    require_still_live,
)

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def number(kind: Kind = Kind.VOICE, **fields: Any) -> Number:
    """A US 212 number of this kind."""
    base = Number(
        org_id="org_1",
        id="num_1",
        e164="+12127108999",
        country="US",
        line_type="local",
        kind=kind,
        origin=Origin.MASKED if kind is Kind.MASKED else Origin.PURCHASED,
        status=Status.ACTIVE,
        created_at=AT,
        area_code="212",
    )
    return replace(base, **fields)


@pytest.mark.parametrize(
    ("kind", "can"),
    [
        (Kind.VOICE, {"voice_in", "voice_out"}),
        (Kind.OMNI, {"voice_in", "voice_out", "sms_in", "sms_out"}),
        (Kind.SMS, {"sms_in", "sms_out"}),
        (Kind.MASKED, {"voice_out"}),
    ],
)
def test_capabilities_follow_the_kind_n2(kind: Kind, can: set[str]) -> None:
    assert {c.value for c in Capability if number(kind).can(c)} == can


def test_masked_number_is_refused_as_an_inbound_route_n2() -> None:
    with pytest.raises(Invalid) as refused:
        require_capability(number(Kind.MASKED), Capability.VOICE_IN, "as an inbound route")
    assert refused.value.code == "capability_missing"
    assert "voice or omni" in refused.value.detail


@pytest.mark.parametrize("kind", ["voice", "omni", "sms"])
def test_voice_omni_and_sms_can_be_bought_n4(kind: str) -> None:
    assert check_kind_to_buy(kind) == Kind(kind)


@pytest.mark.parametrize(
    ("kind", "code"), [("masked", "kind_not_buyable"), ("fax", "unknown_kind")]
)
def test_masked_and_unknown_kinds_cannot_be_bought_n4(kind: str, code: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_kind_to_buy(kind)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("quantity", "ok"), [(0, False), (1, True), (100, True), (101, False), (10_000, False)]
)
def test_an_order_buys_1_to_100_numbers_n4(quantity: int, ok: bool) -> None:
    if ok:
        assert check_quantity(quantity) == quantity
    else:
        with pytest.raises(Invalid, match="between 1 and 100"):
            check_quantity(quantity)


@pytest.mark.parametrize("raw", ["", "2 1", "abc", "123456789", "٢١٢"])
def test_area_codes_are_digits(raw: str) -> None:
    with pytest.raises(Invalid):
        check_area_code_syntax(raw)


def test_mapped_area_codes_are_known_deduplicated_sorted_and_leave_out_the_own_one() -> None:
    mapped = check_mapped_area_codes(number(), ["718", "212", "646", "718"], areacodes.is_area_code)
    assert mapped == ["646", "718"]


@pytest.mark.parametrize("code", ["999", "20"])
def test_an_area_code_of_no_area_or_of_another_country_is_refused(code: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_mapped_area_codes(number(), [code], areacodes.is_area_code)
    assert refused.value.code == "unknown_area_code"
    assert "/v1/area-codes?country=US" in refused.value.detail


def test_sms_number_cannot_cover_area_codes_but_can_clear_them_n2() -> None:
    with pytest.raises(Invalid) as refused:
        check_mapped_area_codes(number(Kind.SMS), ["646"], areacodes.is_area_code)
    assert refused.value.code == "capability_missing"
    assert check_mapped_area_codes(number(Kind.SMS), [], areacodes.is_area_code) == []


def test_masked_number_covers_area_codes_since_it_makes_calls_n2() -> None:
    assert check_mapped_area_codes(number(Kind.MASKED), ["646"], areacodes.is_area_code) == ["646"]


def test_tags_are_trimmed_unique_and_short() -> None:
    assert check_tags([" sales", "sales ", "nyc"]) == ["sales", "nyc"]
    for bad in ([""], ["x" * 51], [f"t{i}" for i in range(21)]):
        with pytest.raises(Invalid):
            check_tags(bad)


def test_a_released_number_cannot_be_released_again_n3() -> None:
    require_still_live(number(status=Status.SUSPENDED))
    for final in (Status.RELEASED, Status.PORTED_OUT):
        with pytest.raises(Conflict) as refused:
            require_still_live(number(status=final))
        assert refused.value.code == "number_not_live"


def test_a_number_covers_its_own_area_code_first_then_the_mapped_ones() -> None:
    assert all_area_codes(number(), ["646", "212", "718"]) == ["212", "646", "718"]
    assert all_area_codes(number(area_code=None), ["646"]) == ["646"]


def test_local_presence_lists_one_number_under_many_area_codes_o3() -> None:
    ny = number(id="num_a")
    other = number(id="num_b", e164="+12128241208")
    areas = local_presence([other, ny], {"num_a": ["646", "718"]})
    assert areas == [
        PresenceArea("US", "212", ["+12127108999", "+12128241208"]),
        PresenceArea("US", "646", ["+12127108999"]),
        PresenceArea("US", "718", ["+12127108999"]),
    ]


def test_local_presence_leaves_out_numbers_that_cannot_call_now_n2_n3() -> None:
    left_out = [
        number(Kind.SMS, id="num_sms"),
        number(id="num_sus", status=Status.SUSPENDED),
        number(id="num_rel", status=Status.RELEASED),
        number(id="num_pen", status=Status.PENDING),
    ]
    masked = number(Kind.MASKED, id="num_m", e164="+12125550147")
    areas = local_presence([*left_out, masked], {n.id: ["646"] for n in left_out})
    assert areas == [PresenceArea("US", "212", ["+12125550147"])]

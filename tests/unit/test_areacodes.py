"""The area-code catalogue and the sandbox's candidate numbers (N1, N4), without a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import phonenumbers
import pytest

from numberdesk.domain import areacodes
from numberdesk.domain.areacodes import (
    area_codes,
    area_name,
    buyable_kind,
    candidate_numbers,
    is_area_code,
)
from numberdesk.domain.errors import Invalid
from numberdesk.domain.phones import LineType, parse_phone

COUNTRIES = ["US", "CA", "GB", "DE", "FI", "SE", "NO", "DK", "FR", "ES", "IT", "NL", "AU"]


@pytest.mark.parametrize(
    ("country", "area_code"),
    [
        ("US", "212"),
        ("US", "907"),
        ("US", "415"),
        ("CA", "416"),
        ("GB", "20"),
        ("DE", "30"),
        ("DE", "89"),
        ("FI", "9"),
        ("SE", "8"),
        ("NO", "22"),
        ("FR", "1"),
        ("ES", "912"),
        ("IT", "02"),
        ("NL", "20"),
        ("AU", "2"),
    ],
)
def test_well_known_city_area_codes_are_in_the_catalogue(country: str, area_code: str) -> None:
    assert area_code in area_codes(country)
    assert is_area_code(country, area_code)


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_supported_country_has_area_codes(country: str) -> None:
    codes = area_codes(country)
    assert codes
    assert list(codes) == sorted(set(codes))
    assert all(code.isdigit() for code in codes)


@pytest.mark.parametrize(
    ("country", "prefix"),
    [("US", "800"), ("US", "999"), ("GB", "7700"), ("FI", "40"), ("DE", "151"), ("ES", "91")],
)
def test_mobile_toll_free_and_unassigned_prefixes_are_not_area_codes(
    country: str, prefix: str
) -> None:
    assert not is_area_code(country, prefix)


def test_canadian_area_codes_are_not_us_area_codes() -> None:
    assert is_area_code("CA", "416")
    assert not is_area_code("US", "416")
    assert not set(area_codes("US")) & set(area_codes("CA"))


def test_unknown_country_has_no_area_codes() -> None:
    assert area_codes("ZZ") == ()
    assert not is_area_code("XX", "212")
    assert candidate_numbers("ZZ", None, "voice", 5) == []


def test_country_code_is_read_in_any_case() -> None:
    assert is_area_code("us", "212")
    assert area_codes("gb") == area_codes("GB")


def test_one_countrys_catalogue_is_built_in_well_under_a_second() -> None:
    areacodes._geodata()  # libphonenumber's geocoder table loads once per process
    areacodes._catalogue.cache_clear()
    started = time.perf_counter()
    areacodes._catalogue("US")
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("country", "area_code", "name"),
    [("US", "212", "New York, NY"), ("GB", "20", "London"), ("DE", "89", "Munich")],
)
def test_area_name_is_the_geocoders_english_name(country: str, area_code: str, name: str) -> None:
    assert area_name(country, area_code) == name


def test_area_name_of_something_that_is_not_an_area_code_is_none() -> None:
    assert area_name("US", "800") is None


@pytest.mark.parametrize(
    ("country", "area_code"),
    [("US", "212"), ("GB", "20"), ("DE", "30"), ("FI", "9"), ("IT", "02"), ("DK", "33")],
)
def test_every_offered_number_is_valid_for_its_area_code_n1(country: str, area_code: str) -> None:
    numbers = candidate_numbers(country, area_code, "voice", 40)
    assert len(numbers) == 40
    assert len({number.e164 for number in numbers}) == 40
    for number in numbers:
        assert phonenumbers.is_valid_number(phonenumbers.parse(number.e164))
        assert parse_phone(number.e164, country) == number
        assert (number.country, number.area_code) == (country, area_code)
        assert number.line_type is LineType.LOCAL


@pytest.mark.parametrize("country", COUNTRIES)
def test_country_wide_candidates_spread_over_area_codes(country: str) -> None:
    numbers = candidate_numbers(country, None, "sms", 20)
    assert len({number.e164 for number in numbers}) == 20
    assert all(number.line_type is LineType.LOCAL for number in numbers)
    assert all(is_area_code(country, str(number.area_code)) for number in numbers)
    codes = area_codes(country)
    assert len({number.area_code for number in numbers}) == min(20, len(codes))


def test_country_wide_candidates_come_from_their_area_codes_lists() -> None:
    for number in candidate_numbers("US", None, "voice", 10):
        assert number in candidate_numbers("US", number.area_code, "voice", 1)


def test_kinds_never_share_a_number() -> None:
    voice, omni, sms = (
        {n.e164 for n in candidate_numbers("US", "212", kind, 200)}
        for kind in ("voice", "omni", "sms")
    )
    assert len(voice) == len(omni) == len(sms) == 200
    assert not voice & omni
    assert not voice & sms
    assert not omni & sms


def test_a_longer_stock_starts_with_the_shorter_one() -> None:
    assert candidate_numbers("GB", "20", "omni", 50)[:10] == candidate_numbers(
        "GB", "20", "omni", 10
    )


def test_candidates_are_the_same_in_every_process() -> None:
    script = (
        "import json; from numberdesk.domain.areacodes import candidate_numbers as c; "
        "print(json.dumps([n.e164 for n in c('US', '212', 'voice', 5)]"
        " + [n.e164 for n in c('DE', None, 'sms', 5)]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},  # another string-hash seed than ours
    )
    here = [n.e164 for n in candidate_numbers("US", "212", "voice", 5)]
    here += [n.e164 for n in candidate_numbers("DE", None, "sms", 5)]
    assert json.loads(run.stdout) == here


def test_unknown_area_code_has_no_candidates() -> None:
    assert candidate_numbers("US", "800", "voice", 5) == []


@pytest.mark.parametrize("kind", ["masked", "fax", ""])
def test_only_voice_omni_and_sms_numbers_can_be_bought(kind: str) -> None:
    with pytest.raises(Invalid) as refused:
        candidate_numbers("US", "212", kind, 5)
    assert "voice, omni or sms" in refused.value.detail
    with pytest.raises(Invalid):
        buyable_kind(kind)

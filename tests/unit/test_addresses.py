"""Address requirements as data (C1) and the fields of an address, without a database."""

from __future__ import annotations

import re

import pytest

from numberdesk.domain.addresses import (
    Requirement,
    RequirementDataError,
    clean_address_fields,
    countries_with_rules,
    parse_requirements,
    requirement_table,
    rule_for,
    rules_of_country,
)
from numberdesk.domain.errors import Invalid

SHIPPED = ["FI", "SE", "NO", "DK", "DE", "GB", "FR", "ES", "IT", "NL", "US", "CA", "AU"]
HEADER = "country,line_type,requirement,source\n"
DEFAULTS = "".join(
    f"*,{t},none,seed\n" for t in ("local", "mobile", "toll_free", "national", "other")
)


@pytest.mark.parametrize("country", SHIPPED)
def test_every_shipped_country_has_its_own_rows_each_with_a_source_c1(country: str) -> None:
    own = [r for (c, _), r in requirement_table().items() if c == country]
    assert {r.line_type for r in own} >= {"local", "mobile", "toll_free"}
    assert all(len(r.source) > 10 for r in own)


def test_the_shipped_countries_are_at_least_the_thirteen_of_the_issue_c1() -> None:
    assert set(countries_with_rules()) >= set(SHIPPED)


def test_defaults_from_the_seeds_local_national_mobile_and_toll_free_none_c1() -> None:
    table = requirement_table()
    assert table[("*", "local")].requirement is Requirement.NATIONAL
    assert table[("*", "mobile")].requirement is Requirement.NONE
    assert table[("*", "toll_free")].requirement is Requirement.NONE
    assert all(table[("*", t)].source for t in ("local", "mobile", "toll_free", "national"))


def test_a_country_row_overrides_the_default_c1() -> None:
    assert rule_for("DE", "local").requirement is Requirement.LOCAL
    assert rule_for("US", "local").requirement is Requirement.NONE
    assert rule_for("CA", "local").requirement is Requirement.NONE
    assert rule_for("GB", "local").requirement is Requirement.NATIONAL
    assert "BNetzA" in rule_for("DE", "local").source
    assert "FCC" in rule_for("US", "local").source


def test_a_country_without_rows_gets_the_defaults_c1() -> None:
    rule = rule_for("BE", "local")
    assert rule.is_default
    assert rule.requirement is Requirement.NATIONAL
    assert rule_for("BE", "mobile").requirement is Requirement.NONE


def test_rules_of_a_country_cover_every_line_type_and_refuse_an_unknown_country_c1() -> None:
    rules = rules_of_country("de")
    assert [r.line_type for r in rules] == ["local", "mobile", "toll_free", "national", "other"]
    assert rules[-1].is_default
    assert not rules[0].is_default
    with pytest.raises(Invalid) as refused:
        rules_of_country("XX")
    assert refused.value.code == "unknown_country"


def test_an_unknown_requirement_is_an_error_naming_the_row_c1() -> None:
    text = HEADER + DEFAULTS + "DE,local,regional,BNetzA\n"
    with pytest.raises(RequirementDataError, match=r"line 7: unknown requirement 'regional'"):
        parse_requirements(text, "rules.csv")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("XX,local,none,somebody", "unknown country 'XX'"),
        ("DE,landline,none,somebody", "unknown line type 'landline'"),
        ("DE,local,local,", "every row needs its source"),
        ("*,local,none,twice", "a second row for * local"),
    ],
)
def test_a_malformed_row_is_an_error_naming_the_row_c1(row: str, message: str) -> None:
    with pytest.raises(RequirementDataError, match=re.escape(f"rules.csv line 7: {message}")):
        parse_requirements(HEADER + DEFAULTS + row + "\n", "rules.csv")


def test_the_data_must_have_its_header_and_a_default_for_every_line_type_c1() -> None:
    with pytest.raises(RequirementDataError, match="header"):
        parse_requirements("country,type,requirement,source\n")
    with pytest.raises(RequirementDataError, match="no default"):
        parse_requirements(HEADER + "*,local,none,seed\n")


def test_address_fields_are_trimmed_and_the_country_normalised() -> None:
    clean = clean_address_fields(
        {
            "name": " HQ ",
            "street": "Unter den Linden 1",
            "city": "Berlin",
            "postal_code": "10117",
            "country": "de",
            "region": "  ",
        },
        creating=True,
    )
    assert clean["name"] == "HQ"
    assert clean["country"] == "DE"
    assert clean["region"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"street": "s", "city": "c", "postal_code": "1", "country": "DE"}, "name"),
        ({"name": "n", "street": "s", "city": "c", "postal_code": "1", "country": "ZZ"}, "country"),
        ({"name": "n", "street": "s", "city": " ", "postal_code": "1", "country": "DE"}, "city"),
        (
            {"name": "n", "street": "s", "city": "c", "postal_code": "1/2", "country": "DE"},
            "postal",
        ),
        ({"name": "n", "street": 5, "city": "c", "postal_code": "1", "country": "DE"}, "street"),
        (
            {"name": "n" * 201, "street": "s", "city": "c", "postal_code": "1", "country": "DE"},
            "name",
        ),
    ],
)
def test_bad_address_fields_are_refused_naming_the_field(
    fields: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        clean_address_fields(fields, creating=True)
    assert field in refused.value.detail


def test_unknown_address_fields_are_refused() -> None:
    with pytest.raises(Invalid) as refused:
        clean_address_fields({"zip": "10117"}, creating=False)
    assert refused.value.code == "unknown_field"
    assert "zip" in refused.value.detail

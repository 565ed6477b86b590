"""Proof of address (C1): the requirement of each (country, line type), kept as data, and addresses.

The requirements ship in ``numberdesk/data/address_requirements.csv`` (columns ``country``,
``line_type``, ``requirement``, ``source``). Rows with country ``*`` are the defaults from
the seeds; a country's own row overrides the default for its line type. The file is read and
checked once, on first use; a row that breaks the format is an error naming the row.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from importlib import resources
from typing import Any

import phonenumbers

from numberdesk.domain.errors import Invalid, invalid_field
from numberdesk.domain.orgs import check_name
from numberdesk.domain.phones import LineType, supported_country

DATA_FILE = "data/address_requirements.csv"
COLUMNS = ("country", "line_type", "requirement", "source")
DEFAULT = "*"


class Requirement(StrEnum):
    """What address a number needs (C1)."""

    NONE = "none"
    NATIONAL = "national"  # an address in the number's country
    LOCAL = "local"  # an address inside the area the number's prefix covers


@dataclass(frozen=True)
class RequirementRule:
    """One row of the requirement data: who needs what, and where the rule comes from."""

    country: str  # ISO code, or "*" for the default of every country
    line_type: str
    requirement: Requirement
    source: str

    @property
    def is_default(self) -> bool:
        """Whether this is the seeds' default rather than the country's own row."""
        return self.country == DEFAULT


class RequirementDataError(ValueError):
    """The requirement data file breaks its format (the message names the row)."""


def parse_requirements(text: str, name: str = DATA_FILE) -> dict[tuple[str, str], RequirementRule]:
    """Rules by (country, line type) from CSV text; refuse a bad row by its line number."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise RequirementDataError(f"{name}: the header must be {','.join(COLUMNS)}")
    rules: dict[tuple[str, str], RequirementRule] = {}
    for row in reader:
        rule = _rule(row, f"{name} line {reader.line_num}")
        key = (rule.country, rule.line_type)
        if key in rules:
            raise RequirementDataError(
                f"{name} line {reader.line_num}: a second row for {rule.country} {rule.line_type}"
            )
        rules[key] = rule
    missing = [t.value for t in LineType if (DEFAULT, t.value) not in rules]
    if missing:
        raise RequirementDataError(f"{name}: no default (*) row for {', '.join(missing)}")
    return rules


def _rule(row: Mapping[str, str | None], where: str) -> RequirementRule:
    country, line_type, requirement, source = ((row.get(c) or "").strip() for c in COLUMNS)
    if country != DEFAULT and country not in phonenumbers.SUPPORTED_REGIONS:
        raise RequirementDataError(f"{where}: unknown country {country!r}; use ISO codes or *")
    if line_type not in {t.value for t in LineType}:
        known = ", ".join(t.value for t in LineType)
        raise RequirementDataError(f"{where}: unknown line type {line_type!r}; use {known}")
    if requirement not in {r.value for r in Requirement}:
        raise RequirementDataError(
            f"{where}: unknown requirement {requirement!r}; use none, national or local"
        )
    if not source:
        raise RequirementDataError(f"{where}: every row needs its source")
    return RequirementRule(country, line_type, Requirement(requirement), source)


@functools.cache
def requirement_table() -> Mapping[tuple[str, str], RequirementRule]:
    """The requirement data shipped with numberdesk, read and checked once."""
    text = resources.files("numberdesk").joinpath(DATA_FILE).read_text("utf-8")
    return parse_requirements(text)


def rule_for(country: str, line_type: str) -> RequirementRule:
    """The rule of a (country, line type): the country's row, else the default (C1)."""
    table = requirement_table()
    kind = line_type if (DEFAULT, line_type) in table else LineType.OTHER.value
    return table.get((country.upper(), kind)) or table[(DEFAULT, kind)]


def rules_of_country(country: str) -> list[RequirementRule]:
    """The rule for every line type of a country, its own rows or the defaults."""
    code = supported_country(country)
    return [rule_for(code, t.value) for t in LineType]


def countries_with_rules() -> list[str]:
    """The countries with rows of their own, sorted."""
    return sorted({c for c, _ in requirement_table() if c != DEFAULT})


# --- Addresses ---------------------------------------------------------------------------


@dataclass
class Address:
    """A named postal address of the org, linked to the numbers it proves (C2)."""

    org_id: str
    id: str
    name: str
    street: str
    city: str
    postal_code: str
    country: str
    created_at: datetime
    region: str | None = None


ADDRESS_FIELDS = ("name", "street", "city", "postal_code", "region", "country")
REQUIRED_FIELDS = ("name", "street", "city", "postal_code", "country")
_MAX_LENGTHS = {"name": 200, "street": 300, "city": 200, "postal_code": 32, "region": 200}


def clean_address_fields(fields: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """Checked, trimmed address fields; refuse unknown, missing or malformed ones."""
    unknown = sorted(set(fields) - set(ADDRESS_FIELDS))
    if unknown:
        raise Invalid(
            "unknown_field",
            f"Addresses have no field {', '.join(unknown)}; use {', '.join(ADDRESS_FIELDS)}",
        )
    missing = [f for f in REQUIRED_FIELDS if creating and fields.get(f) is None]
    if missing:
        raise invalid_field(missing[0], "is required")
    return {key: _field(key, value) for key, value in fields.items()}


def _field(key: str, value: Any) -> str | None:
    if key == "region" and (value is None or (isinstance(value, str) and not value.strip())):
        return None
    if not isinstance(value, str):
        raise invalid_field(key, "must be text")
    if key == "country":
        return supported_country(value)
    text = check_name(value, key, _MAX_LENGTHS[key])
    if key == "postal_code" and not all(c.isalnum() or c in " -" for c in text):
        raise invalid_field(key, f"{text!r} is not a postal code; use letters, digits and spaces")
    return text

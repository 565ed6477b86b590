"""Regions for the ``nearby`` step (O3): a number's state or area, per libphonenumber geography.

For NANP numbers libphonenumber's geocoder names "City, ST" or a whole state ("New York");
both become the state's code. Elsewhere the geocoder's area name is the region.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import geocoder

NANP_AREAS = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV", "New Hampshire": "NH",
    "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY", "North Carolina": "NC",
    "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA",
    "Rhode Island": "RI", "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN",
    "Texas": "TX", "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA",
    "Washington D.C.": "DC", "Washington DC": "DC", "West Virginia": "WV", "Wisconsin": "WI",
    "Wyoming": "WY", "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB",
    "New Brunswick": "NB", "Newfoundland and Labrador": "NL", "Nova Scotia": "NS",
    "Ontario": "ON", "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
}  # fmt: skip


def _nanp_region(description: str) -> str:
    if "," in description:
        return description.rsplit(",", 1)[1].strip()
    return NANP_AREAS.get(description, description)


_BY_AREA: dict[tuple[str, str], str | None] = {}


def _describe(e164: str, country: str) -> str | None:
    description = geocoder.description_for_number(phonenumbers.parse(e164), "en")
    if not description:
        return None
    return (
        _nanp_region(description)
        if phonenumbers.country_code_for_region(country) == 1
        else description
    )


def region_of(e164: str, country: str, area_code: str | None) -> str | None:
    """A number's region: its state (NANP) or its geocoded area; None when unknown.

    Geographic numbers share their area code's region, so it is looked up once per area code.
    """
    if not area_code:
        return None
    key = (country, area_code)
    if key not in _BY_AREA:
        _BY_AREA[key] = _describe(e164, country)
    return _BY_AREA[key]

"""Whether a number is lawful to use, and what to fix if not (C2, C4).

An address satisfies a number's rule (C1) when the rule is ``none``; when it is in the
number's country for ``national``; and for ``local`` when it is also inside the area of the
number's prefix, as libphonenumber's geocoder names it (in English and in the country's own
languages, so "Munich" and "München" both count), compared without case and accents.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder, is_number_type_geographical

from numberdesk.domain.addresses import Address, Requirement, RequirementRule, rule_for
from numberdesk.domain.errors import Invalid
from numberdesk.domain.numbers import FINAL_STATUSES, NumberFacts, Status

# The geocoder's languages besides English for each country's place names.
NATIONAL_LANGUAGES: Mapping[str, tuple[str, ...]] = {
    "AT": ("de",),
    "BE": ("nl", "fr", "de"),
    "CA": ("fr",),
    "CH": ("de", "fr", "it"),
    "DE": ("de",),
    "DK": ("da",),
    "ES": ("es",),
    "FI": ("fi", "sv"),
    "FR": ("fr",),
    "IT": ("it",),
    "NL": ("nl",),
    "NO": ("nb", "no"),
    "SE": ("sv",),
}
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


@functools.lru_cache(maxsize=65_536)
def place_forms(text: str) -> frozenset[str]:
    """A place name without case, accents or punctuation ("MÜNCHEN" -> munchen, muenchen),
    kept per name: an index build compares the same few cities and area names for every
    number with a local address rule (bench/README.md, nineteenth session)."""
    return frozenset(_plain(variant) for variant in (text, text.translate(_SPELLED_OUT)))


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in bare).split())


@functools.lru_cache(maxsize=8192)
def area_names(e164: str) -> tuple[str, ...]:
    """The geocoder's names of the area a number's prefix covers (none if it only knows the
    country): ``geocoder.description_for_number`` in each language, with the number's type
    found once rather than once per language."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return ()
    kind = phonenumbers.number_type(parsed)
    if kind == PhoneNumberType.UNKNOWN or not is_number_type_geographical(
        kind, parsed.country_code or 0
    ):
        return ()  # the geocoder would name the country only
    region = phonenumbers.region_code_for_number(parsed) or ""
    languages = ("en", *NATIONAL_LANGUAGES.get(region, ()))
    countries = {_country_name(parsed, region, lang) for lang in languages}
    names = (geocoder.description_for_valid_number(parsed, lang) for lang in languages)
    return tuple(dict.fromkeys(n for n in names if n and n not in countries))


_COUNTRY_NAMES: dict[tuple[str, str], str] = {}


def _country_name(parsed: phonenumbers.PhoneNumber, region: str, language: str) -> str:
    """The geocoder's name of the number's country (what it says when it knows no area),
    kept per country (``region``): looking it up validates the number again in every region
    of its calling code (25 for +1)."""
    key = (region, language)
    name = _COUNTRY_NAMES.get(key)
    if name is None:
        name = _COUNTRY_NAMES[key] = geocoder.country_name_for_number(parsed, language)
    return name


def in_area(names: Iterable[str], address: Address) -> bool:
    """Whether the address's city or region is one of the area's names (or a part of one)."""
    places = (place_forms(address.city) | place_forms(address.region or "")) - {""}
    for name in names:
        for part in name.replace("/", ",").split(","):
            for area in place_forms(part) - {""}:
                if any(_same_place(area, place) for place in places):
                    return True
    return False


def _same_place(area: str, place: str) -> bool:
    """Equal, or the place is a part of the area ("berlin mitte" in "berlin"), never the reverse."""
    return area == place or place.startswith(area + " ")


@dataclass(frozen=True)
class Mismatch:
    """Why an address does not prove a number: ``wrong_country`` or ``outside_area``."""

    code: str
    what: str  # what is wrong, e.g. "... is outside the area of prefix 30 (Berlin)"
    rule: str  # what the rule asks, and its source

    @property
    def reason(self) -> str:
        """What is wrong and what the rule asks, in one sentence."""
        return f"{self.what}; {self.rule}"


def prefix_area(number: NumberFacts) -> str:
    """The number's prefix and its area's name, as people read it: "prefix 30 (Berlin)"."""
    names = area_names(number.e164)
    prefix = f"prefix {number.area_code}" if number.area_code else f"the prefix of {number.e164}"
    return f"{prefix} ({names[0]})" if names else prefix


def where_needed(number: NumberFacts, rule: RequirementRule) -> str:
    """Where the number's address must be, in words."""
    if rule.requirement is Requirement.LOCAL and area_names(number.e164):
        return f"the area of {prefix_area(number)}, {number.country}"
    return number.country


def mismatch(number: NumberFacts, address: Address, rule: RequirementRule) -> Mismatch | None:
    """Why ``address`` does not satisfy the number's rule (C2), or None when it does."""
    if rule.requirement is Requirement.NONE:
        return None
    if address.country != number.country:
        return Mismatch(
            "wrong_country",
            f"the address {address.name!r} is in {address.country}, but {number.e164} is a "
            f"{number.country} number (wrong country)",
            _needs(number, rule),
        )
    names = area_names(number.e164) if rule.requirement is Requirement.LOCAL else ()
    if names and not in_area(names, address):
        return Mismatch(
            "outside_area",
            f"the address {address.name!r} in {address.city} is outside the area of "
            f"{prefix_area(number)}",
            _needs(number, rule),
        )
    return None


def _needs(number: NumberFacts, rule: RequirementRule) -> str:
    """What the number's rule asks of its address, and its source."""
    return (
        f"{number.country} {number.line_type} numbers need an address in "
        f"{where_needed(number, rule)} ({rule.source})"
    )


def require_linkable(number: NumberFacts, address: Address) -> None:
    """Refuse to link an address that does not satisfy the number's rule (C2), with the reason."""
    found = mismatch(number, address, rule_for(number.country, number.line_type))
    if found is not None:
        raise Invalid(
            "address_rule_not_met",
            f"{number.e164}: {found.reason}; link an address there instead (rule C2)",
            extra={"failures": [failure(number, found)]},
        )


def failure(number: NumberFacts, found: Mismatch) -> dict[str, str]:
    """One failing number of a link request, for the problem body."""
    return {"number_id": number.id, "e164": number.e164, "code": found.code, "reason": found.reason}


# --- Compliance (C4) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One unmet requirement of a number and how to fix it."""

    code: str
    message: str
    fix: str


@dataclass(frozen=True)
class Compliance:
    """A number's compliance: ok when nothing is unmet (C4)."""

    issues: tuple[Issue, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """Whether every requirement is met."""
        return not self.issues

    def has(self, *codes: str) -> bool:
        """Whether any issue has one of these codes."""
        return any(issue.code in codes for issue in self.issues)


ADDRESS_ISSUES = ("address_required", "address_not_valid")


def assess(
    number: NumberFacts, address: Address | None, rule: RequirementRule | None = None
) -> Compliance:
    """Every unmet requirement of a number, each with its fix (C4).

    ``address`` is the linked address; None while ``number.address_id`` is set means it was
    not loaded, so only its presence counts. A number that has left the org has nothing left
    to fix.
    """
    if number.status in FINAL_STATUSES:
        return Compliance()
    rule = rule or rule_for(number.country, number.line_type)
    found = [_status_issue(number), _address_issue(number, address, rule)]
    return Compliance(tuple(issue for issue in found if issue is not None))


def compliance_of(
    numbers: Iterable[NumberFacts], addresses: Mapping[str, Address] | Iterable[Address]
) -> dict[str, Compliance]:
    """Compliance of many numbers, by number id, from the org's addresses already loaded (C4).

    The outbound caller-ID choice treats a number whose compliance is not ``ok`` as ineligible.
    """
    by_id = addresses if isinstance(addresses, Mapping) else {a.id: a for a in addresses}
    return {n.id: assess(n, by_id.get(n.address_id) if n.address_id else None) for n in numbers}


def _address_issue(
    number: NumberFacts, address: Address | None, rule: RequirementRule
) -> Issue | None:
    if rule.requirement is Requirement.NONE:
        return None
    if number.address_id is None:
        where = where_needed(number, rule)
        return Issue(
            "address_required",
            f"{number.e164} needs a proof of address in {where} and has none linked "
            f"(rule C2; {rule.source})",
            _link_an_address(number, where),
        )
    found = mismatch(number, address, rule) if address is not None else None
    if found is None:
        return None
    return Issue(
        "address_not_valid",
        f"the linked address no longer proves {number.e164}: {found.reason}",
        f"correct the address with PATCH /v1/addresses/{number.address_id}, or "
        + _link_an_address(number, where_needed(number, rule)),
    )


def _link_an_address(number: NumberFacts, where: str) -> str:
    """How to link an address that proves the number."""
    return (
        f"link an address in {where} via PATCH /v1/numbers/{number.id} "
        '{"address_id": "..."} or POST /v1/addresses/{address_id}/numbers'
    )


def _status_issue(number: NumberFacts) -> Issue | None:
    if number.status is Status.SUSPENDED:
        return Issue(
            "suspended",
            number.status_reason or f"{number.e164} is suspended; it takes part in no calls",
            f"re-activate under an active mandate: POST /v1/numbers/{number.id}/reactivate",
        )
    if number.status is Status.PENDING:
        return Issue(
            "pending_verification",
            number.status_reason
            or f"{number.e164} waits for its ownership check: the code of the verification "
            "call has not been entered (rule N6)",
            f'enter the code of the verification call: POST /v1/numbers/{number.id}/verify {{"code": "..."}}',
        )
    if number.status is Status.PORTING_IN:
        return Issue(
            "porting_in",
            number.status_reason
            or f"{number.e164} is still being ported in; it is usable once the port-in completes (N7)",
            "wait for the port-in to complete; GET /v1/port-ins/{port_in_id} shows where it is",
        )
    return None

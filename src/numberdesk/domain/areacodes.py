"""Area codes (N4): every geographic national destination code of a country, per libphonenumber.

The catalogue is built from libphonenumber's own data: the geocoder's prefix table gives the
places a country's numbers are described by, and a prefix becomes an area code only when a
generated valid fixed-line number starting with it really has that national destination
code. Countries without geocoder data (Denmark) are scanned digit by digit instead, so their
area codes are whatever libphonenumber calls the NDC of their fixed-line numbers.

The sandbox carrier's inventory is a deterministic sequence of valid local numbers per area
code and kind, seeded with SHA-256 so every process sees the same numbers. The kinds split
the number space by the national number modulo 3, so a voice number is never an sms one.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice

import phonenumbers
from phonenumbers import PhoneNumberType as T

from numberdesk.domain.errors import invalid_field
from numberdesk.domain.numbers import Kind
from numberdesk.domain.phones import LineType, PhoneNumber, area_code_of, describe

_SEED = "numberdesk-sandbox"
_LOCAL_TYPES = frozenset({T.FIXED_LINE, T.FIXED_LINE_OR_MOBILE})
_FILLS = ("2345678901234", "5555555555555", "8642097531864", "3141592653589")
_KIND_SLOTS = {Kind.VOICE: 0, Kind.OMNI: 1, Kind.SMS: 2}  # fixed: changing it reshuffles stock
# Consecutive fruitless attempts after which an area code has no more numbers to give.
_DRY_AFTER = 3000


@functools.cache
def area_codes(country: str) -> tuple[str, ...]:
    """Every geographic area code of the country, sorted (empty for an unknown country)."""
    return tuple(sorted(_catalogue(country.upper())))


def is_area_code(country: str, area_code: str) -> bool:
    """Whether ``area_code`` is a geographic area code of the country."""
    return area_code in _catalogue(country.upper())


def area_name(country: str, area_code: str) -> str | None:
    """The geocoder's English name of the area (e.g. "New York, NY"), or None."""
    country = country.upper()
    if area_code not in _catalogue(country):
        return None
    calling_code = str(phonenumbers.country_code_for_region(country))
    geodata = _geodata()
    for end in range(len(area_code), 0, -1):
        name = geodata.get(calling_code + area_code[:end], {}).get("en")
        if name:
            return name
    return None


def candidate_numbers(
    country: str, area_code: str | None, kind: str, count: int
) -> list[PhoneNumber]:
    """The first ``count`` numbers the sandbox offers for this area code (or country) and kind."""
    slot = _KIND_SLOTS[buyable_kind(kind)]
    if count <= 0:
        return []
    if area_code is None:
        return list(islice(spread_candidates(country, kind), count))
    return list(_first_candidates(country.upper(), area_code, slot, count))


def spread_candidates(
    country: str,
    kind: str,
    *,
    per_area_code: int | None = None,
    leave_out: frozenset[str] = frozenset(),
) -> Iterator[PhoneNumber]:
    """Numbers across the country's area codes, taking turns in a fixed, seeded order.

    Each area code gives its own sequence (at most ``per_area_code`` numbers of it), so the
    first numbers are spread over the country and every one is also in its area code's list.
    """
    country, slot = country.upper(), _KIND_SLOTS[buyable_kind(kind)]
    streams = [
        islice(_stream(country, code, slot), per_area_code)
        for code in _spread_order(country)
        if code not in leave_out
    ]
    return _round_robin(streams)


def buyable_kind(kind: str) -> Kind:
    """The kind if numbers of it can be bought (voice, omni, sms), else refuse."""
    if kind not in _KIND_SLOTS:
        raise invalid_field("kind", f"{kind!r} cannot be bought; use voice, omni or sms")
    return Kind(kind)


def _round_robin(streams: Sequence[Iterator[PhoneNumber]]) -> Iterator[PhoneNumber]:
    while streams:
        alive = []
        for stream in streams:
            number = next(stream, None)
            if number is not None:
                alive.append(stream)
                yield number
        streams = alive


@functools.cache
def _catalogue(country: str) -> Mapping[str, phonenumbers.PhoneNumber]:
    """Area code -> one valid local number with it, for the country."""
    if country not in phonenumbers.SUPPORTED_REGIONS:
        return {}
    scan = _Scan(country)
    prefixes = _geocoder_prefixes(scan.calling_code) or tuple("0123456789")
    for prefix in prefixes:
        scan.visit(prefix)
    return scan.found


class _Scan:
    """Walks prefixes and keeps those that are the NDC of a valid local number of the country."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.calling_code = phonenumbers.country_code_for_region(country)
        self.lengths = _fixed_line_lengths(country)
        self.covered: set[str] = set()
        self.found: dict[str, phonenumbers.PhoneNumber] = {}

    def visit(self, prefix: str) -> None:
        """Look at one national prefix (and, when it is shorter than an NDC, its children)."""
        if any(prefix[:end] in self.covered for end in range(1, len(prefix) + 1)):
            return
        number = self._number_starting_with(prefix)
        if number is None:
            return
        if phonenumbers.region_code_for_number(number) != self.country:
            self.covered.add(prefix)  # another region sharing the calling code (CA in +1)
            return
        if phonenumbers.number_type(number) not in _LOCAL_TYPES:
            return
        ndc = area_code_of(number)
        if len(ndc) > len(prefix):
            for digit in "0123456789":
                self.visit(prefix + digit)
            return
        if ndc:
            self.covered.add(ndc)
            self.found.setdefault(ndc, number)

    def _number_starting_with(self, prefix: str) -> phonenumbers.PhoneNumber | None:
        for length in self.lengths:
            if length <= len(prefix):
                continue
            for fill in _FILLS:
                number = _number(self.calling_code, prefix + fill[: length - len(prefix)])
                if phonenumbers.is_valid_number(number):
                    return number
        return None


def _stream(country: str, area_code: str, slot: int) -> Iterator[PhoneNumber]:
    """Seeded numbers of the area code whose national number falls in the kind's slot."""
    sample = _catalogue(country).get(area_code)
    if sample is None:
        return
    calling_code = phonenumbers.country_code_for_region(country)
    width = len(phonenumbers.national_significant_number(sample)) - len(area_code)
    seen: set[str] = set()
    attempt = misses = 0
    while misses < _DRY_AFTER:
        attempt += 1
        national = area_code + _digits(f"{_SEED}:{country}:{area_code}:{attempt}", width)
        described = None
        if int(national) % len(_KIND_SLOTS) == slot and national not in seen:
            described = _local_in(_number(calling_code, national), country, area_code)
        if described is None:
            misses += 1
            continue
        misses = 0
        seen.add(national)
        yield described


def _local_in(number: phonenumbers.PhoneNumber, country: str, area_code: str) -> PhoneNumber | None:
    """The described number if it is a valid local number of that country and area code."""
    if not phonenumbers.is_valid_number(number):
        return None
    described = describe(number)
    if described.country != country or described.line_type is not LineType.LOCAL:
        return None
    return described if described.area_code == area_code else None


@functools.lru_cache(maxsize=256)
def _first_candidates(
    country: str, area_code: str, slot: int, count: int
) -> tuple[PhoneNumber, ...]:
    return tuple(islice(_stream(country, area_code, slot), count))


@functools.cache
def _spread_order(country: str) -> tuple[str, ...]:
    def key(code: str) -> bytes:
        return hashlib.sha256(f"{_SEED}:{country}:{code}".encode()).digest()

    return tuple(sorted(_catalogue(country), key=key))


def _digits(seed: str, width: int) -> str:
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:12], "big")
    return str(value % 10**width).zfill(width)


def _number(calling_code: int, national: str) -> phonenumbers.PhoneNumber:
    zeros = len(national) - len(national.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=calling_code,
        national_number=int(national),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def _fixed_line_lengths(country: str) -> tuple[int, ...]:
    """Possible fixed-line lengths, the usual one (the example number's) first."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    if metadata is None or metadata.fixed_line is None:
        return ()
    lengths = [n for n in metadata.fixed_line.possible_length if n > 0]
    if not lengths and metadata.general_desc is not None:
        lengths = [n for n in metadata.general_desc.possible_length if n > 0]
    usual = len(metadata.fixed_line.example_number or "")
    return tuple(sorted(lengths, key=lambda n: (abs(n - usual), n)))


@functools.cache
def _geocoder_prefixes(calling_code: int) -> tuple[str, ...]:
    """National parts of the geocoder prefixes of a calling code, sorted."""
    head = str(calling_code)
    return tuple(
        sorted(key[len(head) :] for key in _geodata() if key.startswith(head) and key != head)
    )


@functools.cache
def _geodata() -> Mapping[str, Mapping[str, str]]:
    from phonenumbers.geodata import GEOCODE_DATA

    return GEOCODE_DATA

"""Phone numbers (rule N1): E.164 everywhere, read with libphonenumber.

National input is read with the organisation's country. The area code is the national
destination code of a geographic number; the line type comes from libphonenumber.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import PhoneNumberType as T

from numberdesk.domain.errors import invalid_field

# How many numbers the call path remembers having read, per process and reader: the same
# callees are dialled again (redials, callbacks) and the same numbers of ours are called, and
# libphonenumber's reading is a tenth of a decision's time. About 500 bytes a number.
REMEMBERED = 20_000


class LineType(StrEnum):
    """What kind of line a number is, as libphonenumber classifies it."""

    LOCAL = "local"
    MOBILE = "mobile"
    TOLL_FREE = "toll_free"
    NATIONAL = "national"
    OTHER = "other"


_LINE_TYPES = {
    T.FIXED_LINE: LineType.LOCAL,
    T.FIXED_LINE_OR_MOBILE: LineType.LOCAL,
    T.MOBILE: LineType.MOBILE,
    T.TOLL_FREE: LineType.TOLL_FREE,
    T.VOIP: LineType.NATIONAL,
    T.UAN: LineType.NATIONAL,
    T.PERSONAL_NUMBER: LineType.NATIONAL,
    T.SHARED_COST: LineType.NATIONAL,
}


@dataclass(frozen=True)
class PhoneNumber:
    """A valid phone number: E.164 form, ISO country, area code (geographic only), line type."""

    e164: str
    country: str
    area_code: str | None
    line_type: LineType


def supported_country(country: str) -> str:
    """The upper-case ISO 3166 code if libphonenumber knows its numbering plan, else refuse."""
    code = country.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise invalid_field(
            "country",
            f"{country!r} is not a country code we can number in; use ISO 3166 alpha-2 such as US or FI",
            code="unknown_country",
        )
    return code


def area_code_of(number: phonenumbers.PhoneNumber) -> str:
    """The national destination code of a parsed number ('' when it has none)."""
    national = phonenumbers.national_significant_number(number)
    length = phonenumbers.length_of_national_destination_code(number)
    return national[:length] if length > 0 else ""


def describe(
    number: phonenumbers.PhoneNumber, kind: int | None = None, *, area_code: bool = True
) -> PhoneNumber:
    """Describe an already validated libphonenumber number (``kind``: its number type, when
    already known)."""
    kind = phonenumbers.number_type(number) if kind is None else kind
    line_type = _LINE_TYPES.get(kind, LineType.OTHER)
    country = phonenumbers.region_code_for_number(number) or ""
    code = area_code_of(number) if area_code and line_type is LineType.LOCAL else None
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=country,
        area_code=code or None,
        line_type=line_type,
    )


def parse_phone(
    raw: str, default_country: str, *, field: str = "number", area_code: bool = True
) -> PhoneNumber:
    """Read a number typed nationally (with the org's country) or internationally; refuse invalid ones.

    A number is valid when libphonenumber gives it a type in its country's plan: what
    ``is_valid_number`` checks, asked once here since the type is wanted anyway.
    """
    number = _parsed(raw, default_country, field)
    kind = phonenumbers.number_type(number)
    if kind == T.UNKNOWN:
        raise _not_valid(raw, default_country, field)
    return describe(number, kind, area_code=area_code)


def e164_of(raw: str, default_country: str, *, field: str = "number") -> str:
    """The E.164 form of a valid number, refused like ``parse_phone`` but without classifying
    its line type and area code (the inbound call path needs only the form)."""
    number = _parsed(raw, default_country, field)
    if not phonenumbers.is_valid_number(number):
        raise _not_valid(raw, default_country, field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _not_valid(raw: str, default_country: str, field: str) -> Exception:
    return invalid_field(
        field,
        f"{raw!r} is not a valid number in any numbering plan we know; check the "
        f"digits (national input is read as {default_country})",
        code="invalid_phone_number",
    )


def _parsed(raw: str, default_country: str, field: str) -> phonenumbers.PhoneNumber:
    """Parse with libphonenumber; refuse what is not a phone number at all on ``field``."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise invalid_field(field, "is empty; give a phone number such as +12125550123")
    try:
        number = phonenumbers.parse(text, default_country)
    except phonenumbers.NumberParseException as exc:
        raise invalid_field(
            field,
            f"{raw!r} is not a phone number ({exc._msg}); use E.164 like +12125550123 "
            f"or a national number of {default_country}",
            code="invalid_phone_number",
        ) from exc
    return number

"""The embedded sandbox carrier: a pretend operator with finite, deterministic stock (N4).

It plays an external carrier, so it keeps its own transactions on ``sandbox_sales``: a sale
stands even when numberdesk's own transaction then fails (the numbers service releases it).

Inventory for (country, area code, kind) is the first ``stock`` candidate numbers of
``domain.areacodes`` minus every number ever sold (by anyone, for any kind, released or not),
and nothing at all for an exhausted (country, area code). Without an area code the offer is
spread over the country's area codes, each still limited to its own stock.

Orders never sell a number twice: on PostgreSQL an order takes transaction-scoped advisory
locks (a shared one on the country and an exclusive one per area code, or an exclusive one
on the country when it buys country-wide) before it reads what is sold; SQLite is already
serialised by the engine's ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import BigInteger, Connection, Engine, func, insert, literal, select, update

from numberdesk.carriers.base import NoNumbersAvailable, OfferedNumber
from numberdesk.carriers.sandbox_branding import SandboxReviews
from numberdesk.carriers.sandbox_masking import SandboxVerification
from numberdesk.carriers.sandbox_porting import SandboxPorting
from numberdesk.domain.areacodes import buyable_kind, candidate_numbers, spread_candidates
from numberdesk.domain.errors import invalid_field
from numberdesk.domain.phones import PhoneNumber, parse_phone
from numberdesk.store.schema import sandbox_sales

Place = tuple[str, str | None]  # (country, area code or None for the whole country)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SandboxCarrier(SandboxVerification, SandboxPorting, SandboxReviews):
    """A carrier that sells from a finite, deterministic stock recorded in ``sandbox_sales``."""

    name = "sandbox"

    def __init__(
        self,
        engine: Engine,
        *,
        stock: int = 200,
        exhausted: frozenset[tuple[str, str]] = frozenset(),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._engine = engine
        self._stock = stock
        self._exhausted = frozenset((country.upper(), code) for country, code in exhausted)
        self._clock = clock

    def search(
        self, country: str, area_code: str | None, kind: str, limit: int
    ) -> list[OfferedNumber]:
        """Up to ``limit`` numbers on offer now (never one already sold)."""
        kind = buyable_kind(kind).value
        with self._engine.connect() as conn:
            numbers = self._on_offer(conn, country.upper(), area_code, kind, limit)
        return [_offered(number, kind) for number in numbers]

    def order(
        self, org_id: str, country: str, area_code: str | None, kind: str, quantity: int
    ) -> list[OfferedNumber]:
        """Buy ``quantity`` numbers at once, or raise NoNumbersAvailable and buy none."""
        kind = buyable_kind(kind).value
        if quantity < 1:
            raise invalid_field("quantity", "must be at least 1")
        country = country.upper()
        with self._engine.begin() as conn:
            _lock(conn, [(country, area_code)])
            numbers = self._on_offer(conn, country, area_code, kind, quantity)
            if len(numbers) < quantity:
                raise NoNumbersAvailable(_shortage(country, area_code, len(numbers), quantity))
            self._record(conn, org_id, numbers, kind)
        return [_offered(number, kind) for number in numbers]

    def order_numbers(self, org_id: str, e164s: list[str], kind: str) -> list[OfferedNumber]:
        """Buy exactly these numbers, or raise NoNumbersAvailable and buy none."""
        kind = buyable_kind(kind).value
        numbers = _read_numbers(e164s)
        places = {(number.country, number.area_code) for number in numbers}
        with self._engine.begin() as conn:
            _lock(conn, [place for place in places if place[1] is not None])
            on_offer = self._offered_e164s(conn, places, kind)
            for number in numbers:
                if number.e164 not in on_offer:
                    raise NoNumbersAvailable(
                        f"{number.e164} is not on offer as a {kind} number (sold, out of stock "
                        "or not a local number). Search available numbers and pick from the list."
                    )
            self._record(conn, org_id, numbers, kind)
        return [_offered(number, kind) for number in numbers]

    def release(self, org_id: str, e164s: list[str]) -> None:
        """Give numbers back (they are never offered again); unknown numbers are ignored."""
        if not e164s:
            return
        with self._engine.begin() as conn:
            conn.execute(
                update(sandbox_sales)
                .where(
                    sandbox_sales.c.org_id == org_id,
                    sandbox_sales.c.e164.in_(e164s),
                    sandbox_sales.c.released_at.is_(None),
                )
                .values(released_at=self._clock())
            )

    def _on_offer(
        self, conn: Connection, country: str, area_code: str | None, kind: str, limit: int
    ) -> list[PhoneNumber]:
        """The first ``limit`` numbers of the inventory, in offering order."""
        if limit < 1 or (country, area_code) in self._exhausted:
            return []
        sold = _sold(conn, country, area_code)
        if area_code is not None:
            stock = candidate_numbers(country, area_code, kind, self._stock)
            return [number for number in stock if number.e164 not in sold][:limit]
        leave_out = frozenset(code for c, code in self._exhausted if c == country)
        spread = spread_candidates(country, kind, per_area_code=self._stock, leave_out=leave_out)
        return list(islice((number for number in spread if number.e164 not in sold), limit))

    def _offered_e164s(self, conn: Connection, places: Iterable[Place], kind: str) -> set[str]:
        """Every number on offer in these area codes (places without an area code offer none)."""
        offered: set[str] = set()
        for country, area_code in places:
            if area_code is not None:
                numbers = self._on_offer(conn, country, area_code, kind, self._stock)
                offered.update(number.e164 for number in numbers)
        return offered

    def _record(self, conn: Connection, org_id: str, numbers: list[PhoneNumber], kind: str) -> None:
        sold_at = self._clock()
        conn.execute(
            insert(sandbox_sales),
            [
                {
                    "org_id": org_id,
                    "e164": number.e164,
                    "country": number.country,
                    "area_code": number.area_code,
                    "kind": kind,
                    "sold_at": sold_at,
                }
                for number in numbers
            ],
        )


def _sold(conn: Connection, country: str, area_code: str | None) -> set[str]:
    """Every number ever sold in the country (or area code), to anyone, released or not."""
    query = select(sandbox_sales.c.e164).where(sandbox_sales.c.country == country)
    if area_code is not None:
        query = query.where(sandbox_sales.c.area_code == area_code)
    return set(conn.execute(query).scalars())


def _lock(conn: Connection, places: Iterable[Place]) -> None:
    """On PostgreSQL, lock the places an order reads and sells from, always in the same order.

    Countries first (exclusive when buying country-wide, else shared), then area codes.
    """
    if conn.dialect.name != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already holds the one write lock
    places = set(places)
    countries = sorted({country for country, _ in places})
    for country in countries:
        lock = (
            "pg_advisory_xact_lock" if (country, None) in places else "pg_advisory_xact_lock_shared"
        )
        _advisory(conn, lock, _lock_key(country, None))
    for country, area_code in sorted((c, a) for c, a in places if a is not None):
        _advisory(conn, "pg_advisory_xact_lock", _lock_key(country, area_code))


def _advisory(conn: Connection, function: str, key: int) -> None:
    conn.execute(select(getattr(func, function)(literal(key, BigInteger))))


def _lock_key(country: str, area_code: str | None) -> int:
    """A stable signed 64-bit key for (country, area code); None stands for the whole country."""
    digest = hashlib.sha256(f"numberdesk-sandbox:{country}:{area_code or '*'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _read_numbers(e164s: list[str]) -> list[PhoneNumber]:
    """Parse the numbers to buy: E.164 only, each once."""
    if not e164s:
        raise invalid_field("numbers", "is empty; list the numbers to buy in E.164")
    numbers: list[PhoneNumber] = []
    for raw in e164s:
        if not isinstance(raw, str) or not raw.strip().startswith("+"):
            raise invalid_field(
                "numbers", f"{raw!r} is not in E.164 form; write it like +12125550123"
            )
        number = parse_phone(raw, "US", field="numbers")
        if any(number.e164 == seen.e164 for seen in numbers):
            raise invalid_field("numbers", f"{number.e164} is listed twice; list each number once")
        numbers.append(number)
    return numbers


def _shortage(country: str, area_code: str | None, on_offer: int, asked: int) -> str:
    """The warning for an order the inventory cannot fill (N4)."""
    if area_code is None:
        return (
            f"No numbers available in {country}: {on_offer} on offer, {asked} asked. "
            "Try a smaller quantity or another country."
        )
    return (
        f"No numbers available for area code {area_code} ({country}): {on_offer} on offer, "
        f"{asked} asked. Try another area code or a smaller quantity."
    )


def _offered(number: PhoneNumber, kind: str) -> OfferedNumber:
    return OfferedNumber(
        e164=number.e164,
        country=number.country,
        area_code=number.area_code,
        line_type=number.line_type.value,
        kind=kind,
    )

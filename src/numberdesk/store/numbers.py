"""Numbers, their local-presence area codes and number orders in the database (N1-N4, N12)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields

from sqlalchemy import ColumnElement, Connection, bindparam, delete, or_, select

from numberdesk.domain.numbers import (
    CAPABILITIES,
    FINAL_STATUSES,
    CallPathNumber,
    Capability,
    Kind,
    Number,
    NumberOrder,
    Status,
)
from numberdesk.store import schema as s
from numberdesk.store.repo import Repo

LIVE_PAGE = 20_000  # rows per query when an index is built from every live number

CALL_PATH_COLUMNS = [s.numbers.c[f.name] for f in fields(CallPathNumber)]

VOICE_OUT_KINDS = [k for k, caps in CAPABILITIES.items() if Capability.VOICE_OUT in caps]


def is_live_row() -> ColumnElement[bool]:
    """A number row still the org's (not released or ported out), these statuses written into
    the statement: a generic plan (the call path's, ``store/db``) then estimates its rows from
    the table's statistics instead of guessing one, which sorted all of a million-number org's
    rows for each page of its index build (bench/README.md, eighteenth session)."""
    final = sorted(status.value for status in FINAL_STATUSES)
    return s.numbers.c.status.not_in(bindparam("final", final, literal_execute=True))


@dataclass(frozen=True)
class NumberFilter:
    """What to list: ``status`` None means every live number (not released or ported out)."""

    status: Status | None = None
    kind: Kind | None = None
    country: str | None = None
    area_code: str | None = None
    group_id: str | None = None


class NumberRepo(Repo[Number]):
    """The org's numbers; released ones are kept for the audit trail."""

    table = s.numbers
    cls = Number
    entity = "number"

    def live_by_e164(self, org_id: str, e164: str, *, hold: bool = False) -> Number | None:
        """The org's live number with this E.164, if any (``hold``: as ``by_ids`` holds)."""
        t = s.numbers.c
        if not hold:
            return self._first(org_id, t.e164 == e164, is_live_row())
        return next((n for n in self._all(org_id, t.e164 == e164, share=True) if n.is_live), None)

    def page(
        self, org_id: str, filters: NumberFilter, *, after: str | None, limit: int
    ) -> list[Number]:
        """A page of numbers matching the filters, oldest first."""
        return self._page(org_id, *self._where(org_id, filters), after=after, limit=limit)

    def by_ids(self, org_id: str, ids: Iterable[str], *, hold: bool = False) -> list[Number]:
        """The org's numbers among ``ids``, oldest first (others' ids are left out).

        ``hold``: for a change that makes something refer to them (a group, a campaign, an
        agent's caller ID), their rows are share-locked until it commits, and read as they
        are once locked: a release waits for the change and then takes the numbers out of
        what it made, or the change sees them released (PostgreSQL; SQLite has one writer)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        return self._all(org_id, s.numbers.c.id.in_(wanted), share=hold)

    def active_voice_out(self, org_id: str) -> list[Number]:
        """Active numbers that can make calls: the candidates for caller ID (N2, N3)."""
        t = s.numbers.c
        return self._all(org_id, t.status == Status.ACTIVE, t.kind.in_(VOICE_OUT_KINDS))

    def live_pages(self, org_id: str, size: int = LIVE_PAGE) -> Iterator[list[CallPathNumber]]:
        """Every number still the org's as the call path reads it, oldest first, ``size`` at a
        time: its indexes are built from them, holding one page of rows at a time."""
        live, after = is_live_row(), None
        while page := self._call_path(org_id, live, after=after, limit=size):
            yield page
            after = page[-1].id

    def call_path_by_ids(self, org_id: str, ids: Iterable[str]) -> list[CallPathNumber]:
        """The org's numbers among ``ids`` as the call path reads them, live or not."""
        wanted = list(dict.fromkeys(ids))
        return self._call_path(org_id, s.numbers.c.id.in_(wanted)) if wanted else []

    def _call_path(
        self, org_id: str, *where: ColumnElement[bool], after: str | None = None, limit: int = 0
    ) -> list[CallPathNumber]:
        """Numbers as ``CallPathNumber``, oldest first: only its columns are read, and each
        row becomes one by position (``CALL_PATH_COLUMNS`` are in its fields' order)."""
        t = s.numbers.c
        query = select(*CALL_PATH_COLUMNS).where(t.org_id == org_id, *where)
        if after:
            query = query.where(t.id > after)
        query = query.order_by(t.id).limit(limit) if limit else query.order_by(t.id)
        return [CallPathNumber(*row) for row in self.conn.execute(query)]

    def ids_depending_on(
        self, org_id: str, *, addresses: Iterable[str] = (), mandates: Iterable[str] = ()
    ) -> list[str]:
        """The live numbers linked to one of ``addresses`` or depending on one of
        ``mandates`` (their compliance, or their mandate's end, may have changed with it)."""
        t = s.numbers.c
        linked = [t.address_id.in_(list(addresses)), t.mandate_id.in_(list(mandates))]
        query = select(t.id).where(t.org_id == org_id, is_live_row(), or_(*linked))
        return list(self.conn.execute(query).scalars())

    def _where(self, org_id: str, f: NumberFilter) -> list[ColumnElement[bool]]:
        t = s.numbers.c
        where: list[ColumnElement[bool]] = [t.status == f.status if f.status else is_live_row()]
        if f.kind:
            where.append(t.kind == f.kind)
        if f.country:
            where.append(t.country == f.country)
        if f.area_code:
            mapped = select(s.number_area_codes.c.number_id).where(
                s.number_area_codes.c.org_id == org_id,
                s.number_area_codes.c.area_code == f.area_code,
            )
            where.append((t.area_code == f.area_code) | t.id.in_(mapped))
        if f.group_id:
            members = select(s.group_numbers.c.number_id).where(
                s.group_numbers.c.org_id == org_id, s.group_numbers.c.group_id == f.group_id
            )
            where.append(t.id.in_(members))
        return where


class AreaCodeRepo:
    """Local-presence area codes mapped to numbers beyond their own (one number, many)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of_number(self, org_id: str, number_id: str) -> list[str]:
        """The area codes mapped to one number, sorted."""
        return self.of_numbers(org_id, [number_id]).get(number_id, [])

    def of_numbers(self, org_id: str, number_ids: Iterable[str]) -> dict[str, list[str]]:
        """Mapped area codes per number id, sorted."""
        ids = list(dict.fromkeys(number_ids))
        return self._grouped(org_id, s.number_area_codes.c.number_id.in_(ids)) if ids else {}

    def all(self, org_id: str) -> dict[str, list[str]]:
        """Every mapping of the org, per number id (for local presence)."""
        return self._grouped(org_id)

    def replace(self, org_id: str, number_id: str, area_codes: list[str]) -> None:
        """Make the number's mapped area codes exactly ``area_codes``."""
        t = s.number_area_codes
        self.conn.execute(delete(t).where(t.c.org_id == org_id, t.c.number_id == number_id))
        if area_codes:
            rows = [
                {"org_id": org_id, "number_id": number_id, "area_code": code}
                for code in dict.fromkeys(area_codes)
            ]
            self.conn.execute(t.insert(), rows)

    def _grouped(self, org_id: str, *where: ColumnElement[bool]) -> dict[str, list[str]]:
        t = s.number_area_codes.c
        query = (
            select(t.number_id, t.area_code)
            .where(t.org_id == org_id, *where)
            .order_by(t.number_id, t.area_code)
        )
        found: dict[str, list[str]] = defaultdict(list)
        for number_id, area_code in self.conn.execute(query):
            found[number_id].append(area_code)
        return dict(found)


class OrderRepo(Repo[NumberOrder]):
    """Number orders: what was bought together, by whom and when."""

    table = s.number_orders
    cls = NumberOrder
    entity = "number_order"

"""Brandings (N9) and directory listings (N10) in the database, one of each per number."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.branding import Branding, BrandingStatus, DirectoryListing, ListingStatus
from numberdesk.domain.errors import Conflict
from numberdesk.domain.numbers import FINAL_STATUSES
from numberdesk.store import schema as s
from numberdesk.store.records import dump, load
from numberdesk.store.repo import Repo
from numberdesk.store.uow import Transaction


class _OfNumber(Protocol):
    number_id: str


T = TypeVar("T", bound=_OfNumber)


class _PerNumber(Repo[T]):
    """Rows keyed by (org_id, number_id): at most one per number."""

    def _key(self, org_id: str, id_: str) -> ColumnElement[bool]:
        return (self.table.c.org_id == org_id) & (self.table.c.number_id == id_)

    def save(self, entity: T) -> T:
        """Write every column of an existing row."""
        values = dump(entity, self.table)
        org_id, number_id = values.pop("org_id"), values.pop("number_id")
        self.conn.execute(update(self.table).where(self._key(org_id, number_id)).values(values))
        return entity

    def put(self, entity: T, *, exists: bool) -> T:
        """Write the number's row: replace it, or add it (a concurrent twin is a 409)."""
        if exists:
            return self.save(entity)
        try:
            with self.conn.begin_nested():
                return self.add(entity)
        except IntegrityError:
            raise _changed_meanwhile(self.entity) from None

    def move(self, entity: T, from_status: str) -> None:
        """Write the row only if it is still ``from_status``; else 409 (another decided first)."""
        values = dump(entity, self.table)
        org_id, number_id = values.pop("org_id"), values.pop("number_id")
        query = update(self.table).where(
            self._key(org_id, number_id), self.table.c.status == from_status
        )
        if self.conn.execute(query.values(values)).rowcount != 1:
            raise _changed_meanwhile(self.entity)

    def of_numbers(self, org_id: str, number_ids: Iterable[str]) -> dict[str, T]:
        """The rows of these numbers, by number id, in one query."""
        ids = list(dict.fromkeys(number_ids))
        if not ids:
            return {}
        rows = self._all_by(org_id, self.table.c.number_id.in_(ids))
        return {row.number_id: row for row in rows}

    def anywhere(self, number_id: str) -> T | None:
        """The row of a number in whichever org has it (the carrier knows numbers, not orgs)."""
        query = select(self.table).where(self.table.c.number_id == number_id).limit(1)
        row = self.conn.execute(query).first()
        return None if row is None else load(self.cls, row)

    def waiting(self, status: str, limit: int) -> list[tuple[T, str]]:
        """Rows waiting for the carrier, in every org, oldest number first, with the E.164."""
        t, n = self.table, s.numbers
        query = (
            select(t, n.c.e164)
            .join(n, (n.c.org_id == t.c.org_id) & (n.c.id == t.c.number_id))
            .where(t.c.status == status)
            .order_by(t.c.number_id)
            .limit(limit)
        )
        found: list[tuple[T, str]] = []
        for row in self.conn.execute(query):
            values = dict(row._mapping)
            e164 = values.pop("e164")
            found.append((self.cls(**values), e164))
        return found

    def _all_by(self, org_id: str, *where: ColumnElement[bool]) -> list[T]:
        query = select(self.table).where(self.table.c.org_id == org_id, *where)
        return [
            load(self.cls, r) for r in self.conn.execute(query.order_by(self.table.c.number_id))
        ]


class BrandingRepo(_PerNumber[Branding]):
    """Branding requests and their review (N9)."""

    table: Table = s.brandings
    cls = Branding
    entity = "branding"

    def approved_display_names(
        self, org_id: str, number_ids: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Approved display names of the org's live numbers (all, or among ``number_ids``)."""
        b, n = s.brandings.c, s.numbers.c
        query = (
            select(b.number_id, b.display_name)
            .join(s.numbers, (n.org_id == b.org_id) & (n.id == b.number_id))
            .where(
                b.org_id == org_id,
                b.status == BrandingStatus.APPROVED.value,
                n.status.not_in([status.value for status in FINAL_STATUSES]),
            )
        )
        if number_ids is not None:
            ids = list(dict.fromkeys(number_ids))
            if not ids:
                return {}
            query = query.where(b.number_id.in_(ids))
        return {row.number_id: row.display_name for row in self.conn.execute(query)}

    def pending(self, limit: int = 100) -> list[tuple[Branding, str]]:
        """Submitted brandings in every org, with their numbers (the carrier's review queue)."""
        return self.waiting(BrandingStatus.SUBMITTED.value, limit)


class ListingRepo(_PerNumber[DirectoryListing]):
    """Directory registrations and their outcome (N10)."""

    table: Table = s.directory_listings
    cls = DirectoryListing
    entity = "directory_listing"

    def pending(self, limit: int = 100) -> list[tuple[DirectoryListing, str]]:
        """Requested registrations in every org, with their numbers (the directories' queue)."""
        return self.waiting(ListingStatus.REQUESTED.value, limit)


def _changed_meanwhile(entity: str) -> Conflict:
    what = entity.replace("_", " ")
    return Conflict(
        "changed_meanwhile",
        f"The {what} was changed by another request at the same time; read it and try again.",
    )


def brandings(tx: Transaction) -> BrandingRepo:
    """The brandings, inside ``tx``."""
    return BrandingRepo(tx.conn)


def listings(tx: Transaction) -> ListingRepo:
    """The directory listings, inside ``tx``."""
    return ListingRepo(tx.conn)

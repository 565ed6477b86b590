"""Addresses in the database, and the numbers linked to them (C2)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.addresses import Address
from numberdesk.domain.errors import not_found
from numberdesk.domain.groups import duplicate_name
from numberdesk.domain.numbers import FINAL_STATUSES, Number
from numberdesk.store import schema as s
from numberdesk.store.records import load
from numberdesk.store.repo import Repo

if TYPE_CHECKING:
    from numberdesk.store.uow import Transaction


class AddressRepo(Repo[Address]):
    """The org's addresses; names are unique per org."""

    table = s.addresses
    cls = Address
    entity = "address"

    def page(self, org_id: str, *, after: str | None, limit: int) -> list[Address]:
        """A page of addresses, oldest first."""
        return self._page(org_id, after=after, limit=limit)

    def by_name(self, org_id: str, name: str) -> Address | None:
        """The address with exactly this name."""
        return self._first(org_id, s.addresses.c.name == name)

    def by_ids(self, org_id: str, ids: Iterable[str]) -> dict[str, Address]:
        """The org's addresses among ``ids``, by id, in one query."""
        wanted = list(dict.fromkeys(ids))
        found = self._all(org_id, s.addresses.c.id.in_(wanted)) if wanted else []
        return {a.id: a for a in found}

    def lock(self, org_id: str, address_id: str, *, share: bool = False) -> Address:
        """The address, row-locked until the transaction ends (shared for linking), or 404.

        Linking takes a shared lock and deleting or editing an exclusive one, so a number is
        never linked to an address that is being deleted (PostgreSQL; SQLite has one writer).
        """
        query = select(s.addresses).where(self._key(org_id, address_id))
        row = self.conn.execute(query.with_for_update(read=share)).first()
        if row is None:
            raise not_found("address", address_id)
        return load(Address, row)

    def add(self, entity: Address) -> Address:
        """Insert a new address (409 ``duplicate_name`` when the name is taken)."""
        try:
            return super().add(entity)
        except IntegrityError:  # the unique (org_id, name) constraint: a concurrent twin
            raise duplicate_name("address", entity.name) from None

    def save(self, entity: Address) -> Address:
        """Write every column of the address (409 ``duplicate_name`` on a name clash)."""
        try:
            return super().save(entity)
        except IntegrityError:
            raise duplicate_name("address", entity.name) from None

    def linked_numbers(self, org_id: str, address_id: str) -> list[Number]:
        """The live numbers the address proves, oldest first."""
        t = s.numbers.c
        query = (
            select(s.numbers)
            .where(t.org_id == org_id, t.address_id == address_id, _live())
            .order_by(t.id)
        )
        return [load(Number, row) for row in self.conn.execute(query)]

    def linked_counts(self, org_id: str, address_ids: Iterable[str]) -> dict[str, int]:
        """How many live numbers each address proves, in one query."""
        ids = list(dict.fromkeys(address_ids))
        if not ids:
            return {}
        t = s.numbers.c
        query = (
            select(t.address_id, func.count())
            .where(t.org_id == org_id, t.address_id.in_(ids), _live())
            .group_by(t.address_id)
        )
        return {str(row[0]): int(row[1]) for row in self.conn.execute(query)}


def _live() -> ColumnElement[bool]:
    return s.numbers.c.status.not_in(list(FINAL_STATUSES))


def addresses_in(tx: Transaction) -> AddressRepo:
    """The address repository acting inside ``tx``."""
    return AddressRepo(tx.conn)

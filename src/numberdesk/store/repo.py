"""The shape every repository shares: one table, one domain class, always scoped to an org."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Select, Table, delete, select, update

from numberdesk.domain.errors import not_found
from numberdesk.store.records import dump, load, load_all

T = TypeVar("T")


class Repo(Generic[T]):
    """Rows of ``table`` as ``cls`` objects, keyed by (org_id, id)."""

    table: Table
    cls: type[T]
    entity: str

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _select(self) -> Select[Any]:
        """The columns an object is loaded from."""
        return select(self.table)

    def _key(self, org_id: str, id_: str) -> ColumnElement[bool]:
        return (self.table.c.org_id == org_id) & (self.table.c.id == id_)

    def get(self, org_id: str, id_: str) -> T | None:
        """The object, or None when it is not in this org."""
        row = self.conn.execute(self._select().where(self._key(org_id, id_))).first()
        return None if row is None else load(self.cls, row)

    def require(self, org_id: str, id_: str) -> T:
        """The object, or a 404 problem naming it."""
        found = self.get(org_id, id_)
        if found is None:
            raise not_found(self.entity, id_)
        return found

    def lock(self, org_id: str, id_: str) -> T:
        """The object as ``require`` reads it, its row locked until the transaction ends: the
        changes of concurrent requests to one object are made one after another, each on what
        the one before left, and one that finds it gone meanwhile is a 404 (PostgreSQL; SQLite
        has one writer at a time).

        The lock is the one an UPDATE takes (FOR NO KEY UPDATE): it waits for other writers of
        the row, not for the key-share locks that inserts referring to the row take."""
        query = select(self.table.c.id).where(self._key(org_id, id_))
        self.conn.execute(query.with_for_update(key_share=True))
        return self.require(org_id, id_)

    def add(self, entity: T) -> T:
        """Insert a new object."""
        self.conn.execute(self.table.insert().values(dump(entity, self.table)))
        return entity

    def save(self, entity: T) -> T:
        """Write every column of an existing object."""
        values = dump(entity, self.table)
        org_id, id_ = values.pop("org_id"), values.pop("id")
        self.conn.execute(update(self.table).where(self._key(org_id, id_)).values(values))
        return entity

    def remove(self, org_id: str, id_: str) -> None:
        """Delete an object."""
        self.conn.execute(delete(self.table).where(self._key(org_id, id_)))

    def _page(
        self, org_id: str, *where: ColumnElement[bool], after: str | None, limit: int
    ) -> list[T]:
        query = self._select().where(self.table.c.org_id == org_id, *where)
        if after:
            query = query.where(self.table.c.id > after)
        return load_all(self.cls, self.conn.execute(query.order_by(self.table.c.id).limit(limit)))

    def _all(self, org_id: str, *where: ColumnElement[bool], share: bool = False) -> list[T]:
        """The objects ``where`` says, in id order (``share``: their rows share-locked until
        the transaction ends, taken in that order, so two such reads never deadlock)."""
        query = self._select().where(self.table.c.org_id == org_id, *where)
        query = query.order_by(self.table.c.id)
        return load_all(
            self.cls, self.conn.execute(query.with_for_update(read=True) if share else query)
        )

    def _first(self, org_id: str, *where: ColumnElement[bool]) -> T | None:
        query = self._select().where(self.table.c.org_id == org_id, *where).limit(1)
        row = self.conn.execute(query).first()
        return None if row is None else load(self.cls, row)

    def _values(self, **values: Any) -> dict[str, Any]:
        return values

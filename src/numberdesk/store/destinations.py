"""Inbound queues and custom destinations in the database."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError

from numberdesk.domain.destinations import Destination, Queue
from numberdesk.domain.groups import duplicate_name
from numberdesk.store import schema as s
from numberdesk.store.repo import Repo


class Named(Protocol):
    """Anything with a name unique in its org."""

    org_id: str
    id: str
    name: str


T = TypeVar("T", bound=Named)


class NamedRepo(Repo[T]):
    """Rows with a name unique per org; a clash is a 409 ``duplicate_name``."""

    def by_name(self, org_id: str, name: str) -> T | None:
        """The object with exactly this name."""
        return self._first(org_id, self.table.c.name == name)

    def page(self, org_id: str, *, after: str | None, limit: int) -> list[T]:
        """A page, oldest first."""
        return self._page(org_id, after=after, limit=limit)

    def add(self, entity: T) -> T:
        """Insert a new one (409 when a concurrent request took the name)."""
        try:
            return super().add(entity)
        except IntegrityError:
            raise duplicate_name(self.entity.replace("_", " "), entity.name) from None

    def save(self, entity: T) -> T:
        """Write every column (409 when the new name is taken)."""
        try:
            return super().save(entity)
        except IntegrityError:
            raise duplicate_name(self.entity.replace("_", " "), entity.name) from None


class QueueRepo(NamedRepo[Queue]):
    """Inbound queues."""

    table = s.queues
    cls = Queue
    entity = "queue"


class DestinationRepo(NamedRepo[Destination]):
    """Custom destinations (named SIP URIs)."""

    table = s.destinations
    cls = Destination
    entity = "destination"

"""Cursor pagination: ids sort by creation, so the cursor is the last id of a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class HasId(Protocol):
    """Anything with an id."""

    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the cursor of the next (None on the last page)."""

    items: list[T]
    next: str | None


def page_of(rows: list[T], limit: int) -> Page[T]:
    """Cut ``limit + 1`` fetched rows into a page and its next cursor."""
    if len(rows) > limit:
        return Page(rows[:limit], rows[limit - 1].id)
    return Page(rows, None)

"""Turning rows into domain dataclasses and back, by column name."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Row, Table

T = TypeVar("T")


def load(cls: type[T], row: Row[Any]) -> T:
    """Build a domain object from a row whose columns are its fields."""
    return cls(**row._mapping)


def dump(entity: object, table: Table) -> dict[str, Any]:
    """The entity's values for the table's columns."""
    names = set(table.c.keys())
    return {f.name: getattr(entity, f.name) for f in fields(entity) if f.name in names}  # type: ignore[arg-type]

"""Column types that keep Python values honest on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, DateTime, Dialect, String, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

E = TypeVar("E", bound=StrEnum)
R = TypeVar("R")

Json = JSON().with_variant(JSONB(), "postgresql")
# A nullable JSON column where Python None is SQL NULL (not the JSON value null), so
# ``IS NULL`` finds it: ``numbers.route`` (null = not assigned).
JsonOrNull = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], datetime | None]:
        """Aware UTC datetimes out, after the dialect's own processing (SQLite's text), in one
        call per value: ``TypeDecorator``'s chain of calls around ``process_result_value``
        added 0.8 s to an index build's read of a million numbers (bench/README.md, twentieth
        session)."""

        def utc(value: datetime | None) -> datetime | None:
            if value is None:
                return None
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

        return _after(self.impl_instance.result_processor(dialect, coltype), utc)


class EnumText(TypeDecorator[E], Generic[E]):
    """A StrEnum stored as its text value."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], E | None]:
        """The member stored, looked up by its value in one call (see ``UtcDateTime``); a value
        that is none of the enum's fails as the enum would."""
        members: dict[Any, E] = {member.value: member for member in self.enum}
        enum = self.enum

        def member(value: Any) -> E | None:
            if value is None:
                return None
            found = members.get(value)
            return enum(value) if found is None else found

        return _after(self.impl_instance.result_processor(dialect, coltype), member)


def _after(inner: Callable[[Any], Any] | None, convert: Callable[[Any], R]) -> Callable[[Any], R]:
    """``convert`` applied to what the dialect's own processing ``inner`` (if any) returns."""
    if inner is None:
        return convert
    return lambda value: convert(inner(value))

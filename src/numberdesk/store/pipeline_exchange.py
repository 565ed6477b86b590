"""One exchange on a loop's pipeline (``store/pipeline``): its statements as PostgreSQL
prepares them, and its results as libpq hands them over, until its Sync."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from functools import cache
from typing import Any, NamedTuple, cast

import psycopg
from psycopg import pq
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ClauseElement

Rows = list[tuple[Any, ...]]
Statements = Sequence[tuple[Executable, dict[str, Any]]]
_DOLLARS = pg_psycopg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]


class Prepared(NamedTuple):
    """A statement as PostgreSQL prepares it: its name, its text with $1..$n, the parameter
    each $ stands for, and the values SQLAlchemy bound as constants (a LIMIT, a literal)."""

    name: bytes
    text: bytes
    names: tuple[str, ...]
    constants: dict[str, Any]


@cache
def prepared(statement: Executable) -> Prepared:
    """``statement`` compiled once for the pipeline; its name follows from its text."""
    compiled = cast(ClauseElement, statement).compile(dialect=_DOLLARS)
    text = str(compiled).encode()
    name = b"nd_" + hashlib.sha256(text).hexdigest()[:24].encode()
    order = cast(Any, compiled).positiontup or ()
    return Prepared(name, text, tuple(order), dict(compiled.params))


class Exchange:
    """One exchange under way: the results of its ``commands`` (the prepares of ``preparing``
    first), as they arrive, until its Sync."""

    __slots__ = ("answer", "commands", "current", "finished", "preparing", "results")

    def __init__(
        self,
        answer: asyncio.Future[list[pq.abc.PGresult]],
        preparing: Sequence[bytes],
        commands: int,
    ) -> None:
        self.answer, self.preparing, self.commands = answer, preparing, commands
        self.results: list[pq.abc.PGresult] = []
        self.current: pq.abc.PGresult | None = None
        self.finished = False

    def take(self, result: pq.abc.PGresult | None) -> bool:
        """Take the next result libpq gives; False when it had none yet. A command's results
        end with None; the exchange ends with its Sync's result."""
        if self.commands == 0:
            if result is None:
                return False
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                self.finished = True
                if not self.answer.done():  # a request given up still reads its answer
                    self.answer.set_result(self.results)
                return True
            raise psycopg.InterfaceError(f"pipeline out of step: {result!r}")
        if result is not None:
            self.current = result
        elif self.current is None:
            return False
        else:
            self.results.append(self.current)
            self.current, self.commands = None, self.commands - 1
        return True

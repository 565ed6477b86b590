"""Remembered answers to ``Idempotency-Key`` requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from numberdesk.store import schema as s
from numberdesk.store.records import dump, load

IN_PROGRESS = 0  # the status of a claimed key until its answer is settled (never committed)


class KeyTaken(Exception):
    """Another request already stored an answer under this (org, key): read and replay it.

    On PostgreSQL a concurrent twin's insert waits for the first request to commit, then
    fails here; the twin's transaction must end (roll back) before the answer can be read.
    """


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given to a request with this key."""

    org_id: str
    key: str
    request_hash: str
    status: int
    response: dict[str, Any]
    created_at: datetime


class IdempotencyRepo:
    """Answers by (org, key)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, org_id: str, key: str) -> StoredAnswer | None:
        """The stored answer for this key, if any."""
        t = s.idempotency_keys.c
        row = self.conn.execute(
            select(s.idempotency_keys).where(t.org_id == org_id, t.key == key)
        ).first()
        return None if row is None else load(StoredAnswer, row)

    def add(self, answer: StoredAnswer) -> None:
        """Remember an answer; raises ``KeyTaken`` if the key already has one."""
        row = dump(answer, s.idempotency_keys)
        try:
            self.conn.execute(s.idempotency_keys.insert().values(**row))
        except IntegrityError as exc:
            raise KeyTaken(f"Idempotency-Key {answer.key!r} already has an answer") from exc

    def claim(self, org_id: str, key: str, request_hash: str, at: datetime) -> None:
        """Take the key before doing the work, so a concurrent twin waits, then ``KeyTaken``."""
        self.add(StoredAnswer(org_id, key, request_hash, IN_PROGRESS, {}, at))

    def settle(self, org_id: str, key: str, status: int, response: dict[str, Any]) -> None:
        """Store the answer of a claimed key (in the transaction that claimed it)."""
        t = s.idempotency_keys.c
        self.conn.execute(
            s.idempotency_keys.update()
            .where(t.org_id == org_id, t.key == key)
            .values(status=status, response=response)
        )

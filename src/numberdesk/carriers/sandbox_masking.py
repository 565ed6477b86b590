"""The embedded sandbox carrier's verification calls to masked numbers (N6).

A real carrier rings the number and reads out a one-time code to whoever answers. The
sandbox "calls" by writing the code to ``sandbox_verification_calls``, where a test or an
operator reads it (``GET /v1/sandbox/verification-calls``, ``numberdesk carrier calls``).
Any valid number can be called: the number is someone's own, not one the carrier sold.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from numberdesk.domain.ids import new_id
from numberdesk.store.schema import sandbox_verification_calls as calls

CODE_DIGITS = 6


@dataclass(frozen=True)
class VerificationCall:
    """A call the sandbox placed, with the code it read out (never exposed by real carriers)."""

    org_id: str
    id: str
    e164: str
    code: str
    at: datetime
    used_at: datetime | None = None


class SandboxVerification:
    """Mixed into SandboxCarrier: verification calls to masked numbers (N6)."""

    _engine: Engine
    _clock: Callable[[], datetime]

    def place_verification_call(self, org_id: str, e164: str) -> str:
        """Call ``e164`` and read out a fresh random code; returns the call id."""
        call_id = new_id("vcall")
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        with self._engine.begin() as conn:
            conn.execute(
                insert(calls).values(
                    org_id=org_id, id=call_id, e164=e164, code=code, at=self._clock()
                )
            )
        return call_id

    def check_verification_code(self, org_id: str, call_id: str, code: str) -> bool:
        """Whether ``code`` is the one read out on that call; a right code is used up."""
        t = calls.c
        with self._engine.begin() as conn:
            used = conn.execute(
                update(calls)
                .where(
                    t.org_id == org_id,
                    t.id == call_id,
                    t.code == code,
                    t.used_at.is_(None),
                )
                .values(used_at=self._clock())
                .returning(t.id)
            ).first()
        return used is not None

    def verification_calls(
        self, e164: str | None = None, limit: int = 50
    ) -> list[VerificationCall]:
        """The calls placed (to ``e164``, or to any number), newest first: the sandbox only."""
        query = select(calls)
        if e164 is not None:
            query = query.where(calls.c.e164 == e164)
        query = query.order_by(calls.c.at.desc(), calls.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [VerificationCall(**row._mapping) for row in conn.execute(query)]

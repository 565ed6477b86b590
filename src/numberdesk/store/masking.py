"""Verifications of masked numbers in the database (N6): tries are counted by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.errors import Conflict
from numberdesk.domain.masking import MAX_ATTEMPTS, NumberVerification
from numberdesk.domain.numbers import Number
from numberdesk.store import schema as s
from numberdesk.store.numbers import NumberRepo
from numberdesk.store.repo import Repo
from numberdesk.store.uow import Transaction


class VerificationRepo(Repo[NumberVerification]):
    """One verification per masked number: its current call and how many tries it took."""

    table = s.number_verifications
    cls = NumberVerification
    entity = "verification"

    def of_number(self, org_id: str, number_id: str) -> NumberVerification | None:
        """The number's verification, if it has one."""
        return self._first(org_id, s.number_verifications.c.number_id == number_id)

    def take_attempt(self, org_id: str, id_: str, call_id: str, now: datetime) -> int | None:
        """Count one try on this call and return the tries so far; None when none is left.

        A single conditional UPDATE, so concurrent tries never exceed MAX_ATTEMPTS.
        """
        t = s.number_verifications.c
        statement = (
            update(s.number_verifications)
            .where(
                t.org_id == org_id,
                t.id == id_,
                t.carrier_call_id == call_id,
                t.verified_at.is_(None),
                t.attempts < MAX_ATTEMPTS,
                t.expires_at > now,
            )
            .values(attempts=t.attempts + 1)
            .returning(t.attempts)
        )
        attempts = self.conn.execute(statement).scalar_one_or_none()
        return None if attempts is None else int(attempts)

    def mark_verified(self, org_id: str, id_: str, call_id: str, at: datetime) -> bool:
        """Record that this call's code was entered; False if it was already, or replaced."""
        t = s.number_verifications.c
        statement = (
            update(s.number_verifications)
            .where(
                t.org_id == org_id,
                t.id == id_,
                t.carrier_call_id == call_id,
                t.verified_at.is_(None),
            )
            .values(verified_at=at)
            .returning(t.id)
        )
        return self.conn.execute(statement).first() is not None


def add_masked_number(numbers: NumberRepo, number: Number) -> Number:
    """Insert a masked number; a concurrent twin that got there first is a 409 (N6).

    The unique index on live numbers decides; the transaction must then end (roll back).
    """
    try:
        return numbers.add(number)
    except IntegrityError:
        raise Conflict(
            "number_already_yours",
            f"{number.e164} is already one of your numbers; find it in GET /v1/numbers.",
        ) from None


def verifications(tx: Transaction) -> VerificationRepo:
    """The verifications of masked numbers, inside ``tx``."""
    return VerificationRepo(tx.conn)

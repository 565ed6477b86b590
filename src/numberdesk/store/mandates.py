"""Sponsors, mandates and the numbers that depend on a mandate, in the database (N5, C3)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.errors import Conflict
from numberdesk.domain.mandates import OPEN, Mandate, Sponsor
from numberdesk.domain.numbers import Number, Status
from numberdesk.store import schema as s
from numberdesk.store.records import dump, load
from numberdesk.store.repo import Repo
from numberdesk.store.uow import Transaction

_OPEN = [status.value for status in OPEN]


class SponsorRepo(Repo[Sponsor]):
    """The org's sponsors; (country, business_id) is unique in an org."""

    table = s.sponsors
    cls = Sponsor
    entity = "sponsor"

    def page(self, org_id: str, *, after: str | None, limit: int) -> list[Sponsor]:
        """A page of sponsors, oldest first."""
        return self._page(org_id, after=after, limit=limit)

    def by_business_id(self, org_id: str, country: str, business_id: str) -> Sponsor | None:
        """The sponsor registered under this business id in this country."""
        t = s.sponsors.c
        return self._first(org_id, t.country == country, t.business_id == business_id)

    def add(self, entity: Sponsor) -> Sponsor:
        """Insert a sponsor; a concurrent twin with the same business id is a conflict."""
        try:
            with self.conn.begin_nested():
                return super().add(entity)
        except IntegrityError:
            raise sponsor_exists(entity.country, entity.business_id) from None


def sponsor_exists(country: str, business_id: str) -> Conflict:
    """The 409 for a second sponsor with the same business id in a country."""
    return Conflict(
        "sponsor_exists",
        f"A sponsor with business id {business_id!r} in {country} already exists; "
        "GET /v1/sponsors lists it.",
    )


class MandateRepo(Repo[Mandate]):
    """Mandates with the numbers they list (``mandate_numbers``)."""

    table = s.mandates
    cls = Mandate
    entity = "mandate"

    def get(self, org_id: str, id_: str) -> Mandate | None:
        """The mandate with its listed numbers, or None."""
        found = super().get(org_id, id_)
        return self._with_numbers(org_id, [found])[0] if found else None

    def for_use(self, org_id: str, id_: str) -> Mandate | None:
        """The mandate, locked until the transaction ends: a concurrent revocation waits for
        the use to commit (and then suspends what it made), or the use sees it revoked."""
        query = select(s.mandates).where(self._key(org_id, id_)).with_for_update()
        row = self.conn.execute(query).first()
        return self._with_numbers(org_id, [load(Mandate, row)])[0] if row else None

    def add(self, entity: Mandate) -> Mandate:
        """Insert a mandate and the numbers it lists."""
        super().add(entity)
        if entity.numbers:
            rows = [
                {"org_id": entity.org_id, "mandate_id": entity.id, "e164": e}
                for e in entity.numbers
            ]
            self.conn.execute(s.mandate_numbers.insert(), rows)
        return entity

    def page(
        self,
        org_id: str,
        *,
        status: str | None,
        grantor_type: str | None,
        grantor_id: str | None,
        after: str | None,
        limit: int,
    ) -> list[Mandate]:
        """A page of mandates, oldest first, filtered by status and grantor."""
        t = s.mandates.c
        where: list[ColumnElement[bool]] = []
        if status:
            where.append(t.status == status)
        if grantor_type:
            where.append(t.grantor_type == grantor_type)
        if grantor_id:
            where.append(t.grantor_id == grantor_id)
        return self._with_numbers(org_id, self._page(org_id, *where, after=after, limit=limit))

    def active_of(self, org_id: str, grantor_type: str, grantor_id: str | None) -> list[Mandate]:
        """The grantor's active mandates, oldest first, locked for use (see ``for_use``)."""
        t = s.mandates.c
        owner = t.grantor_id == grantor_id if grantor_id else t.grantor_id.is_(None)
        query = (
            select(s.mandates)
            .where(t.org_id == org_id, t.grantor_type == grantor_type, t.status == "active", owner)
            .order_by(t.id)
            .with_for_update()
        )
        found = [load(Mandate, row) for row in self.conn.execute(query)]
        return self._with_numbers(org_id, found)

    def due(self, org_id: str, at: datetime) -> list[Mandate]:
        """Open mandates whose validity ended at or before ``at`` (not yet marked expired)."""
        t = s.mandates.c
        return self._with_numbers(
            org_id, self._all(org_id, t.status.in_(_OPEN), t.valid_until <= at)
        )

    def ends(self, org_id: str) -> dict[str, datetime]:
        """When each open mandate with a validity runs out (the call path applies it by time)."""
        t = s.mandates.c
        query = select(t.id, t.valid_until).where(
            t.org_id == org_id, t.status.in_(_OPEN), t.valid_until.is_not(None)
        )
        return {row.id: row.valid_until for row in self.conn.execute(query)}

    def orgs_with_due(self, at: datetime) -> list[str]:
        """Every org that has an open mandate past its validity (the operator's sweep)."""
        t = s.mandates.c
        query = select(t.org_id).where(t.status.in_(_OPEN), t.valid_until <= at).distinct()
        return sorted(self.conn.execute(query).scalars())

    def move(self, mandate: Mandate, from_status: str) -> bool:
        """Write the mandate only if it is still ``from_status``; False if another did first."""
        values = dump(mandate, s.mandates)
        org_id, id_ = values.pop("org_id"), values.pop("id")
        t = s.mandates.c
        query = update(s.mandates).where(self._key(org_id, id_), t.status == from_status)
        return self.conn.execute(query.values(values)).rowcount == 1

    def _with_numbers(self, org_id: str, mandates: list[Mandate]) -> list[Mandate]:
        ids = [m.id for m in mandates if not m.all_numbers]
        if not ids:
            return mandates
        t = s.mandate_numbers.c
        query = (
            select(t.mandate_id, t.e164)
            .where(t.org_id == org_id, t.mandate_id.in_(ids))
            .order_by(t.mandate_id, t.e164)
        )
        listed: dict[str, list[str]] = {}
        for mandate_id, e164 in self.conn.execute(query):
            listed.setdefault(mandate_id, []).append(e164)
        for mandate in mandates:
            mandate.numbers = listed.get(mandate.id, [])
        return mandates


class DependentNumbers:
    """The numbers that depend on a mandate (``numbers.mandate_id``), for the C3 cascade."""

    def __init__(self, tx: Transaction) -> None:
        self.conn = tx.conn

    def active_of(self, org_id: str, mandate_id: str) -> list[Number]:
        """The active numbers that depend on this mandate, oldest first."""
        t = s.numbers.c
        query = (
            select(s.numbers)
            .where(t.org_id == org_id, t.mandate_id == mandate_id, t.status == Status.ACTIVE)
            .order_by(t.id)
        )
        return [load(Number, row) for row in self.conn.execute(query)]

    def suspend(self, number: Number, mandate_id: str, reason: str) -> bool:
        """Suspend the number if it still depends on the mandate and is active."""
        t = s.numbers.c
        query = (
            update(s.numbers)
            .where(
                t.org_id == number.org_id,
                t.id == number.id,
                t.mandate_id == mandate_id,
                t.status == Status.ACTIVE,
            )
            .values(status=Status.SUSPENDED, status_reason=reason)
        )
        return self.conn.execute(query).rowcount == 1


def sponsors(tx: Transaction) -> SponsorRepo:
    """The sponsors, inside ``tx``."""
    return SponsorRepo(tx.conn)


def mandates(tx: Transaction) -> MandateRepo:
    """The mandates, inside ``tx``."""
    return MandateRepo(tx.conn)

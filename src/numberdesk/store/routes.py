"""Inbound routes (``numbers.route``) and company-number settings in the database (I2, I5, I11).

A route is stored as the JSON of ``Route.to_json()`` on the number's row (null: not assigned);
a company number's settings as the JSON of ``CompanySettings.to_json()`` in ``company_numbers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from numberdesk.domain.numbers import Number
from numberdesk.domain.routes import KnownTargets
from numberdesk.store import schema as s
from numberdesk.store.db import insert_or
from numberdesk.store.records import load
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class CompanyNumber:
    """A company number's stored settings: the JSON ``PUT /v1/numbers/{id}/company`` took."""

    org_id: str
    number_id: str
    settings: dict[str, Any]
    updated_at: datetime


class RouteRepo:
    """Routes on the numbers' rows, and the company numbers' settings."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def lock_numbers(self, org_id: str, number_ids: Iterable[str]) -> list[Number]:
        """The org's numbers among ``number_ids``, row-locked in id order until the transaction
        ends (concurrent changes of the same numbers queue and never deadlock; others' ids are
        left out)."""
        wanted = list(dict.fromkeys(number_ids))
        if not wanted:
            return []
        t = s.numbers.c
        query = (
            select(s.numbers)
            .where(t.org_id == org_id, t.id.in_(wanted))
            .order_by(t.id)
            .with_for_update()
        )
        return [load(Number, row) for row in self.conn.execute(query)]

    def set_route(
        self, org_id: str, number_ids: Iterable[str], route: dict[str, Any] | None
    ) -> None:
        """Give every one of these numbers the same route, in one statement (None: not assigned)."""
        ids = list(dict.fromkeys(number_ids))
        if ids:
            t = s.numbers.c
            self.conn.execute(
                update(s.numbers).where(t.org_id == org_id, t.id.in_(ids)).values(route=route)
            )

    def company(self, org_id: str, number_id: str) -> CompanyNumber | None:
        """The number's company settings, if any were saved."""
        c = s.company_numbers.c
        query = select(s.company_numbers).where(c.org_id == org_id, c.number_id == number_id)
        row = self.conn.execute(query).first()
        return None if row is None else load(CompanyNumber, row)

    def companies(
        self, org_id: str, number_ids: Iterable[str] | None = None
    ) -> dict[str, CompanyNumber]:
        """The company numbers' settings of the org (all, or among ``number_ids``), by number
        id (for the call path's index)."""
        c = s.company_numbers.c
        query = select(s.company_numbers).where(c.org_id == org_id)
        if number_ids is not None:
            query = query.where(c.number_id.in_(list(number_ids)))
        found = (load(CompanyNumber, row) for row in self.conn.execute(query))
        return {c.number_id: c for c in found}

    def put_company(self, company: CompanyNumber) -> CompanyNumber:
        """Insert or overwrite the number's company settings in one statement."""
        values = {
            "org_id": company.org_id,
            "number_id": company.number_id,
            "settings": company.settings,
            "updated_at": company.updated_at,
        }
        statement = insert_or(self.conn.dialect.name, s.company_numbers).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["org_id", "number_id"],
            set_={"settings": company.settings, "updated_at": company.updated_at},
        )
        self.conn.execute(statement)
        return company

    def remove_company(self, org_id: str, number_id: str) -> None:
        """Forget the number's company settings."""
        c = s.company_numbers.c
        self.conn.execute(
            delete(s.company_numbers).where(c.org_id == org_id, c.number_id == number_id)
        )

    def known_targets(self, org_id: str) -> KnownTargets:
        """The ids a route may name (I2): live users, queues and custom destinations, ids only."""
        u, q, d = s.users.c, s.queues.c, s.destinations.c
        users = select(u.id).where(u.org_id == org_id, u.deleted_at.is_(None))
        return KnownTargets(
            agents=frozenset(self.conn.execute(users).scalars()),
            queues=frozenset(self.conn.execute(select(q.id).where(q.org_id == org_id)).scalars()),
            destinations=frozenset(
                self.conn.execute(select(d.id).where(d.org_id == org_id)).scalars()
            ),
        )


def routes_in(tx: Transaction) -> RouteRepo:
    """The routes and company settings, inside ``tx``."""
    return RouteRepo(tx.conn)

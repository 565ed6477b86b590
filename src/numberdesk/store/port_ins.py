"""Port-in orders and their numbers in the database (N7); the operator's cross-org look-ups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.errors import Conflict
from numberdesk.domain.numbers import FINAL_STATUSES, Number
from numberdesk.domain.port_ins import OPEN, PortIn, PortInNumber, PortInStatus
from numberdesk.store import schema as s
from numberdesk.store.numbers import NumberRepo
from numberdesk.store.records import dump, load
from numberdesk.store.repo import Repo


class PortInRepo(Repo[PortIn]):
    """The org's port-in orders."""

    table = s.port_ins
    cls = PortIn
    entity = "port_in"

    def page(
        self, org_id: str, status: PortInStatus | None, *, after: str | None, limit: int
    ) -> list[PortIn]:
        """A page of port-ins, oldest first (all of them, or those with ``status``)."""
        where = [s.port_ins.c.status == status.value] if status else []
        return self._page(org_id, *where, after=after, limit=limit)

    def due(self, org_id: str | None, now: datetime) -> list[PortIn]:
        """Confirmed port-ins whose completion date has come (of one org, or of every org)."""
        t = s.port_ins.c
        query = select(s.port_ins).where(
            t.status == PortInStatus.CONFIRMED.value, t.completion_date <= now
        )
        if org_id is not None:
            query = query.where(t.org_id == org_id)
        rows = self.conn.execute(query.order_by(t.org_id, t.id))
        return [load(PortIn, row) for row in rows]

    def move(self, port_in: PortIn, was: PortInStatus) -> bool:
        """Write the port-in only if it is still ``was`` (a concurrent move wins otherwise)."""
        values = dump(port_in, s.port_ins)
        org_id, id_ = values.pop("org_id"), values.pop("id")
        values["status"] = port_in.status.value
        values["kind"] = port_in.kind.value
        result = self.conn.execute(
            update(s.port_ins)
            .where(self._key(org_id, id_), s.port_ins.c.status == was.value)
            .values(values)
        )
        return result.rowcount == 1

    def add(self, entity: PortIn) -> PortIn:
        """Insert a new port-in."""
        values = dump(entity, s.port_ins)
        values.update(status=entity.status.value, kind=entity.kind.value)
        self.conn.execute(s.port_ins.insert().values(values))
        return entity

    def org_of(self, port_in_id: str) -> str | None:
        """Which org a port-in belongs to (the carrier's updates name only the port-in)."""
        query = select(s.port_ins.c.org_id).where(s.port_ins.c.id == port_in_id).limit(1)
        found: str | None = self.conn.execute(query).scalar()
        return found


class PortInNumberRepo:
    """The numbers of port-ins."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def of(self, org_id: str, port_in_id: str) -> list[PortInNumber]:
        """A port-in's numbers, in E.164 order."""
        t = s.port_in_numbers.c
        query = (
            select(s.port_in_numbers)
            .where(t.org_id == org_id, t.port_in_id == port_in_id)
            .order_by(t.e164)
        )
        return [load(PortInNumber, row) for row in self.conn.execute(query)]

    def of_many(self, org_id: str, port_in_ids: Iterable[str]) -> dict[str, list[PortInNumber]]:
        """The numbers of several port-ins, per port-in id."""
        ids = list(dict.fromkeys(port_in_ids))
        found: dict[str, list[PortInNumber]] = {i: [] for i in ids}
        if not ids:
            return found
        t = s.port_in_numbers.c
        query = (
            select(s.port_in_numbers)
            .where(t.org_id == org_id, t.port_in_id.in_(ids))
            .order_by(t.port_in_id, t.e164)
        )
        for row in self.conn.execute(query):
            found[row.port_in_id].append(load(PortInNumber, row))
        return found

    def add_all(self, numbers: list[PortInNumber]) -> None:
        """Insert a new port-in's numbers."""
        if numbers:
            self.conn.execute(
                s.port_in_numbers.insert(), [dump(n, s.port_in_numbers) for n in numbers]
            )

    def link(self, org_id: str, port_in_id: str, e164: str, number_id: str) -> None:
        """Record the number row a submitted port-in created for ``e164``."""
        t = s.port_in_numbers.c
        self.conn.execute(
            update(s.port_in_numbers)
            .where(t.org_id == org_id, t.port_in_id == port_in_id, t.e164 == e164)
            .values(number_id=number_id)
        )

    def open_port_in_of(self, org_id: str, e164s: list[str]) -> dict[str, str]:
        """For each number in an open port-in of the org: that port-in's id."""
        if not e164s:
            return {}
        pn, pi = s.port_in_numbers.c, s.port_ins.c
        query = (
            select(pn.e164, pn.port_in_id)
            .join(s.port_ins, and_(pi.org_id == pn.org_id, pi.id == pn.port_in_id))
            .where(
                pn.org_id == org_id,
                pn.e164.in_(e164s),
                pi.status.in_([status.value for status in OPEN]),
            )
        )
        return {row.e164: row.port_in_id for row in self.conn.execute(query)}


def live_numbers_anywhere(conn: Connection, e164: str) -> list[Number]:
    """Every live number with this E.164 in any org (the carrier's port-out notice names only it)."""
    t = s.numbers.c
    query = (
        select(s.numbers)
        .where(t.e164 == e164, t.status.not_in([status.value for status in FINAL_STATUSES]))
        .order_by(t.org_id, t.id)
    )
    return [load(Number, row) for row in conn.execute(query)]


def any_number_anywhere(conn: Connection, e164: str) -> Number | None:
    """The latest number with this E.164 in any org, live or not (to explain a refusal)."""
    query = select(s.numbers).where(s.numbers.c.e164 == e164).order_by(s.numbers.c.id.desc())
    row = conn.execute(query.limit(1)).first()
    return None if row is None else load(Number, row)


def add_numbers_once(conn: Connection, numbers: list[Number]) -> None:
    """Insert new numbers; if one became the org's meanwhile (a concurrent twin), add none."""
    try:
        with conn.begin_nested():
            repo = NumberRepo(conn)
            for number in numbers:
                repo.add(number)
    except IntegrityError:
        raise Conflict(
            "number_already_yours",
            "One of these numbers became one of your numbers meanwhile; read the port-in and "
            "your numbers again.",
        ) from None

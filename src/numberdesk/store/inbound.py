"""The inbound call path in the database: the config version, the per-call look-ups, the call
limit's live calls (I10), and the one record per decision (I12)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import cache

from psycopg.errors import LockNotAvailable
from psycopg.types.json import Jsonb
from sqlalchemy import ARRAY, Connection, any_, bindparam, delete, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Executable

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.inbound_types import Contact
from numberdesk.domain.users import Presence
from numberdesk.store import schema as s
from numberdesk.store.db import RowHeld, insert_or, prepared_rows
from numberdesk.store.orgs import config_version_of
from numberdesk.store.records import dump

LAST_CALLERS = 5


class InboundRepo:
    """What one inbound decision reads and writes, one statement each."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def queues(self, org_id: str) -> dict[str, str | None]:
        """Every inbound queue's SIP URI by id (for the index)."""
        q = s.queues.c
        rows = self.conn.execute(select(q.id, q.uri).where(q.org_id == org_id))
        return {str(r.id): r.uri for r in rows}

    def destinations(self, org_id: str) -> dict[str, str]:
        """Every custom destination's SIP URI by id (for the index)."""
        d = s.destinations.c
        rows = self.conn.execute(select(d.id, d.uri).where(d.org_id == org_id))
        return {str(r.id): str(r.uri) for r in rows}

    def last_callers(self, org_id: str, caller: str, number_id: str | None) -> tuple[str, ...]:
        """The agents who called ``caller`` (from ``number_id``, or from any of our numbers when
        None), most recent first, each once, at most five (I2)."""
        values = {"org": org_id, "caller": caller, "number": number_id}
        agents = prepared_rows(self.conn, _last_callers(on_number=number_id is not None), values)
        return tuple(str(a) for (a,) in agents)

    def contacts_with_phone(self, org_id: str, e164: str) -> tuple[Contact, ...]:
        """The contacts having this phone, oldest first, as the decision reads them (I4)."""
        rows = prepared_rows(self.conn, _contacts_with_phone(), {"org": org_id, "e164": e164})
        return tuple(Contact(i, agent, created.astimezone(UTC)) for i, agent, created in rows)

    def presence(self, org_id: str, agent_ids: Iterable[str]) -> dict[str, Presence]:
        """The presence of these live agents, in one query (I3, I6)."""
        wanted = sorted(set(agent_ids))
        if not wanted:
            return {}
        statement = _presence(self.conn.dialect.name)
        rows = prepared_rows(self.conn, statement, {"org": org_id, "ids": wanted})
        return {str(i): Presence(presence) for i, presence in rows}

    def lock_number(self, org_id: str, number_id: str) -> None:
        """Lock the dialled number's row until the transaction ends (``FOR NO KEY UPDATE``):
        decisions on one company number count and admit their calls one after another (I10).
        ``RowHeld`` when the transaction cut its lock waits short and the row stayed taken."""
        try:
            prepared_rows(self.conn, _lock_number(), {"org": org_id, "number": number_id})
        except LockNotAvailable as exc:  # sent on the driver (PostgreSQL)
            raise RowHeld(number_id) from exc
        except OperationalError as exc:
            if isinstance(exc.orig, LockNotAvailable):
                raise RowHeld(number_id) from exc
            raise

    def live_calls(self, org_id: str, number_id: str, now: datetime) -> tuple[int, int]:
        """How many calls the number carries now, and how many rows outlived their end (I10)."""
        values = {"org": org_id, "number": number_id, "now": now}
        live, expired = prepared_rows(self.conn, _live_calls(), values)[0]
        return int(live), int(expired)

    def forget_expired(self, org_id: str, number_id: str, now: datetime) -> None:
        """Drop the number's live-call rows whose end never came (I10)."""
        values = {"org": org_id, "number": number_id, "now": now}
        prepared_rows(self.conn, _forget_expired(), values)

    def admit(self, org_id: str, number_id: str, call_id: str, expires_at: datetime) -> None:
        """Count a call against the number's limit until its end, or ``expires_at`` (I10)."""
        row = {"org_id": org_id, "number_id": number_id, "call_id": call_id}
        prepared_rows(self.conn, _admit(), row | {"expires_at": expires_at})

    def record(self, call: CallRecord, version: int) -> bool:
        """Record the decision (I12) if the org's config version is still ``version`` (that of
        the index it was made on); False, and nothing written, when the call id is taken or
        the version moved."""
        dialect = self.conn.dialect.name
        values = dump(call, s.inbound_calls) | {"version": version}
        if dialect == "postgresql":  # sent as it is (``prepared_rows``): JSON as psycopg's
            values["selected"] = Jsonb(values["selected"])
        return bool(prepared_rows(self.conn, _record(dialect), values))

    def add_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        """Write the known caller's timeline entries in one statement (I4)."""
        if entries:
            self.conn.execute(
                insert(s.timeline_entries), [dump(e, s.timeline_entries) for e in entries]
            )


# The statements, built once with bound parameters (inserts of rows as they are need none):
# a decision spends no time building SQL.


@cache
def _forget_expired() -> Executable:
    a = s.inbound_active_calls.c
    return delete(s.inbound_active_calls).where(
        a.org_id == bindparam("org"),
        a.number_id == bindparam("number"),
        a.expires_at <= bindparam("now"),
    )


@cache
def _last_callers(*, on_number: bool) -> Executable:
    c = s.outbound_calls.c
    query = select(c.agent_id).where(c.org_id == bindparam("org"), c.callee == bindparam("caller"))
    if on_number:
        query = query.where(c.number_id == bindparam("number"))
    latest = func.max(c.at)
    return query.group_by(c.agent_id).order_by(latest.desc(), c.agent_id).limit(LAST_CALLERS)


@cache
def _contacts_with_phone() -> Executable:
    t, p = s.contacts.c, s.contact_phones.c
    ids = select(p.contact_id).where(p.org_id == bindparam("org"), p.e164 == bindparam("e164"))
    return (
        select(t.id, t.primary_agent_id, t.created_at)
        .where(t.org_id == bindparam("org"), t.id.in_(ids))
        .order_by(t.created_at, t.id)
    )


@cache
def _presence(dialect: str) -> Executable:
    """On PostgreSQL the ids are one array (``= ANY``), so the statement is the same for any
    number of agents and is prepared once; elsewhere an expanding IN."""
    u = s.users.c
    if dialect == "postgresql":
        wanted = u.id == any_(bindparam("ids", type_=ARRAY(u.id.type)))
    else:
        wanted = u.id.in_(bindparam("ids", expanding=True))
    return select(u.id, u.presence).where(
        u.org_id == bindparam("org"), wanted, u.deleted_at.is_(None)
    )


@cache
def _admit() -> Executable:
    return insert(s.inbound_active_calls)


@cache
def _lock_number() -> Executable:
    t = s.numbers.c
    query = select(t.id).where(t.org_id == bindparam("org"), t.id == bindparam("number"))
    return query.with_for_update(key_share=True)


@cache
def _live_calls() -> Executable:
    a = s.inbound_active_calls.c
    now = bindparam("now", type_=a.expires_at.type)
    live = func.count().filter(a.expires_at > now)
    expired = func.count().filter(a.expires_at <= now)
    return select(live, expired).where(
        a.org_id == bindparam("org"), a.number_id == bindparam("number")
    )


@cache
def _record(dialect: str) -> Executable:
    """The call's row, inserted only while the org's config version is ``version``."""
    c = s.inbound_calls.c
    names = [f.name for f in fields(CallRecord) if f.name in c]
    values = {name: bindparam(name, type_=c[name].type) for name in names}
    current = config_version_of(values["org_id"])
    row = select(*values.values()).where(current == bindparam("version"))
    statement = insert_or(dialect, s.inbound_calls).from_select(names, row)
    statement = statement.on_conflict_do_nothing(index_elements=["org_id", "id"])
    return statement.returning(c.id)  # type: ignore[no-any-return]

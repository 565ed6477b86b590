"""The inbound call path in the database: the config version, the per-call look-ups, the call
limit's live calls (I10), and the one record per decision (I12)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any

from psycopg.errors import LockNotAvailable
from psycopg.types.json import Jsonb
from sqlalchemy import (
    ARRAY,
    CTE,
    Boolean,
    Connection,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.inbound_types import Contact
from numberdesk.domain.users import Presence
from numberdesk.store import schema as s
from numberdesk.store.db import RowHeld, insert_or, prepared_rows
from numberdesk.store.orgs import config_version_of
from numberdesk.store.records import dump

LAST_CALLERS = 5
_KINDS = ("number", "any", "contact", "presence")


@dataclass(frozen=True)
class LookUp:
    """What a decision needs read for its caller: the last callers from ``on_number`` (a
    number id) and from ``on_any`` of our numbers, the ``contacts`` with the caller's phone,
    and with ``presence`` the presence of ``agents`` and of every agent those reads find."""

    on_number: str | None = None
    on_any: bool = False
    contacts: bool = False
    presence: bool = False
    agents: frozenset[str] = frozenset()

    def reads(self, caller: str | None) -> bool:
        """Whether there is anything to read for ``caller`` (None: withheld)."""
        about_caller = caller is not None and bool(self.on_number or self.on_any or self.contacts)
        return about_caller or (self.presence and bool(self.agents))


@dataclass(frozen=True)
class LookedUp:
    """What was read (``LookUp``): last callers most recent first, contacts oldest first."""

    on_number: tuple[str, ...] = ()
    on_any: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    presence: dict[str, Presence] = field(default_factory=dict)


def _most_recent_first(rows: list[Any]) -> tuple[str, ...]:
    """Agent ids of (agent, _, latest call) rows, the latest first, then by id (I2)."""
    ordered = sorted(rows, key=lambda r: r[0])
    ordered.sort(key=lambda r: r[2], reverse=True)
    return tuple(str(r[0]) for r in ordered)


class InboundRepo:
    """What one inbound decision reads (one statement) and writes."""

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

    def looked_up(self, org_id: str, caller: str | None, asked: LookUp) -> LookedUp:
        """What a decision reads for this caller, in one statement (I2-I6): the agents who
        called them from the number and from any of our numbers, the contacts having their
        phone, and the presence of the agents involved: ``asked.agents`` and every agent
        found. Nothing is asked of the database when nothing is to be read."""
        if not asked.reads(caller):
            return LookedUp()
        values = {
            "org": org_id,
            "caller": caller or "",
            "number": asked.on_number or "",
            "on_number": bool(caller and asked.on_number),
            "on_any": bool(caller and asked.on_any),
            "contacts": bool(caller and asked.contacts),
            "presence": asked.presence,
            "ids": sorted(asked.agents),
        }
        rows = prepared_rows(self.conn, _looked_up(self.conn.dialect.name), values)
        by_kind: dict[str, list[Any]] = {kind: [] for kind in _KINDS}
        for kind, *row in rows:
            by_kind[kind].append(row)
        return LookedUp(
            _most_recent_first(by_kind["number"]),
            _most_recent_first(by_kind["any"]),
            tuple(
                Contact(i, agent, created.astimezone(UTC))
                for i, agent, created in sorted(by_kind["contact"], key=lambda r: (r[2], r[0]))
            ),
            {str(i): Presence(presence) for i, presence, _ in by_kind["presence"]},
        )

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
def _looked_up(dialect: str) -> Executable:
    """``InboundRepo.looked_up``'s statement: rows of (kind, id, value, moment), each part
    read only when its flag is bound true (a gate the plan checks once)."""
    calls = s.outbound_calls.c
    latest = func.max(calls.at)

    def last_callers(flag: str, *on_number: ColumnElement[bool]) -> CTE:
        return (
            select(calls.agent_id.label("agent"), latest.label("latest"))
            .where(
                bindparam(flag, type_=Boolean),
                calls.org_id == bindparam("org"),
                calls.callee == bindparam("caller"),
                *on_number,
            )
            .group_by(calls.agent_id)
            .order_by(latest.desc(), calls.agent_id)
            .limit(LAST_CALLERS)
            .cte(flag)
        )

    on_number = last_callers("on_number", calls.number_id == bindparam("number"))
    on_any = last_callers("on_any")
    t, p, u = s.contacts.c, s.contact_phones.c, s.users.c
    contacts = (  # from the caller's phone to its contacts, by key both ways
        select(t.id, t.primary_agent_id, t.created_at)
        .join_from(s.contact_phones, s.contacts, and_(t.org_id == p.org_id, t.id == p.contact_id))
        .where(bindparam("contacts", type_=Boolean), p.org_id == bindparam("org"))
        .where(p.e164 == bindparam("caller"))
        .cte("with_phone")
    )
    found = [
        select(on_number.c.agent),
        select(on_any.c.agent),
        select(contacts.c.primary_agent_id),
    ]
    if dialect == "postgresql":  # one array, so the statement is the same for any number
        asked = select(func.unnest(bindparam("ids", type_=ARRAY(u.id.type))))
        involved: ColumnElement[bool] = u.id.in_(union_all(asked, *found))  # each by key
    else:
        involved = or_(u.id.in_(bindparam("ids", expanding=True)), *(u.id.in_(f) for f in found))
    nothing = null().cast(String)
    return union_all(
        select(literal("number"), on_number.c.agent, nothing, on_number.c.latest),
        select(literal("any"), on_any.c.agent, nothing, on_any.c.latest),
        select(
            literal("contact"), contacts.c.id, contacts.c.primary_agent_id, contacts.c.created_at
        ),
        select(literal("presence"), u.id, u.presence, null().cast(calls.at.type)).where(
            bindparam("presence", type_=Boolean),
            u.org_id == bindparam("org"),
            u.deleted_at.is_(None),
            involved,
        ),
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

"""The inbound call path in the database: the config version, the per-call look-ups, the call
limit's live calls (I10), and the one record per decision (I12)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

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
from numberdesk.domain.inbox import InboxItem
from numberdesk.domain.users import Presence
from numberdesk.store import schema as s
from numberdesk.store.db import RowHeld, insert_or, prepared_rows
from numberdesk.store.inbox import InboxRepo
from numberdesk.store.orgs import config_version_of
from numberdesk.store.records import dump
from numberdesk.store.types import UtcDateTime

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


@dataclass(frozen=True)
class Admission:
    """A call counted against its company number's limit until its end or ``expires_at``."""

    org_id: str
    number_id: str
    call_id: str
    expires_at: datetime


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

    def record(
        self,
        call: CallRecord,
        version: int,
        admitted: Admission | None = None,
        item: InboxItem | None = None,
        timeline: Sequence[TimelineEntry] = (),
    ) -> bool:
        """Record the decision (I12) if the org's config version is still ``version`` (that of
        the index it was made on) and, only then, count the admitted call against its
        number's limit (I10), open the inbox item with the agents it is offered to (I7, S3)
        and write the known caller's timeline (I4): one statement on PostgreSQL, all of it or
        nothing. False, and nothing written, when the call id is taken or the version moved."""
        if self.conn.dialect.name == "postgresql":
            values = _record_values(call, version, admitted, item, timeline)
            return bool(prepared_rows(self.conn, _record_all(), values))
        values = dump(call, s.inbound_calls) | {"version": version}
        if not prepared_rows(self.conn, _record("sqlite"), values):
            return False  # SQLite's call path is one transaction: the rest follows or not
        if admitted is not None:
            self.conn.execute(
                insert(s.inbound_active_calls), dump(admitted, s.inbound_active_calls)
            )
        if timeline:
            self.conn.execute(
                insert(s.timeline_entries), [dump(e, s.timeline_entries) for e in timeline]
            )
        if item is not None:
            InboxRepo(self.conn).add(item)
        return True


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


def _record_values(
    call: CallRecord,
    version: int,
    admitted: Admission | None,
    item: InboxItem | None,
    timeline: Sequence[TimelineEntry],
) -> dict[str, Any]:
    """The values ``_record_all`` is sent with (PostgreSQL: JSON as psycopg's ``Jsonb``)."""
    values = dump(call, s.inbound_calls) | {"version": version}
    values["selected"] = Jsonb(values["selected"])
    values |= {
        "admits": admitted is not None,
        "expires_at": admitted.expires_at if admitted else call.at,
        "opens": item is not None,
        "item_id": item.id if item else "",
        "item_status": item.status.value if item else "",
        "item_agents": list(item.selected) if item else [],
        "source": item.source if item else None,
        "tag": item.tag if item else None,
        "entry_ids": [e.id for e in timeline],
        "contact_ids": [e.contact_id for e in timeline],
        "kind": timeline[0].kind if timeline else "",
        "text": timeline[0].text if timeline else "",
    }
    return values


@cache
def _record_all() -> Executable:
    """PostgreSQL: the call's record (``_record``) and, only when it was written, the
    admission (bound ``admits``), the inbox item and its agents (``opens``) and the timeline
    entries (one per ``entry_ids``/``contact_ids`` pair), as one statement."""
    recorded = cast(Any, _record("postgresql")).cte("recorded")
    written = select(recorded.c.id).exists()
    a, i, g, e = (
        s.inbound_active_calls,
        s.inbox_items,
        s.inbox_agents,
        s.timeline_entries,
    )
    org: Any = bindparam("org_id")
    call_id: Any = bindparam("id")
    at: Any = bindparam("at", type_=UtcDateTime)
    admitted = insert(a).from_select(
        ["org_id", "number_id", "call_id", "expires_at"],
        select(
            org, bindparam("number_id"), call_id, bindparam("expires_at", type_=UtcDateTime)
        ).where(bindparam("admits", type_=Boolean), written),
    )
    opens = and_(bindparam("opens", type_=Boolean), written)
    item_id: Any = bindparam("item_id")
    opened = insert(i).from_select(
        [
            "org_id",
            "id",
            "call_id",
            "number_id",
            "caller",
            "channel",
            "at",
            "status",
            "source",
            "tag",
        ],
        select(
            org,
            item_id,
            call_id,
            bindparam("number_id"),
            bindparam("caller"),
            bindparam("channel"),
            at,
            bindparam("item_status"),
            bindparam("source", type_=String),
            bindparam("tag", type_=String),
        ).where(opens),
    )
    agents = func.unnest(bindparam("item_agents", type_=ARRAY(String)))
    offered = insert(g).from_select(
        ["org_id", "item_id", "agent_id"], select(org, item_id, agents).where(opens)
    )
    entries = func.unnest(bindparam("entry_ids", type_=ARRAY(String)))
    contacts = func.unnest(bindparam("contact_ids", type_=ARRAY(String)))
    noted = insert(e).from_select(
        ["org_id", "id", "contact_id", "at", "kind", "text", "call_id"],
        select(org, entries, contacts, at, bindparam("kind"), bindparam("text"), call_id).where(
            written
        ),
    )
    ctes = [w.cte(name) for w, name in ((admitted, "admitted"), (opened, "opened"))]
    ctes += [offered.cte("offered"), noted.cte("noted")]
    return select(recorded.c.id).add_cte(*ctes)

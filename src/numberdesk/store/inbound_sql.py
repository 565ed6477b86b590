"""The inbound call path's statements (``store/inbound``), built once with bound parameters so
a decision spends no time building SQL; on PostgreSQL each is sent prepared
(``db.prepared_rows``)."""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    CTE,
    Boolean,
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
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from numberdesk.domain.calls import CallRecord
from numberdesk.store import schema as s
from numberdesk.store.db import insert_or
from numberdesk.store.orgs import config_version_of
from numberdesk.store.types import UtcDateTime

LAST_CALLERS = 5  # the agents a last-caller route may ring, most recent first (I2)


@cache
def forget_expired() -> Executable:
    """The number's live-call rows whose end never came, deleted (I10)."""
    a = s.inbound_active_calls.c
    return delete(s.inbound_active_calls).where(
        a.org_id == bindparam("org"),
        a.number_id == bindparam("number"),
        a.expires_at <= bindparam("now"),
    )


@cache
def looked_up(dialect: str) -> Executable:
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
def lock_number() -> Executable:
    """The dialled number's row, locked so its calls are admitted one at a time (I10)."""
    t = s.numbers.c
    query = select(t.id).where(t.org_id == bindparam("org"), t.id == bindparam("number"))
    return query.with_for_update(key_share=True)


@cache
def live_calls() -> Executable:
    """The number's live calls now, and its rows that outlived their end (I10)."""
    a = s.inbound_active_calls.c
    now = bindparam("now", type_=a.expires_at.type)
    live = func.count().filter(a.expires_at > now)
    expired = func.count().filter(a.expires_at <= now)
    return select(live, expired).where(
        a.org_id == bindparam("org"), a.number_id == bindparam("number")
    )


@cache
def record(dialect: str, *, guarded: bool = False) -> Executable:
    """The call's row, inserted only while the org's config version is ``version`` and, if
    ``guarded``, while its number carries as many live calls as bound ``live`` (what the
    decision saw: I10)."""
    c = s.inbound_calls.c
    names = [f.name for f in fields(CallRecord) if f.name in c]
    values = {name: bindparam(name, type_=c[name].type) for name in names}
    current = config_version_of(values["org_id"])
    row = select(*values.values()).where(current == bindparam("version"))
    if guarded:
        row = row.where(_live_now(values) == bindparam("live"))
    statement = insert_or(dialect, s.inbound_calls).from_select(names, row)
    statement = statement.on_conflict_do_nothing(index_elements=["org_id", "id"])
    return statement.returning(c.id)  # type: ignore[no-any-return]


def _live_now(values: dict[str, Any]) -> Any:
    """How many live calls the call's number carries at the call's moment (I10)."""
    a = s.inbound_active_calls.c
    return (
        select(func.count())
        .where(
            a.org_id == values["org_id"],
            a.number_id == values["number_id"],
            a.expires_at > values["at"],
        )
        .scalar_subquery()
    )


@cache
def record_all(*, guarded: bool = False) -> Executable:
    """PostgreSQL: the call's record (``record``, ``guarded`` or not) and, only when it was
    written, the admission (bound ``admits``), the inbox item and its agents (``opens``) and
    the timeline entries (one per ``entry_ids``/``contact_ids`` pair), as one statement."""
    recorded = cast(Any, record("postgresql", guarded=guarded)).cte("recorded")
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
    return select(recorded.c.id).add_cte(
        admitted.cte("admitted"), opened.cte("opened"), offered.cte("offered"), noted.cte("noted")
    )

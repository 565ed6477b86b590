"""The inbound call path in the database: what a decision reads for its caller (one
statement), the company number's lock and live calls (I10), and what it writes (one
statement on PostgreSQL, I12). The statements are in ``store/inbound_sql``, built once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from psycopg.errors import LockNotAvailable
from psycopg.types.json import Jsonb
from sqlalchemy import (
    Connection,
    insert,
    select,
)
from sqlalchemy.exc import OperationalError

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.inbound_types import Contact
from numberdesk.domain.inbox import InboxItem
from numberdesk.domain.users import Presence
from numberdesk.store import inbound_sql as sql
from numberdesk.store import schema as s
from numberdesk.store.db import RowHeld, prepared_rows
from numberdesk.store.inbox import InboxRepo
from numberdesk.store.records import dump

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
        values = look_up_values(org_id, caller, asked)
        return looked_up_of(prepared_rows(self.conn, sql.looked_up(self.conn.dialect.name), values))

    def lock_number(self, org_id: str, number_id: str) -> None:
        """Lock the dialled number's row until the transaction ends (``FOR NO KEY UPDATE``):
        decisions on one company number count and admit their calls one after another (I10).
        ``RowHeld`` when the transaction cut its lock waits short and the row stayed taken."""
        try:
            prepared_rows(self.conn, sql.lock_number(), {"org": org_id, "number": number_id})
        except LockNotAvailable as exc:  # sent on the driver (PostgreSQL)
            raise RowHeld(number_id) from exc
        except OperationalError as exc:
            if isinstance(exc.orig, LockNotAvailable):
                raise RowHeld(number_id) from exc
            raise

    def live_calls(self, org_id: str, number_id: str, now: datetime) -> tuple[int, int]:
        """How many calls the number carries now, and how many rows outlived their end (I10)."""
        values = {"org": org_id, "number": number_id, "now": now}
        live, expired = prepared_rows(self.conn, sql.live_calls(), values)[0]
        return int(live), int(expired)

    def forget_expired(self, org_id: str, number_id: str, now: datetime) -> None:
        """Drop the number's live-call rows whose end never came (I10)."""
        values = {"org": org_id, "number": number_id, "now": now}
        prepared_rows(self.conn, sql.forget_expired(), values)

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
            values = record_values(call, version, admitted, item, timeline)
            return bool(prepared_rows(self.conn, sql.record_all(), values))
        values = dump(call, s.inbound_calls) | {"version": version}
        if not prepared_rows(self.conn, sql.record("sqlite"), values):
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


def look_up_values(org_id: str, caller: str | None, asked: LookUp) -> dict[str, Any]:
    """The values ``inbound_sql.looked_up`` is sent with."""
    return {
        "org": org_id,
        "caller": caller or "",
        "number": asked.on_number or "",
        "on_number": bool(caller and asked.on_number),
        "on_any": bool(caller and asked.on_any),
        "contacts": bool(caller and asked.contacts),
        "presence": asked.presence,
        "ids": sorted(asked.agents),
    }


def looked_up_of(rows: Sequence[Any]) -> LookedUp:
    """What ``inbound_sql.looked_up``'s rows say (kind first in each)."""
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


def record_values(
    call: CallRecord,
    version: int,
    admitted: Admission | None,
    item: InboxItem | None,
    timeline: Sequence[TimelineEntry],
) -> dict[str, Any]:
    """The values ``inbound_sql.record_all`` is sent with (JSON as psycopg's ``Jsonb``)."""
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

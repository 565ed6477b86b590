"""The outbound call path's statements (``store/callerid``), built once with bound parameters
so a decision spends no time building SQL.

Choosing among several (O5) reads ``pool_numbers``: each pool's usable numbers with a copy of
their use, kept current by the statement that counts a call (``spread``), so the pool's number
used least today, then least recently, is the head of one of two indexes (``pick``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    delete,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import ColumnElement

from numberdesk.domain.numbers import FINAL_STATUSES
from numberdesk.store import schema as s
from numberdesk.store.db import insert_or, on_postgresql
from numberdesk.store.orgs import config_version_of

# ``pool_numbers`` under a short name: the statement of a pool's choice stays short enough for
# psycopg to cache its parsing (``test_call_path_statements_are_parsed_once_by_the_driver``).
_POOL = s.pool_numbers.alias("pn")


def _calls_today() -> ColumnElement[int]:
    """A number's calls on the day bound as ``today`` (its row counts the day it was last used)."""
    u = s.number_usage.c
    return case((u.day == bindparam("today"), u.calls), else_=0)


def _last_shown() -> Any:
    """The number the callee bound as ``callee`` was shown last time (O5)."""
    calls = s.outbound_calls.alias("oc").c
    return (
        select(calls.number_id)
        .where(calls.org_id == bindparam("org"), calls.callee == bindparam("callee"))
        .order_by(calls.at.desc())
        .limit(1)
        .scalar_subquery()
    )


@cache
def new_usage_rows(dialect: str) -> Executable:
    return insert_or(dialect, s.number_usage).on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=["org_id", "number_id"]
    )


@cache
def usage_rows_of_live_numbers(dialect: str) -> Executable:
    """A usage row, with no calls on ``day``, for each live number of the org that has none."""
    n = s.numbers.c
    live = select(n.org_id, n.id, bindparam("day"), literal(0)).where(
        n.org_id == bindparam("org"), n.status.not_in(list(FINAL_STATUSES))
    )
    statement = insert_or(dialect, s.number_usage).from_select(
        ["org_id", "number_id", "day", "calls"], live
    )
    return statement.on_conflict_do_nothing(  # type: ignore[no-any-return]
        index_elements=["org_id", "number_id"]
    )


@cache
def lock_pool(dialect: str) -> Executable:
    """Take the pool's row, made here on the pool's first choice, and read its fingerprint."""
    p = s.caller_id_pools
    statement = insert_or(dialect, p).values(org_id=bindparam("org"), pool=bindparam("pool_key"))
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=["org_id", "pool"], set_={"members": p.c.members}
    ).returning(p.c.members)


@cache
def hold_pool() -> Executable:
    """PostgreSQL: take the pool's row, if it has one, and read its fingerprint; locked, not
    updated, so a busy pool's row does not leave a dead version behind per decision."""
    p = s.caller_id_pools.c
    return (
        select(p.members)
        .where(p.org_id == bindparam("org"), p.pool == bindparam("pool_key"))
        .with_for_update()
    )


@cache
def drop_pool_rows() -> Executable:
    p = s.pool_numbers.c
    return delete(s.pool_numbers).where(
        p.org_id == bindparam("org"), p.pool == bindparam("pool_key")
    )


@cache
def usage_of() -> Executable:
    u = s.number_usage.c
    return select(u.number_id, u.day, u.calls, u.last_used_at).where(
        u.org_id == bindparam("org"), u.number_id.in_(bindparam("ids", expanding=True))
    )


@cache
def pick() -> Any:
    """The pool's eligible number with the fewest calls today, then the least recently used:
    the first last used before today began (``day_start``) in order of last use, else the
    first of today's in order of calls. Each half is the head of an index."""
    p = _POOL.c
    eligible = _usable_now(p)
    not_today = (
        select(p.number_id, literal(0).label("calls"), p.last_used_at)
        .where(eligible, p.last_used_at < bindparam("day_start"))
        .order_by(p.last_used_at, p.number_id)
        .limit(1)
        .subquery()
    )
    today = (
        select(p.number_id, p.calls, p.last_used_at)
        .where(eligible, p.day == bindparam("today"), p.calls < bindparam("cap"))
        .order_by(p.calls, p.last_used_at, p.number_id)
        .limit(1)
        .subquery()
    )
    heads = union_all(select(not_today), select(today)).subquery()
    return (
        select(heads.c.number_id)
        .order_by(heads.c.calls, heads.c.last_used_at, heads.c.number_id)
        .limit(1)
    )


def _usable_now(p: Any) -> ColumnElement[bool]:
    """A row of the pool bound as ``pool_key`` (of ``p``, ``pool_numbers``' columns) whose
    number is not resting and whose mandate has not run out (the rest of O4 is why the number
    is in the pool's copy at all)."""
    return and_(
        p.org_id == bindparam("org"),
        p.pool == bindparam("pool_key"),
        or_(p.rested_until.is_(None), p.rested_until <= bindparam("now")),
        or_(p.mandate_ends.is_(None), p.mandate_ends > bindparam("now")),
    )


def _copy_is_current() -> ColumnElement[bool]:
    """The pool's copy is of the numbers bound as ``fingerprint``."""
    copied = s.caller_id_pools.alias("cp").c
    return (
        select(literal(1))
        .where(
            copied.org_id == bindparam("org"),
            copied.pool == bindparam("pool_key"),
            copied.members == bindparam("fingerprint"),
        )
        .exists()
    )


def sticky() -> Any:
    """The callee's last caller ID if it is in the pool, may be shown now and is under its
    daily cap, when the call is sticky (bound ``sticky``; O5)."""
    p = _POOL.c
    return select(p.number_id).where(
        bindparam("sticky"),
        _usable_now(p),
        p.number_id == _last_shown(),
        or_(p.day != bindparam("today"), p.calls < bindparam("cap")),
    )


@cache
def sticky_and_pick() -> Executable:
    """The pool's sticky number and its pick, counted nowhere (read under the pool's lock)."""
    return select(sticky().scalar_subquery(), pick().scalar_subquery())


def counted(number: ColumnElement[str]) -> Any:
    """Count a call on ``number`` if it is under ``cap`` today; returns its new use."""
    u = s.number_usage.c
    return (
        update(s.number_usage)
        .where(
            u.org_id == bindparam("org"), u.number_id == number, _calls_today() < bindparam("cap")
        )
        .values(calls=_calls_today() + 1, day=bindparam("today"), last_used_at=bindparam("now"))
        .returning(u.number_id, u.calls)
    )


@cache
def spread_one() -> Executable:
    """SQLite: copy a number's new use into every pool that holds it."""
    p = s.pool_numbers.c
    return (
        update(s.pool_numbers)
        .where(p.org_id == bindparam("org"), p.number_id == bindparam("number"))
        .values(day=bindparam("today"), calls=bindparam("calls"), last_used_at=bindparam("now"))
    )


_COLUMNS = [
    "org_id",
    "id",
    "at",
    "agent_id",
    "campaign_id",
    "number_id",
    "caller_id",
    "callee",
    "step",
]


def _attempt_row(number_id: ColumnElement[str]) -> Any:
    """The attempt's row, its caller ID read from the number."""
    c, n = s.outbound_calls.c, s.numbers.c
    return select(
        bindparam("org", type_=c.org_id.type),
        bindparam("call", type_=c.id.type),
        bindparam("now", type_=c.at.type),
        bindparam("agent", type_=c.agent_id.type),
        bindparam("campaign", type_=c.campaign_id.type),
        n.id,
        n.e164,
        bindparam("callee", type_=c.callee.type),
        bindparam("step", type_=c.step.type),
    ).where(n.org_id == bindparam("org"), n.id == number_id)


@cache
def record() -> Executable:
    return insert(s.outbound_calls).from_select(_COLUMNS, _attempt_row(bindparam("number")))


@cache
def count_and_record(*, choose: str | None = None) -> Executable:
    """PostgreSQL, one statement: count the call on a number, copy its new use into every pool
    that holds it, and record the attempt; nothing while the org's config version is not the
    bound ``version``. The number: the bound one; or, in the pool whose copy is current,
    ``choose`` "sticky", the callee's last caller ID if eligible (O5), "pick", the pool's
    pick. Its one row: the version it saw, and the number counted (None: nothing)."""
    number: ColumnElement[Any] = bindparam("number")
    ctes = []
    if choose is not None:
        chosen = (sticky() if choose == "sticky" else pick()).cte(choose)
        ctes.append(chosen)
        number = select(chosen.c.number_id).scalar_subquery()
    version = config_version_of(bindparam("org"))
    use = counted(number).where(version == bindparam("version"))
    if choose is not None:  # a copy found out of date (by a lock or not) counts nothing
        use = use.where(_copy_is_current())
    use = use.cte("counted")
    # Scalar subqueries, so the number's rows are found by index (a join may scan the org).
    counted_id = select(use.c.number_id).scalar_subquery()
    p = s.pool_numbers
    spread = (
        update(p)
        .where(p.c.org_id == bindparam("org"), p.c.number_id == counted_id)
        .values(
            day=bindparam("today"),
            calls=select(use.c.calls).scalar_subquery(),
            last_used_at=bindparam("now"),
        )
        .cte("spread")
    )
    record = (
        insert(s.outbound_calls)
        .from_select(_COLUMNS, _attempt_row(counted_id))
        .returning(s.outbound_calls.c.number_id)
        .cte("recorded")
    )
    recorded = select(record.c.number_id).scalar_subquery()
    return select(version, recorded).add_cte(*ctes, use, spread, record)


@cache
def lock_and_count() -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """PostgreSQL: the pool's lock and the pool's pick counted and recorded, as SQL texts sent
    in one pipeline between BEGIN and COMMIT (so the pick has a fresh snapshot and sees what
    the pool's previous holder committed, and the lock is held only for the server's work), each
    prepared by psycopg once it repeats; with their parameters (``db.on_postgresql``)."""
    return on_postgresql(hold_pool()), on_postgresql(count_and_record(choose="pick"))

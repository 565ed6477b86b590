"""Choosing among several (rule O5), as written: the pool's eligible number with the fewest
calls today, then the one shown least recently. The call path reads the same order off an
index in the database (``store/callerid_sql``); this is the rule that index follows, and the
in-memory decision that tests, tools and benchmarks use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from numberdesk.domain.callerid import (
    Call,
    Decision,
    Picked,
    Tier,
    Usage,
    answered,
    daily_cap,
    deciding,
    why_not,
)
from numberdesk.domain.callerid_index import Candidate, Pool, Snapshot


@dataclass(frozen=True)
class Use:
    """One number's use as O5 orders it: calls today, and when it was last shown."""

    calls_today: int = 0
    last_used_at: datetime | None = None


NEVER = datetime.min.replace(tzinfo=UTC)


def least_used(
    pool: Pool, uses: Mapping[str, Use], cap: int | None, now: datetime
) -> Candidate | None:
    """The pool's pick (O5): of its numbers eligible now and under the cap, the one with the
    fewest calls today, then the one shown least recently (never shown first), then by id.
    The store reads the same order off an index instead of walking the pool."""
    best: tuple[int, datetime, str] | None = None
    chosen = None
    for number in pool.usable:
        use = uses.get(number.id, Use())
        if cap is not None and use.calls_today >= cap:
            continue
        if why_not(number, Usage(), None, now) is not None:
            continue
        rank = (use.calls_today, use.last_used_at or NEVER, number.id)
        if best is None or rank < best:
            best, chosen = rank, number
    return chosen


def decide_in_memory(
    snapshot: Snapshot,
    usage: Usage,
    call: Call,
    now: datetime,
    uses: Mapping[str, Use] | None = None,
) -> Decision:
    """``deciding``, each pick asked for made by ``least_used`` over ``uses`` (or the calls
    today of ``usage``): the whole rule in memory, for tests, tools and benchmarks."""
    if uses is None:
        uses = {i: Use(calls) for i, calls in usage.calls_today.items()}
    cap = daily_cap(snapshot, call)

    def pick(tier: Tier) -> Picked:
        chosen = least_used(tier.pool, uses, cap, now)
        return Picked(chosen.id if chosen else None)

    return answered(deciding(snapshot, usage, call, now), pick)

"""Warming a served process's call-path indexes when it starts.

An org's first call on a process waits while the process builds its caller-ID and inbound
indexes: 16 s and 5 s at a million numbers (bench/README.md). A served process builds them
when it starts, in a background thread, every org's in turn, the orgs with the fewest numbers
first, so that most orgs are ready soonest and calls find their indexes built (and the pools
calls have used copied again where their numbers changed meanwhile). A call for an
org not yet warmed builds that org's index itself, as before, and the warm-up then finds it
current; a call for the org being warmed waits for that one build (``Snapshots.rebuilt``).

The readiness probe (``GET /readyz``) answers 503 until the warm-up has ended, so that a
PBX's dispatcher or a load balancer sends calls to the processes that are ready; a worker
that shares its port with others takes no connection until then (``api/app``). An org whose
warm-up fails (say the database was lost meanwhile) is logged and left to its first call.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from numberdesk.services.background import Background
from numberdesk.services.callerid import warm_outbound_index
from numberdesk.services.desk import Desk
from numberdesk.services.inbound import warm_inbound_index

log = logging.getLogger("numberdesk.warmup")


@dataclass
class Warmup(Background):
    """A process's warm-up: how far it has come (``halt`` stops it before its next org)."""

    orgs: int | None = None  # how many orgs it warms, once read
    warmed: int = 0  # orgs done so far, those that failed included
    failed: int = 0
    seconds: float | None = None  # how long it took, once it has ended
    ended: threading.Event = field(default_factory=threading.Event)

    @property
    def ready(self) -> bool:
        """Whether the warm-up has ended (every org warmed or given up, or it was stopped)."""
        return self.ended.is_set()


def start_warmup(desk: Desk) -> Warmup:
    """Warm ``desk``'s call-path indexes in a background thread (``warm_indexes``)."""
    return Warmup().started(warm_indexes, desk, "numberdesk-warmup")


def warm_indexes(desk: Desk, warmup: Warmup) -> None:
    """Build each org's caller-ID and inbound indexes, the smallest org first, until all are
    built or ``warmup.stop`` is set; then ``warmup.ended``."""
    started = time.monotonic()
    try:
        for org_id in _orgs_smallest_first(desk, warmup):
            if warmup.stop.is_set():
                break
            _warm(desk, org_id, warmup)
    finally:
        warmup.seconds = time.monotonic() - started
        warmup.ended.set()
    log.info(
        "call-path indexes warm: %d of %s orgs in %.1f s, %d failed",
        warmup.warmed,
        warmup.orgs,
        warmup.seconds,
        warmup.failed,
    )


def _orgs_smallest_first(desk: Desk, warmup: Warmup) -> list[str]:
    """Every org's id, the smallest first (none when they cannot be read: each is then
    warmed by its first call)."""
    try:
        with desk.store.transaction() as tx:
            org_ids = tx.orgs.ids_smallest_first()
    except Exception:
        log.exception("call-path warm-up: the orgs could not be read; calls build their indexes")
        org_ids = []
    warmup.orgs = len(org_ids)
    return org_ids


def _warm(desk: Desk, org_id: str, warmup: Warmup) -> None:
    """Build one org's two indexes; a failure is logged (unless the process is stopping) and
    the org left to its first call."""
    try:
        warm_outbound_index(desk, org_id)
        warm_inbound_index(desk, org_id)
    except Exception:
        warmup.failed += 1
        if not warmup.stop.is_set():
            log.exception("call-path warm-up of org %s failed; its first call builds it", org_id)
    warmup.warmed += 1

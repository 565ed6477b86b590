"""Keeping a served process's call-path indexes current in the background.

A call learns that its org's index is out of date only when its write is refused, and then
waits while the process refreshes the index (a tenth to half a second at a million numbers)
or, past 10,000 changes since it was made, builds it whole (17 s at a million numbers: longer
than a PBX waits for its answer). So a served process also looks, every
``NUMBERDESK_INDEX_REFRESH_SECONDS`` (1 s by default; 0 turns it off), for orgs whose
configuration moved past the indexes it holds, and refreshes those itself, copying again
the pools calls have used whose numbers changed (``callerid.warm_outbound_index``: a pick
would copy first, 1.3 s for 15,000 numbers): a call after a change finds its index and its
pool current, and a bulk change made 500 numbers a request is followed a few requests at a
time instead of piling up into a whole build. Each look is one query; an index no call has
needed yet is not built here (the warm-up builds those at start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from numberdesk.services.background import Background
from numberdesk.services.callerid import warm_outbound_index
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.desk import Desk
from numberdesk.services.inbound import warm_inbound_index
from numberdesk.services.inbound_index import InboundIndex, key_of

log = logging.getLogger("numberdesk.refresher")


@dataclass
class Refresher(Background):
    """A process's background refresh of its indexes: how often it looks, what it did."""

    every: float  # seconds between looks
    looks: int = 0  # looks made so far
    refreshed: int = 0  # indexes refreshed so far
    failing: set[str] = field(default_factory=set)  # orgs whose refresh failed last time
    database_lost: bool = False  # the last look could not read the orgs' versions


def start_refresher(desk: Desk, every: float) -> Refresher:
    """Refresh ``desk``'s indexes every ``every`` seconds in a background thread."""
    return Refresher(every).started(keep_current, desk, "numberdesk-refresher")


def keep_current(desk: Desk, refresher: Refresher) -> None:
    """Look for moved configurations every ``refresher.every`` seconds until stopped."""
    while not refresher.stop.wait(refresher.every):
        refresher.refreshed += refresh_moved(desk, refresher)
        refresher.looks += 1


def refresh_moved(desk: Desk, refresher: Refresher) -> int:
    """Refresh every index this process holds whose org's configuration moved since the index
    was made; how many were refreshed. A failure is logged once, until it passes: the call
    that needs the index then refreshes it itself, as without the refresher (nothing is
    logged once the process is stopping: its connections are being closed)."""
    try:
        with desk.store.transaction() as tx:
            versions = tx.orgs.config_versions()
    except Exception:
        if not refresher.database_lost and not refresher.stop.is_set():
            log.exception("index refresher: the orgs' config versions could not be read")
        refresher.database_lost = True
        return 0
    if refresher.database_lost:
        log.info("index refresher: the orgs' config versions are read again")
        refresher.database_lost = False
    return sum(
        _refresh_org(desk, refresher, org_id, version)
        for org_id, version in versions.items()
        if not refresher.stop.is_set()
    )


def _refresh_org(desk: Desk, refresher: Refresher, org_id: str, version: int) -> int:
    """Refresh the org's indexes this process holds at a version before ``version``; how many."""
    held = [
        (desk.snapshots.get(org_id), warm_outbound_index),
        (desk.snapshots.get(key_of(org_id)), warm_inbound_index),
    ]
    moved = [
        warm
        for index, warm in held
        if isinstance(index, Indexed | InboundIndex) and index.version < version
    ]
    try:
        for warm in moved:
            warm(desk, org_id)
    except Exception:
        if org_id not in refresher.failing and not refresher.stop.is_set():
            log.exception("index refresher: org %s could not be refreshed", org_id)
        refresher.failing.add(org_id)
        return 0
    if moved and org_id in refresher.failing:
        log.info("index refresher: org %s is refreshed again", org_id)
        refresher.failing.discard(org_id)
    return len(moved)

"""The call path's per-process indexes (outbound caller ID, inbound routing), by key.

Read without a lock. When an org's configuration changed, the first call to notice rebuilds
the index while every other call for the same key waits for it (``rebuilding``), so a burst
of calls after a change builds the index once per process, not once per waiting call.

A caller that must not wait for a build (the API's event loop, which answers decisions
without a thread hop) asks with ``rebuild=False`` and gets ``IndexNotReady`` instead.
"""

from __future__ import annotations

import threading
from collections.abc import ItemsView, Iterator
from contextlib import contextmanager


class IndexNotReady(Exception):
    """The call path's index must be built, or a pool's copy of its numbers renewed, before
    this decision: too slow for a caller that asked with ``rebuild=False`` (nothing was
    recorded for the call)."""


class OutOfDate(Exception):
    """The org's configuration changed since the index a decision was made on was built:
    nothing was written, and the decision is made again on the rebuilt index."""


class Snapshots:
    """Indexes by key (e.g. an org id), each rebuilt by one thread at a time."""

    def __init__(self) -> None:
        self._held: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str) -> object | None:
        """The index held under ``key``, if any (no lock: a dict read is atomic)."""
        return self._held.get(key)

    def __getitem__(self, key: str) -> object:
        return self._held[key]

    def __setitem__(self, key: str, index: object) -> None:
        self._held[key] = index

    def items(self) -> ItemsView[str, object]:
        """Every key with its index."""
        return self._held.items()

    @contextmanager
    def rebuilding(self, key: str) -> Iterator[None]:
        """Hold ``key``'s rebuild lock: inside, check the index again (another thread may have
        rebuilt it meanwhile) and rebuild it only if it is still out of date."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield

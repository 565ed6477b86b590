"""The call path's per-process indexes (outbound caller ID, inbound routing), by key, and how
a decision is made on one that is current.

Read without a lock. A decision is made on the index the process holds, without asking for
the config version: its write is refused if the version moved (``OutOfDate``), and a
decision that writes nothing, or refuses the call, asks for the version first. Then the
decision is made again on the index as the configuration stands now, holding the version
until it is recorded (``on_current_index``): however fast changes come, the second attempt
is the last, and a change waits the milliseconds it takes.
The first call to need it rebuilds that index while every other call for the same key waits
for it (``rebuilt``), so a burst of calls after a change builds the index once per process,
not once per waiting call. The build is given the index it replaces (also one found out of
date and dropped, ``forget``), to refresh it with the changes past its version rather than
build it whole.

A caller that must not wait for a build (the API's event loop, which answers decisions
without a thread hop) asks with ``rebuild=False`` and gets ``IndexNotReady`` instead.

Python's cycle collector is paused while an index is built (``collector_paused``). An index
is millions of objects at a million numbers, none of them in a reference cycle: each full
collection during a build walked all of them, holding the interpreter lock, so other orgs'
calls on the process stood still meanwhile (bench/README.md: up to six such collections in a
100k-number build, 0.06-0.34 s each, about a fifth of the build). When the last build ends,
whatever is alive is moved out of the collector's sight (``gc.freeze``), the new index with it:
a full collection walked it otherwise, once after the build and at each later one (0.45 s at a
million numbers, every call on the process standing still: bench/README.md, eleventh
session). Objects no longer referenced are still freed at once, an index replaced by its
rebuild too; only garbage in reference cycles at that moment stays, until ``thaw``
(``Desk.close``) gives everything back to the collector.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, ItemsView, Iterator
from contextlib import contextmanager
from functools import partial
from typing import NoReturn, Protocol, TypeVar

from numberdesk.domain.errors import Problem, Unavailable
from numberdesk.domain.orgs import Org
from numberdesk.store.orgs import config_version_on_loop
from numberdesk.store.pipeline import Pipeline
from numberdesk.store.uow import Store, Transaction


class IndexNotReady(Exception):
    """The call path's index must be built, or a pool's copy of its numbers renewed, or a row
    another transaction holds awaited, before this decision: too slow for a caller that asked
    with ``rebuild=False`` (nothing was recorded for the call)."""


class OutOfDate(Exception):
    """The org's configuration changed since the index a decision was made on was built:
    nothing was written, and the decision is made again on the rebuilt index."""


class Versioned(Protocol):
    """An index, tagged with the org's config version it was built from."""

    @property
    def version(self) -> int: ...


Index = TypeVar("Index", bound=Versioned)
T = TypeVar("T")


class Snapshots:
    """Indexes by key (e.g. an org id), each rebuilt by one thread at a time; how many builds
    (or refreshes) of each kind this process made, and how long they took in all."""

    def __init__(self) -> None:
        self._held: dict[str, object] = {}
        self._dropped: dict[str, object] = {}  # found out of date; the next build refreshes it
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.builds: dict[type, int] = {}
        self.build_seconds: dict[type, float] = {}

    def get(self, key: str) -> object | None:
        """The index held under ``key``, if any (no lock: a dict read is atomic)."""
        return self._held.get(key)

    def __getitem__(self, key: str) -> object:
        return self._held[key]

    def items(self) -> ItemsView[str, object]:
        """Every key with its index."""
        return self._held.items()

    def rebuilt(
        self,
        key: str,
        kind: type[Index],
        read_org: Callable[[], Org],
        build: Callable[[Org, Index | None], Index],
    ) -> Index:
        """The index as the org's configuration stands now: the one held if its version is the
        org's, else built here from the one it replaces, or by the call of this process that
        built it while this one waited (one build per change). The org is read first, so an
        index is never tagged newer than what it holds."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            org = read_org()
            held = self._held.get(key)
            if isinstance(held, kind) and held.version == org.config_version:
                return held
            replaced = held if isinstance(held, kind) else self._dropped.get(key)
            started = time.perf_counter()
            with collector_paused():
                index = build(org, replaced if isinstance(replaced, kind) else None)
            self._held[key] = index
            self._dropped.pop(key, None)
            self._count_build(kind, time.perf_counter() - started)
            return index

    def _count_build(self, kind: type, seconds: float) -> None:
        with self._guard:
            self.builds[kind] = self.builds.get(kind, 0) + 1
            self.build_seconds[kind] = self.build_seconds.get(kind, 0.0) + seconds

    def forget(self, key: str, index: object) -> None:
        """Drop ``index``, found out of date, unless another call has replaced it already:
        the calls that follow wait for the new one instead of deciding on it again."""
        with self._guard:
            if self._held.get(key) is index:
                self._dropped[key] = self._held.pop(key)


class _Builds:
    """The index builds under way in this process, and whether the collector ran before."""

    def __init__(self) -> None:
        self.under_way = 0
        self.collector_was_on = True
        self.guard = threading.Lock()


_builds = _Builds()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cycle collection while the block (an index build) runs, nor while
    another thread's does; when the last one ends, what is alive is frozen (``gc.freeze``,
    see the module) and the collector is as it was before the first began."""
    with _builds.guard:
        if _builds.under_way == 0:
            _builds.collector_was_on = gc.isenabled()
        _builds.under_way += 1
        gc.disable()
    try:
        yield
    finally:
        with _builds.guard:
            _builds.under_way -= 1
            if _builds.under_way == 0 and _builds.collector_was_on:
                gc.freeze()  # see the module
                gc.enable()


def thaw() -> None:
    """Give what index builds froze back to the collector: a desk dropped is then freed."""
    gc.unfreeze()


def on_current_index(
    snapshots: Snapshots,
    tx: Transaction,
    org_id: str,
    key: str,
    kind: type[Index],
    build: Callable[[Org, Index | None], Index],
    decide: Callable[[Index], T],
    *,
    writes: bool,
    rebuild: bool,
    locks_first: Callable[[Index], None] = lambda _: None,
) -> T:
    """``decide`` on the org's index held under ``key`` (no query), else on the index as the
    configuration stands now (``build`` when it must be built; not ``rebuild``:
    ``IndexNotReady`` instead). Made again on the index of now when the one used turns out
    out of date: its write says so (``OutOfDate``), and a decision that ``writes`` nothing, or
    a refusal, first compares the config version. Made again once, holding the version
    (``_holding_the_version``), after ``locks_first`` has locked, as the index found out of
    date has it, the rows the decision will lock that a change may hold; not ``rebuild``:
    ``IndexNotReady`` instead."""
    held = snapshots.get(key)
    index = held if isinstance(held, kind) else None
    current = partial(snapshots.rebuilt, key, kind, partial(tx.orgs.require, org_id), build)
    if index is None:
        if not rebuild:
            raise IndexNotReady(org_id)
        index = current()
    try:
        if not writes and tx.orgs.config_version(org_id) != index.version:
            raise OutOfDate(org_id)
        return decide(index)
    except OutOfDate:
        pass
    except Problem:
        if tx.orgs.config_version(org_id) == index.version:
            raise
    snapshots.forget(key, index)
    if not rebuild:
        raise IndexNotReady(org_id)
    return _holding_the_version(tx, org_id, current, decide, partial(locks_first, index))


def _holding_the_version(
    tx: Transaction,
    org_id: str,
    current: Callable[[], Index],
    decide: Callable[[Index], T],
    lock_first: Callable[[], None],
) -> T:
    """``decide`` on the index of the org's config version (``current``), in one transaction
    that holds the version (``OrgRepo.hold_config_version``) until the decision is recorded:
    a change that commits meanwhile waits those milliseconds, so the decision stands however
    fast the configuration changes (an admin's script changing numbers one by one, say). A
    change locks the rows it changes, then moves the version; the rows the decision will
    lock that a change may hold (a company number's, I10) are locked first too
    (``lock_first``), so the two never wait for each other. The index is brought up to date
    before the version is held, and again, with what changed meanwhile, once it is: a whole
    build takes seconds at a million numbers, and changes would wait for it."""
    current()
    with tx.atomic():
        lock_first()
        tx.orgs.hold_config_version(org_id)
        index = current()
        try:
            return decide(index)
        except OutOfDate as moved:  # a database that cannot hold a row (none today)
            raise Unavailable(
                "configuration_changing",
                "The organisation's configuration changed while this call was decided; "
                "nothing was recorded. Ask again.",
            ) from moved


async def held_on_loop(
    snapshots: Snapshots, store: Store, org_id: str, key: str, kind: type[Index]
) -> tuple[Index, Pipeline]:
    """For a decision on the event loop: the org's index this process holds under ``key``,
    and the loop's pipeline, asked for only once the index is held (a decision without it
    never connects); ``IndexNotReady`` when either is missing (SQLite has no pipeline), and
    the decision runs in a worker thread."""
    index = snapshots.get(key)
    if not isinstance(index, kind):
        raise IndexNotReady(org_id)
    pipeline = await store.pipeline()
    if pipeline is None:
        raise IndexNotReady(org_id)
    return index, pipeline


async def refuse_on_loop(
    refusal: Problem, pipeline: Pipeline, org_id: str, index_version: int
) -> NoReturn:
    """Raise ``refusal``, made by a decision on the event loop, when the index it was made on
    is still the org's (or when the database could not answer at all); else
    ``IndexNotReady``, and the decision is made again on the index of now in a worker thread,
    as ``on_current_index`` makes it again."""
    if isinstance(refusal, Unavailable):
        raise refusal
    if await config_version_on_loop(pipeline, org_id) == index_version:
        raise refusal
    raise IndexNotReady(org_id) from refusal

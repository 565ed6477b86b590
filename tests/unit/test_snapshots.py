"""The call path's indexes: built without the cycle collector walking them meanwhile, and kept
out of its sight afterwards until their desk is closed."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from numberdesk.domain.orgs import Org
from numberdesk.services.snapshots import Snapshots, collector_paused, thaw


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Each test starts with the collector on and nothing frozen, and leaves them so."""
    gc.enable()
    thaw()
    yield
    gc.enable()
    thaw()


@dataclass(frozen=True)
class Built:
    """An index, and whether the collector was on while it was built."""

    version: int
    collector_ran: bool


def org(version: int) -> Org:
    """An org whose configuration is at ``version``."""
    created = datetime(2026, 11, 1, tzinfo=UTC)
    return Org("org_1", "Acme", "US", "America/New_York", created, config_version=version)


def test_an_index_is_built_with_the_collector_paused() -> None:
    built = Snapshots().rebuilt(
        "org_1", Built, lambda: org(3), lambda o, _: Built(o.config_version, gc.isenabled())
    )
    assert built == Built(3, collector_ran=False)
    assert gc.isenabled()


def test_a_built_index_is_left_out_of_full_collections_until_thawed() -> None:
    index = Snapshots().rebuilt("org_1", Built, lambda: org(1), lambda o, _: Built(1, False))
    assert gc.get_freeze_count() > 0
    assert not any(o is index for o in gc.get_objects())  # no collection walks it
    thaw()
    assert any(o is index for o in gc.get_objects())


def test_an_index_replaced_by_its_rebuild_is_freed_though_frozen() -> None:
    snapshots = Snapshots()
    first = snapshots.rebuilt("org_1", Built, lambda: org(1), lambda o, _: Built(1, False))
    assert not any(o is first for o in gc.get_objects())  # frozen: out of the collector's sight
    gone = weakref.ref(first)
    del first
    snapshots.rebuilt("org_1", Built, lambda: org(2), lambda o, _: Built(2, False))
    assert gone() is None  # freed by its reference count, no collection needed


def test_an_index_whose_desk_is_dropped_is_freed_though_the_desk_is_in_a_cycle() -> None:
    snapshots = Snapshots()
    desk: dict[str, object] = {"snapshots": snapshots}
    desk["itself"] = desk  # a desk, like most object graphs, in a reference cycle
    index = snapshots.rebuilt("org_1", Built, lambda: org(1), lambda o, _: Built(1, False))
    gone = weakref.ref(index)
    del index, desk, snapshots
    thaw()  # what closing the desk does (``Desk.close``)
    gc.collect()
    assert gone() is None


def test_the_collector_comes_back_when_a_build_fails() -> None:
    def failing(_: Org, __: Built | None) -> Built:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        Snapshots().rebuilt("org_1", Built, lambda: org(1), failing)
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_the_collector_stays_paused_until_the_last_of_two_builds_ends() -> None:
    first_inside, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_build() -> None:
        with collector_paused():
            first_inside.set()
            second_done.wait(5)
        seen.append(gc.isenabled())

    thread = threading.Thread(target=other_build)
    thread.start()
    first_inside.wait(5)
    with collector_paused():
        pass
    seen.append(gc.isenabled())  # the other build is still under way
    second_done.set()
    thread.join(5)
    assert seen == [False, True]


def test_the_build_after_a_change_is_given_the_index_it_replaces_even_once_dropped() -> None:
    """An index found out of date is dropped (calls wait for the next one instead of deciding
    on it); the next build still gets it, to refresh it with the changes past its version."""
    snapshots = Snapshots()
    given: list[Built | None] = []

    def build(o: Org, held: Built | None) -> Built:
        given.append(held)
        return Built(o.config_version, False)

    first = snapshots.rebuilt("org_1", Built, lambda: org(1), build)
    snapshots.forget("org_1", first)
    second = snapshots.rebuilt("org_1", Built, lambda: org(2), build)
    third = snapshots.rebuilt("org_1", Built, lambda: org(3), build)
    assert given == [None, first, second]
    assert snapshots.get("org_1") is third

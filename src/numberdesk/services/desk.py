"""What every service needs: the store, the carrier, the settings and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from numberdesk.carriers.base import Carrier
from numberdesk.config import Settings
from numberdesk.domain.orgs import Actor
from numberdesk.services.snapshots import Snapshots, thaw
from numberdesk.store.uow import Store


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass
class Desk:
    """The composition root's product: services receive it as their first argument."""

    settings: Settings
    store: Store
    carrier: Carrier
    clock: Callable[[], datetime] = field(default=utc_now)
    # Per-process memory of the call path (each org's caller-ID and inbound indexes).
    snapshots: Snapshots = field(default_factory=Snapshots)
    # API keys this process has checked lately: key hash -> (actor, monotonic expiry).
    known_keys: dict[str, tuple[Actor, float]] = field(default_factory=dict)

    def now(self) -> datetime:
        """The current time (a test can set the clock)."""
        return self.clock()

    @property
    def one_writer_at_a_time(self) -> bool:
        """Whether the database takes one writer at a time (SQLite), so that a decision may
        wait for any other write before its own statements."""
        return self.store.one_writer_at_a_time

    def close(self) -> None:
        """Close the database connections, and give what index builds froze back to the
        cycle collector (``snapshots.thaw``), so a desk dropped is freed (tests, benchmarks)."""
        self.store.dispose()
        thaw()

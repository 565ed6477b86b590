"""Work a served process does in a thread of its own beside the calls it answers (the
start-up warm-up, the index refresher), and how it is stopped when the process shuts down."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

from numberdesk.services.desk import Desk


@dataclass
class Background:
    """A background task's thread and the event that asks it to stop."""

    stop: threading.Event = field(default_factory=threading.Event, kw_only=True)
    thread: threading.Thread | None = field(default=None, kw_only=True)

    def started(self, work: Callable[[Desk, Self], None], desk: Desk, name: str) -> Self:
        """This task, ``work(desk, self)`` running in a daemon thread named ``name``."""
        self.thread = threading.Thread(target=work, args=(desk, self), name=name, daemon=True)
        self.thread.start()
        return self

    def halt(self, wait_seconds: float) -> None:
        """Ask the task to stop; wait at most ``wait_seconds`` for the work under way (it is
        not interrupted: at shutdown its daemon thread dies with the process)."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(wait_seconds)

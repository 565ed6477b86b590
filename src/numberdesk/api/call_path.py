"""How the call path's decision routes run: on the event loop, not in a worker thread.

A decision over a current index is a fraction of a millisecond of Python around one or two
short statements. Handing it to a worker thread, as FastAPI does for every sync route, costs
more than the decision: the hop and the threads' contention for the GIL cut a server's
decisions per second by about a third (bench/README.md). So the routes ask the service on
the loop, with ``rebuild=False``; when the org's index must first be built (after a
configuration change: seconds at a million numbers), the service refuses before reading or
writing anything, and the same decision runs in a worker thread, which waits for the build
while the loop goes on answering.

On SQLite every decision runs in a worker thread: there a decision first takes the database's
one write lock, which any other write (a bulk import, another org's index build) may hold for
seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import IndexNotReady

T = TypeVar("T")


async def decided(desk: Desk, decide: Callable[..., T]) -> T:
    """``decide(rebuild=False)`` on the event loop, or ``decide()`` in a worker thread when the
    index must be built first or the database takes one writer at a time."""
    if desk.store.one_writer_at_a_time:
        return await run_in_threadpool(decide)
    try:
        return decide(rebuild=False)
    except IndexNotReady:
        return await run_in_threadpool(decide)

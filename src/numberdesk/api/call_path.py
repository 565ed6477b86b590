"""How the call path's decision routes run: on the event loop, not in a worker thread.

A decision over a current index is Python around one or two short statements. Handing it to a
worker thread, as FastAPI does for every sync route, costs more than the decision: the hop and
the threads' contention for the GIL cut a server's decisions per second by about a third
(bench/README.md). So the routes ask the service on the loop, the decisions' statements on
the loop's pipeline (``decide_outbound_on_loop``, ``decide_inbound_on_loop``,
``store/pipeline``), where the loop answers other requests while PostgreSQL works. When the
org's index must first be built (after a configuration change: seconds at a million
numbers), or a pool's copy of its numbers renewed, the service refuses before it records
anything, and the same decision runs in a worker thread, which waits for that work while the
loop goes on answering. At most ``FALLBACKS`` such decisions run at once per process, fewer
than the call path's pool holds connections (``store/db.make_call_path_engine``), so the
loop always finds one.

The routes read the API key from the request themselves (``caller``), not through FastAPI's
dependencies: resolving two nested dependencies costs about 40 us a request, a twentieth of a
decision's whole cost over HTTP (bench/README.md); ``AUTHORIZATION`` documents the header
those dependencies would have documented.

On SQLite every decision runs in a worker thread: there a decision first takes the database's
one write lock, which any other write (a bulk import, another org's index build) may hold for
seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from anyio import CapacityLimiter, to_thread
from fastapi import Request

from numberdesk.api.deps import actor_of
from numberdesk.domain.orgs import Actor
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import IndexNotReady

T = TypeVar("T")
FALLBACKS = 4  # decisions at once in worker threads, per process (PostgreSQL)
AUTHORIZATION: dict[str, Any] = {  # the header, as FastAPI documents it on every other route
    "parameters": [
        {
            "name": "authorization",
            "in": "header",
            "required": False,
            "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Authorization"},
        }
    ]
}
_limiters: WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = WeakKeyDictionary()


async def caller(request: Request) -> tuple[Desk, Actor]:
    """The app's desk and the user the request's API key acts for (A1)."""
    desk: Desk = request.app.state.desk
    return desk, await actor_of(desk, request.headers.get("authorization"))


async def decided(
    decide: Callable[..., T],
    request: Request,
    on_loop: Callable[..., Awaitable[T]],
    **arguments: Any,
) -> T:
    """``decide(desk, actor, **arguments)`` for the request's caller: ``on_loop`` on the event
    loop, its statements on the loop's pipeline; ``decide`` in a worker thread when the org's
    index must be built first (``IndexNotReady``) or the database takes one writer at a time."""
    desk, actor = await caller(request)
    if desk.one_writer_at_a_time:
        return await to_thread.run_sync(partial(decide, desk, actor, **arguments))
    try:
        return await on_loop(desk, actor, **arguments)
    except IndexNotReady:
        whole = partial(decide, desk, actor, **arguments)
        return await to_thread.run_sync(whole, limiter=_fallbacks())


def _fallbacks() -> CapacityLimiter:
    """This event loop's limit on decisions running in worker threads."""
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = CapacityLimiter(FALLBACKS)
    return _limiters[loop]

"""The FastAPI application: routers, problem responses, metrics."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from importlib import import_module
from types import FrameType

from fastapi import APIRouter, FastAPI

from numberdesk import __version__
from numberdesk.api import metrics, problems
from numberdesk.services.desk import Desk
from numberdesk.services.refresher import start_refresher
from numberdesk.services.warmup import Warmup, start_warmup

# A request is matched against the routes in this order, so the call path's come first.
FEATURES = (
    "callerid",
    "inbound",
    "calls",
    "texts",
    "health",
    "orgs",
    "users",
    "audit",
    "numbers",
    "groups",
    "destinations",
    "mandates",
    "addresses",
    "masking",
    "port_ins",
    "branding",
    "resting",
    "contacts",
    "inbox",
    "routes",
    "company",
)

STOP_WAIT_SECONDS = 2.0  # at shutdown, for a build or refresh under way (not interrupted)
WARM_LOOK_SECONDS = 0.05  # how often a worker waiting to be warm looks
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

DESCRIPTION = """The phone-number desk of a contact centre: numbers, compliance, caller ID
out and routing in. Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
problem documents with a stable `code`."""


def create_app(desk: Desk, *, first: Sequence[APIRouter] = (), owns_desk: bool = False) -> FastAPI:
    """Build the app around an already wired desk (``first``: routers matched before ours;
    ``owns_desk``: the app closes the desk's database connections when it shuts down). While
    it serves, the desk's call-path indexes are warmed unless its settings say not to."""
    app = FastAPI(
        title="numberdesk",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(desk, owns_desk),
    )
    app.state.desk = desk
    app.state.warmup = None
    app.state.refresher = None
    problems.install(app)
    metrics.install(app)
    for router in first:
        app.include_router(router)
    for feature in FEATURES:
        module = import_module(f"numberdesk.api.routes.{feature}")
        app.include_router(module.router)
    return app


def _lifespan(
    desk: Desk, owns_desk: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that warms the call-path indexes in the background from the start
    (``services/warmup``, unless ``NUMBERDESK_WARM_INDEXES`` is off) and keeps them current
    (``services/refresher``, unless ``NUMBERDESK_INDEX_REFRESH_SECONDS`` is 0). A worker that
    shares its port with others (``NUMBERDESK_WORKERS`` above 1) starts serving only once
    warm: until then it accepts no connection, so its siblings take the calls (``/readyz``
    cannot tell one worker of a port from another). When the server shuts down, the lifespan
    stops both tasks and, if the app ``owns_desk``, closes the desk's pooled connections and
    its event loop's pipeline, so that PostgreSQL sees them end rather than cut off."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = desk.settings
        warmup = app.state.warmup = start_warmup(desk) if settings.warm_indexes else None
        every = settings.index_refresh_seconds
        app.state.refresher = start_refresher(desk, every) if every > 0 else None
        if warmup is not None and settings.workers > 1:
            await _once_warm(warmup)
        yield
        for task in (app.state.refresher, app.state.warmup):
            if task is not None:
                task.halt(STOP_WAIT_SECONDS)
        if owns_desk:
            desk.close()

    return lifespan


async def _once_warm(warmup: Warmup) -> None:
    """Return once ``warmup`` has ended, or at once when the process is told to stop meanwhile
    (SIGINT or SIGTERM: the warm-up stops too, and the server hears the signal as ever)."""
    with _stopping_on_signals(warmup):
        while not (warmup.ready or warmup.stop.is_set()):
            await asyncio.sleep(WARM_LOOK_SECONDS)


@contextmanager
def _stopping_on_signals(warmup: Warmup) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM also stop ``warmup`` before they reach the handler
    they had (only the main thread hears signals: in any other, nothing changes)."""
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    if threading.current_thread() is not threading.main_thread() or None in previous.values():
        yield  # None: a handler not set from Python, which could not be restored
        return

    def stopping(sig: int, frame: FrameType | None) -> None:
        warmup.stop.set()
        handler = previous[signal.Signals(sig)]
        if callable(handler):
            handler(sig, frame)
        elif handler == signal.SIG_DFL:
            signal.signal(sig, signal.SIG_DFL)
            signal.raise_signal(sig)

    for sig in STOP_SIGNALS:
        signal.signal(sig, stopping)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

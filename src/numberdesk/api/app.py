"""The FastAPI application: routers, problem responses, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import import_module

from fastapi import APIRouter, FastAPI

from numberdesk import __version__
from numberdesk.api import metrics, problems
from numberdesk.services.desk import Desk
from numberdesk.services.refresher import start_refresher
from numberdesk.services.warmup import start_warmup

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
    (``services/refresher``, unless ``NUMBERDESK_INDEX_REFRESH_SECONDS`` is 0); when the
    server shuts down, it stops both and, if the app ``owns_desk``, closes the desk's pooled
    connections and its event loop's pipeline, so that PostgreSQL sees them end rather than
    cut off."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings = desk.settings
        app.state.warmup = start_warmup(desk) if settings.warm_indexes else None
        every = settings.index_refresh_seconds
        app.state.refresher = start_refresher(desk, every) if every > 0 else None
        yield
        for task in (app.state.refresher, app.state.warmup):
            if task is not None:
                task.halt(STOP_WAIT_SECONDS)
        if owns_desk:
            desk.close()

    return lifespan

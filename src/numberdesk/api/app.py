"""The FastAPI application: routers, problem responses, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import import_module

from fastapi import APIRouter, FastAPI

from numberdesk import __version__
from numberdesk.api import metrics, problems
from numberdesk.services.desk import Desk

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

DESCRIPTION = """The phone-number desk of a contact centre: numbers, compliance, caller ID
out and routing in. Authenticate with `Authorization: Bearer <api key>`. Errors are RFC 9457
problem documents with a stable `code`."""


def create_app(desk: Desk, *, first: Sequence[APIRouter] = (), owns_desk: bool = False) -> FastAPI:
    """Build the app around an already wired desk (``first``: routers matched before ours;
    ``owns_desk``: the app closes the desk's database connections when it shuts down)."""
    app = FastAPI(
        title="numberdesk",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_closing(desk) if owns_desk else None,
    )
    app.state.desk = desk
    problems.install(app)
    metrics.install(app)
    for router in first:
        app.include_router(router)
    for feature in FEATURES:
        module = import_module(f"numberdesk.api.routes.{feature}")
        app.include_router(module.router)
    return app


def _closing(desk: Desk) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that closes the desk's pooled connections and its event loop's pipeline
    when the server shuts down, so PostgreSQL sees them end rather than cut off."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        desk.close()

    return lifespan

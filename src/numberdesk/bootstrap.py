"""The composition root: wires the store and the carrier into the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from numberdesk.carriers.base import Carrier
from numberdesk.config import Settings
from numberdesk.services.desk import Desk
from numberdesk.store.db import make_call_path_engine, make_engine
from numberdesk.store.migrate import schema_problem
from numberdesk.store.uow import Store


class SchemaOutOfDate(RuntimeError):
    """The database must be migrated before numberdesk can serve it."""


def build_carrier(settings: Settings, store: Store, clock: Callable[[], datetime]) -> Carrier:
    """The carrier the settings name (only the embedded sandbox exists so far)."""
    if settings.carrier != "sandbox":
        raise ValueError(f"NUMBERDESK_CARRIER={settings.carrier!r}: only 'sandbox' is available")
    from numberdesk.carriers.sandbox import SandboxCarrier

    return SandboxCarrier(
        store.engine,
        stock=settings.sandbox_stock,
        exhausted=settings.sandbox_exhausted,
        clock=clock,
    )


def build_desk(settings: Settings, *, check_schema: bool = True) -> Desk:
    """Connect to the database, check its schema, and wire the services' dependencies."""
    call_path = make_call_path_engine(
        settings.database_url, synchronous_commit=settings.call_path_synchronous_commit
    )
    store = Store(make_engine(settings.database_url), call_path)
    if check_schema:
        problem = schema_problem(store.engine)
        if problem:
            store.dispose()
            raise SchemaOutOfDate(problem)
    desk: Desk
    carrier = build_carrier(settings, store, clock=lambda: desk.now())  # the desk's clock
    desk = Desk(settings=settings, store=store, carrier=carrier)
    return desk


def build_app_from_env() -> object:
    """The ASGI app for ``uvicorn --factory`` (used by ``numberdesk serve`` with workers)."""
    from numberdesk.api.app import create_app

    return create_app(build_desk(Settings.from_env()), owns_desk=True)

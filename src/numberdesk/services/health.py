"""Health of the running service."""

from __future__ import annotations

from numberdesk.services.desk import Desk


def database_answers(desk: Desk) -> bool:
    """Whether the database answers a trivial query."""
    return desk.store.ping()

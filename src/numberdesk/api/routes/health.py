"""Liveness: does the database answer?"""

from __future__ import annotations

from fastapi import APIRouter

from numberdesk.api.deps import DeskDep
from numberdesk.domain.errors import Problem
from numberdesk.services.health import database_answers

router = APIRouter(tags=["platform"])


class Unavailable(Problem):
    """The database does not answer."""

    status = 503
    title = "Service unavailable"


@router.get("/healthz", description="No auth. 200 when the database answers, else 503.")
def healthz(desk: DeskDep) -> dict[str, str]:
    """Tell a load balancer whether this process can serve."""
    if not database_answers(desk):
        raise Unavailable(
            "database_unavailable", "The database does not answer; check NUMBERDESK_DATABASE_URL."
        )
    return {"status": "ok"}

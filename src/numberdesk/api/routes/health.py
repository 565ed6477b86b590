"""Liveness (does the database answer?) and readiness (are the call path's indexes warm?)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from numberdesk.api.deps import DeskDep
from numberdesk.domain.errors import Problem
from numberdesk.services.desk import Desk
from numberdesk.services.health import database_answers
from numberdesk.services.warmup import Warmup

router = APIRouter(tags=["platform"])


class Unavailable(Problem):
    """The database does not answer, or the process is not ready for calls yet."""

    status = 503
    title = "Service unavailable"


class Readiness(BaseModel):
    """This process is ready for calls; how its call-path warm-up went (null: not warmed)."""

    status: str = "ready"
    orgs: int | None = None
    warmed: int | None = None
    failed: int | None = None
    seconds: float | None = None


def get_warmup(request: Request) -> Warmup | None:
    """This process's warm-up of the call path's indexes, if it warms them."""
    warmup: Warmup | None = request.app.state.warmup
    return warmup


@router.get("/healthz", description="No auth. 200 when the database answers, else 503.")
def healthz(desk: DeskDep) -> dict[str, str]:
    """Tell a load balancer whether this process can serve."""
    _require_database(desk)
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=Readiness,
    description="No auth. 200 when this process has warmed its call-path indexes (every "
    "org's caller-ID and inbound index built, NUMBERDESK_WARM_INDEXES) and the database "
    "answers; 503 `warming_up` until then. Each server process answers for itself.",
)
def readyz(desk: DeskDep, warmup: Annotated[Warmup | None, Depends(get_warmup)]) -> Readiness:
    """Tell a PBX's dispatcher or a load balancer whether calls may come to this process."""
    if warmup is not None and not warmup.ready:
        so_far = "" if warmup.orgs is None else f" ({warmup.warmed} of {warmup.orgs} orgs so far)"
        raise Unavailable(
            "warming_up",
            f"This process is building its call-path indexes{so_far}; calls sent now may wait "
            "for their org's. Send them to a process that is ready, or ask again shortly.",
        )
    _require_database(desk)
    if warmup is None:
        return Readiness()
    seconds = None if warmup.seconds is None else round(warmup.seconds, 3)
    return Readiness(orgs=warmup.orgs, warmed=warmup.warmed, failed=warmup.failed, seconds=seconds)


def _require_database(desk: Desk) -> None:
    """503 ``database_unavailable`` unless the database answers."""
    if not database_answers(desk):
        raise Unavailable(
            "database_unavailable", "The database does not answer; check NUMBERDESK_DATABASE_URL."
        )

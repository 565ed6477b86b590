"""Resting numbers (O6): spam reports, rest by hand, wake."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from numberdesk.api.deps import ActorDep, DeskDep
from numberdesk.api.routes.numbers import NumberOut, shown
from numberdesk.api.schemas import ANY_USER, MANAGER, Body
from numberdesk.domain.resting import MAX_REST_DAYS, REPORT_WINDOW_DAYS
from numberdesk.services import resting

router = APIRouter(tags=["numbers"])


class SpamReportIn(Body):
    """Who reports; leave out to report as yourself."""

    reported_by: str | None = Field(
        None, description="A user of your organisation (owners and admins only)."
    )


class SpamReportOut(BaseModel):
    """The stored report and where the number stands now."""

    id: str
    number_id: str
    reported_by: str
    at: datetime
    reports_in_window: int = Field(
        description=f"Distinct users whose reports count: made within {REPORT_WINDOW_DAYS} days "
        "and after the number last woke or stopped resting."
    )
    threshold: int = Field(description="The organisation's spam_threshold.")
    rested_until: datetime | None = Field(
        description="When the number's rest ends; null when it is not resting."
    )


class RestIn(Body):
    """How long and why the number rests; leave out for the defaults."""

    until: datetime | None = Field(
        None,
        examples=["2026-12-01T09:00:00Z"],
        description=f"In the future, at most {MAX_REST_DAYS} days ahead; default: the "
        "organisation's spam_rest_days from now.",
    )
    reason: str | None = Field(None, description="Default: rested by hand. At most 300 characters.")


@router.post(
    "/v1/numbers/{number_id}/spam-reports",
    status_code=201,
    response_model=SpamReportOut,
    description=f"{ANY_USER} Agents report as themselves; owners and admins may name another "
    f"user in `reported_by`. `spam_threshold` distinct reporters within {REPORT_WINDOW_DAYS} "
    "days rest the number for `spam_rest_days` (O6); the same user reporting again counts "
    "once, so a retry is harmless. 409 `number_not_active` for a number not in use.",
)
def report_spam(
    number_id: str, desk: DeskDep, actor: ActorDep, body: SpamReportIn | None = None
) -> SpamReportOut:
    """Report that a number shown as caller ID was taken for spam."""
    reported_by = body.reported_by if body else None
    outcome = resting.report_spam(desk, actor, number_id, reported_by)
    report = outcome.report
    return SpamReportOut(
        id=report.id,
        number_id=report.number_id,
        reported_by=report.reported_by,
        at=report.at,
        reports_in_window=outcome.reports_in_window,
        threshold=outcome.threshold,
        rested_until=outcome.rested_until,
    )


@router.post(
    "/v1/numbers/{number_id}/rest",
    response_model=NumberOut,
    description=f"{MANAGER} The number is left out of caller ID until `until` (O4, O6); "
    "resting it again moves the end. 422 `invalid_field` for an `until` that has passed or "
    f"is more than {MAX_REST_DAYS} days ahead.",
)
def rest_number(
    number_id: str, desk: DeskDep, actor: ActorDep, body: RestIn | None = None
) -> NumberOut:
    """Rest a number by hand."""
    until, reason = (body.until, body.reason) if body else (None, None)
    return shown(desk, actor, [resting.rest_number(desk, actor, number_id, until, reason)])[0]


@router.post(
    "/v1/numbers/{number_id}/wake",
    response_model=NumberOut,
    description=f"{MANAGER} The number is offered as caller ID again at once, and the spam "
    "reports made before now no longer count (O6).",
)
def wake_number(number_id: str, desk: DeskDep, actor: ActorDep) -> NumberOut:
    """Wake a resting number."""
    return shown(desk, actor, [resting.wake_number(desk, actor, number_id)])[0]

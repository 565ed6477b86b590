"""``numberdesk numbers rest|wake|report-spam`` (O6): rest numbers out of caller ID.

The commands join the ``numbers`` group when this module is imported (``cli/__init__.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from numberdesk.cli.numbers import app
from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Problem
from numberdesk.domain.orgs import Actor
from numberdesk.domain.resting import MAX_REST_DAYS, read_until
from numberdesk.services import resting
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView

ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
NumberId = Annotated[str, typer.Argument(help="The number's id (num_...).")]
TIME = "%Y-%m-%d %H:%M UTC"
R = TypeVar("R")


def _as_user(api_key: str | None, act: Callable[[Desk, Actor], R]) -> R:
    """Run one service call as the key's user; problems are printed and exit 2."""
    with open_desk() as desk:
        try:
            return act(desk, acting(desk, api_key))
        except Problem as problem:
            raise fail(problem) from None


def _when(at: datetime | None) -> str:
    return at.strftime(TIME) if at else ""


def _show(view: NumberView, title: str) -> None:
    n = view.number
    table = Table("number", "id", "status", "rests until", "reason", title=title)
    table.add_row(n.e164, n.id, n.status, _when(n.rested_until), n.rest_reason or "")
    console.print(table)


@app.command("rest")
def rest(
    number_id: NumberId,
    until: Annotated[
        str | None,
        typer.Option(
            help=f"When the rest ends, e.g. 2026-12-01T09:00:00Z (at most {MAX_REST_DAYS} days "
            "ahead); default: your organisation's spam_rest_days from now."
        ),
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why it rests.")] = None,
    api_key: ApiKey = None,
) -> None:
    """Rest a number by hand: it is not shown as caller ID until the rest ends (O6)."""
    try:
        end = read_until(until) if until is not None else None
    except Problem as problem:
        raise fail(problem) from None
    view = _as_user(api_key, lambda d, a: resting.rest_number(d, a, number_id, end, reason))
    _show(view, "Resting: not shown as caller ID")


@app.command("wake")
def wake(number_id: NumberId, api_key: ApiKey = None) -> None:
    """Wake a number: shown as caller ID again, and older spam reports no longer count (O6)."""
    view = _as_user(api_key, lambda d, a: resting.wake_number(d, a, number_id))
    _show(view, "Awake: shown as caller ID again")


@app.command("report-spam")
def report_spam(
    number_id: NumberId,
    reported_by: Annotated[
        str | None, typer.Option(help="Report for this user (owners and admins only).")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Report that a number shown as caller ID was taken for spam (O6)."""
    outcome = _as_user(api_key, lambda d, a: resting.report_spam(d, a, number_id, reported_by))
    console.print(
        f"Reported. {outcome.reports_in_window} of {outcome.threshold} distinct reporters "
        "needed to rest the number."
    )
    if outcome.rested_until:
        console.print(f"The number rests until {_when(outcome.rested_until)}.")

"""What every command shares: wiring the desk, acting with an API key, printing problems."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from numberdesk.bootstrap import SchemaOutOfDate, build_desk
from numberdesk.config import Settings
from numberdesk.domain.errors import Problem
from numberdesk.domain.orgs import Actor
from numberdesk.services.desk import Desk
from numberdesk.services.orgs import authenticate

console = Console()
err = Console(stderr=True)
API_KEY_HELP = "API key to act with (default: $NUMBERDESK_API_KEY)."


@contextmanager
def open_desk() -> Iterator[Desk]:
    """Wire the services for one command and close the database connections after it.

    Explains and exits when they cannot be wired (e.g. the schema is out of date).
    """
    try:
        desk = build_desk(Settings.from_env())
    except SchemaOutOfDate as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    try:
        yield desk
    finally:
        desk.close()


def fail(problem: Problem) -> typer.Exit:
    """Print a problem the way the API words it; the caller raises the returned Exit."""
    err.print(f"[red]{problem.code}[/red]: {problem.detail}")
    for field_error in problem.errors:
        err.print(f"  {field_error.field}: {field_error.message}")
    return typer.Exit(2)


def acting(desk: Desk, api_key: str | None) -> Actor:
    """The user an API key (option or NUMBERDESK_API_KEY) acts for."""
    key = api_key or os.environ.get("NUMBERDESK_API_KEY")
    if not key:
        err.print("[red]missing_api_key[/red]: pass --api-key or set NUMBERDESK_API_KEY.")
        raise typer.Exit(2)
    try:
        return authenticate(desk, key)
    except Problem as problem:
        raise fail(problem) from None

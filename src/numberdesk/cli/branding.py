"""``numberdesk branding ...`` (N9, N10) and the carrier's reviews, ``numberdesk carrier reviews``,
``review-branding`` and ``review-listing`` (the sandbox carrier's side)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from numberdesk.cli import carrier
from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.branding import Branding, DirectoryListing
from numberdesk.domain.errors import Problem
from numberdesk.domain.orgs import Actor
from numberdesk.services import branding
from numberdesk.services.desk import Desk

app = typer.Typer(
    help="Branding (display name on outbound calls) and directory registration of numbers.",
    no_args_is_help=True,
)
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
NumberId = Annotated[str, typer.Argument(help="The number's id (num_...).")]
Reason = Annotated[str | None, typer.Option(help="Why (required when rejecting).")]
R = TypeVar("R")
ID_EXAMPLE = "num_01a20188e5e9406922b28228"  # ids are this long: shown whole, to be copied


def _as_user(api_key: str | None, act: Callable[[Desk, Actor], R]) -> R:
    """Run one service call as the key's user; problems are printed and exit 2."""
    with open_desk() as desk:
        try:
            return act(desk, acting(desk, api_key))
        except Problem as problem:
            raise fail(problem) from None


def _as_carrier(act: Callable[[Desk], R]) -> R:
    """Run one service call as the carrier (the sandbox operator); no API key."""
    with open_desk() as desk:
        if desk.settings.carrier != "sandbox":
            console.print("[red]not_sandbox[/red]: reviews are the sandbox carrier's commands.")
            raise typer.Exit(2)
        try:
            return act(desk)
        except Problem as problem:
            raise fail(problem) from None


def _branding_table(found: Branding, title: str) -> Table:
    table = Table("display name", "location", "logo", "reason for call", "status", title=title)
    status = f"{found.status}" + (f" ({found.reason})" if found.reason else "")
    table.add_row(
        found.display_name,
        found.location or "",
        found.logo_url or "",
        found.call_reason or "",
        status,
    )
    return table


def _listing_table(found: DirectoryListing, title: str) -> Table:
    table = Table("directory", "company", "sponsor", "mandate", "status", title=title)
    status = f"{found.status}" + (f" ({found.reason})" if found.reason else "")
    table.add_row(
        found.directory, found.company_name, found.sponsor_id or "", found.mandate_id or "", status
    )
    return table


@app.command("set")
def set_(
    number_id: NumberId,
    display_name: Annotated[str, typer.Option(help="Name shown to the people called (max 32).")],
    location: Annotated[str | None, typer.Option(help="Location shown (max 100).")] = None,
    logo_url: Annotated[str | None, typer.Option(help="https URL of the logo.")] = None,
    call_reason: Annotated[str | None, typer.Option(help="Reason for call (max 64).")] = None,
    api_key: ApiKey = None,
) -> None:
    """Submit a number's branding for the carrier's review (owners and admins, N9)."""
    found = _as_user(
        api_key,
        lambda desk, actor: branding.set_branding(
            desk,
            actor,
            number_id,
            display_name=display_name,
            location=location,
            logo_url=logo_url,
            call_reason=call_reason,
        ),
    )
    console.print(_branding_table(found, "Branding"))


@app.command("show")
def show(number_id: NumberId, api_key: ApiKey = None) -> None:
    """Show a number's branding and directory registration, and where each stands."""
    extras = _as_user(api_key, lambda desk, actor: branding.of_number(desk, actor, number_id))
    found, listed = extras.brandings.get(number_id), extras.listings.get(number_id)
    console.print(_branding_table(found, "Branding") if found else "[dim]No branding.[/dim]")
    console.print(
        _listing_table(listed, "Directory listing") if listed else "[dim]Not registered.[/dim]"
    )


@app.command("remove")
def remove(number_id: NumberId, api_key: ApiKey = None) -> None:
    """Remove a number's branding; the carrier stops showing it."""
    _as_user(api_key, lambda desk, actor: branding.remove_branding(desk, actor, number_id))
    console.print("Branding removed.")


@app.command("register")
def register(
    number_id: NumberId,
    company_name: Annotated[str, typer.Option(help="The company the directory lists it under.")],
    sponsor_id: Annotated[
        str | None, typer.Option(help="Use this sponsor's information (needs its mandate).")
    ] = None,
    mandate_id: Annotated[
        str | None, typer.Option(help="The sponsor's register mandate (default: one that covers).")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Register a number in its country's directory: Fonecta, Hitta.se or 1881 (N10)."""
    found = _as_user(
        api_key,
        lambda desk, actor: branding.set_directory_listing(
            desk,
            actor,
            number_id,
            company_name=company_name,
            sponsor_id=sponsor_id,
            mandate_id=mandate_id,
        ),
    )
    console.print(_listing_table(found, "Directory listing"))


@app.command("unregister")
def unregister(number_id: NumberId, api_key: ApiKey = None) -> None:
    """Take a number out of its directory."""
    _as_user(api_key, lambda desk, actor: branding.remove_directory_listing(desk, actor, number_id))
    console.print("Directory registration removed.")


@app.command("directories")
def directories() -> None:
    """Show the countries whose directory numbers can be registered in, with sources."""
    table = Table("country", "directory", "website", "source", title="Directories")
    for found in branding.list_directories():
        table.add_row(found.country, found.name, found.website, found.source)
    console.print(table)


@carrier.app.command("reviews")
def reviews(limit: Annotated[int, typer.Option(help="How many of each to show.")] = 50) -> None:
    """Show the brandings and directory registrations waiting for the carrier's decision."""
    waiting_brandings, waiting_listings = _as_carrier(
        lambda desk: branding.pending_reviews(desk, limit)
    )
    table = Table(title="Waiting for review")
    table.add_column("number id", no_wrap=True, min_width=len(ID_EXAMPLE))
    for column in ("number", "what", "asked"):
        table.add_column(column)
    for found, e164 in waiting_brandings:
        table.add_row(found.number_id, e164, "branding", found.display_name)
    for listed, e164 in waiting_listings:
        table.add_row(listed.number_id, e164, listed.directory, listed.company_name)
    nothing = not waiting_brandings and not waiting_listings
    console.print("[yellow]Nothing waits for review.[/yellow]" if nothing else table)


@carrier.app.command("review-branding")
def review_branding(
    number_id: NumberId,
    approve: Annotated[bool, typer.Option("--approve/--reject", help="The decision.")],
    reason: Reason = None,
) -> None:
    """Approve or reject a submitted branding, as the sandbox carrier (N9)."""
    found = _as_carrier(
        lambda desk: branding.branding_reviewed(desk, number_id, approved=approve, reason=reason)
    )
    console.print(_branding_table(found, "Branding reviewed"))


@carrier.app.command("review-listing")
def review_listing(
    number_id: NumberId,
    register: Annotated[bool, typer.Option("--register/--reject", help="The decision.")],
    reason: Reason = None,
) -> None:
    """Register or reject a requested directory registration, as the sandbox directory (N10)."""
    found = _as_carrier(
        lambda desk: branding.listing_reviewed(desk, number_id, registered=register, reason=reason)
    )
    console.print(_listing_table(found, "Directory registration reviewed"))

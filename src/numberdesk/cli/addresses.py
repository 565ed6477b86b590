"""``numberdesk addresses ...``: proof of address (C1, C2): list, create, link, requirements."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Problem
from numberdesk.services import addresses
from numberdesk.services.addresses import AddressView

app = typer.Typer(
    help="Proof of address: addresses and the numbers they prove.", no_args_is_help=True
)
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
ID_WIDTH = 28  # "adr_" or "num_" and 24 characters


def _table(views: list[AddressView], title: str) -> Table:
    table = Table("name", "address", "numbers", title=title)
    table.add_column("id", min_width=ID_WIDTH)  # ids are for copying: never cut short
    for view in views:
        a = view.address
        lines = (a.street, f"{a.postal_code} {a.city}", a.region, a.country)
        place = ", ".join(p for p in lines if p)
        table.add_row(a.name, place, str(view.number_count), a.id)
    return table


@app.command("list")
def list_(
    api_key: ApiKey = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 100,
) -> None:
    """List your organisation's addresses and how many numbers each proves."""
    with open_desk() as desk:
        try:
            page = addresses.list_addresses(desk, acting(desk, api_key), limit=limit)
        except Problem as problem:
            raise fail(problem) from None
    console.print(_table(page.items, "Addresses") if page.items else "No addresses yet.")
    if page.next:
        console.print(f"[dim]More: use the API with cursor={page.next}[/dim]")


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="A name unique in your organisation.")],
    street: Annotated[str, typer.Option(help="Street and house number.")],
    city: Annotated[str, typer.Option(help="City.")],
    postal_code: Annotated[str, typer.Option(help="Postal code.")],
    country: Annotated[str, typer.Option(help="ISO country code, e.g. DE.")],
    region: Annotated[str | None, typer.Option(help="State, county or province.")] = None,
    api_key: ApiKey = None,
) -> None:
    """Add an address (owners and admins)."""
    fields = {
        "name": name,
        "street": street,
        "city": city,
        "postal_code": postal_code,
        "country": country,
        "region": region,
    }
    with open_desk() as desk:
        try:
            view = addresses.create_address(desk, acting(desk, api_key), fields)
        except Problem as problem:
            raise fail(problem) from None
    console.print(_table([view], "Address created"))


@app.command("link")
def link(
    address_id: Annotated[str, typer.Argument(help="The address's id.")],
    number_ids: Annotated[list[str], typer.Argument(help="Ids of the numbers it proves.")],
    api_key: ApiKey = None,
) -> None:
    """Link an address to numbers: all of them, or none if any fails its rule (C2)."""
    with open_desk() as desk:
        try:
            linked = addresses.link_numbers(desk, acting(desk, api_key), address_id, number_ids)
        except Problem as problem:
            raise fail(problem) from None
    table = Table(
        "number", "line type", "compliance", title=f"Linked to {linked.view.address.name}"
    )
    table.add_column("id", min_width=ID_WIDTH)
    for view in linked.numbers:
        n, issues = view.number, view.compliance.issues
        state = "ok" if not issues else ", ".join(i.code for i in issues)
        table.add_row(n.e164, n.line_type, state, n.id)
    console.print(table)


@app.command("requirements")
def requirements(
    country: Annotated[str, typer.Option(help="ISO country code, e.g. DE.")],
) -> None:
    """Show what address each line type needs in a country, and the rule's source (C1)."""
    try:
        rules = addresses.list_requirements(country)
    except Problem as problem:
        raise fail(problem) from None
    table = Table("line type", "requirement", "source", title=f"Proof of address: {country}")
    for rule in rules:
        source = f"{rule.source} [dim](default)[/dim]" if rule.is_default else rule.source
        table.add_row(rule.line_type, rule.requirement.value, source)
    console.print(table)

"""``numberdesk numbers ...`` and ``numberdesk demo``: search, buy and list numbers."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.progress import Progress
from rich.table import Table

from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Problem
from numberdesk.domain.numbers import MAX_ORDER_QUANTITY, Kind, NumberOrder, Status
from numberdesk.domain.orgs import Actor
from numberdesk.services import number_orders, numbers
from numberdesk.services.demo import ensure_demo
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView

app = typer.Typer(help="Numbers: search the carrier's inventory, buy, list.", no_args_is_help=True)
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
Country = Annotated[str, typer.Option(help="ISO country code, e.g. US.")]
AreaCode = Annotated[
    str | None, typer.Option(help="Area code (national destination code), e.g. 212.")
]
KindOption = Annotated[str, typer.Option(help="voice, omni (voice + SMS) or sms.")]
BATCH = MAX_ORDER_QUANTITY


@app.command("search")
def search(
    country: Country,
    area_code: AreaCode = None,
    kind: KindOption = "voice",
    limit: Annotated[int, typer.Option(help="How many to show.")] = 10,
) -> None:
    """Show numbers the carrier offers now (no API key needed)."""
    with open_desk() as desk:
        try:
            offers = number_orders.search_available(desk, country, area_code, kind, limit)
        except Problem as problem:
            raise fail(problem) from None
    table = Table("number", "country", "area code", "line type", "kind", title="On offer")
    for offer in offers:
        table.add_row(offer.e164, offer.country, offer.area_code or "", offer.line_type, offer.kind)
    console.print(table if offers else "[yellow]Nothing on offer there.[/yellow]")


def _ids(_order: NumberOrder, views: list[NumberView]) -> dict[str, Any]:
    return {"numbers": [[v.number.e164, v.number.area_code or "", v.id] for v in views]}


@app.command("buy")
def buy(
    country: Country,
    quantity: Annotated[int, typer.Option(help="How many numbers to buy.")],
    area_code: AreaCode = None,
    kind: KindOption = "voice",
    api_key: ApiKey = None,
) -> None:
    """Buy numbers (owners and admins). Nothing is bought unless the whole quantity is on offer.

    Orders above the per-order maximum are checked against the carrier's offer first, then
    placed as several orders with a progress bar.
    """
    with open_desk() as desk:
        bought = _buy_in_batches(desk, acting(desk, api_key), country, area_code, kind, quantity)
    table = Table("number", "area code", "id", title=f"Bought {len(bought)} {kind} numbers")
    for row in bought:
        table.add_row(*row)
    console.print(table)


def _buy_in_batches(
    desk: Desk, actor: Actor, country: str, area_code: str | None, kind: str, quantity: int
) -> list[list[str]]:
    bought: list[list[str]] = []
    try:
        if quantity > BATCH:
            offered = number_orders.search_available(desk, country, area_code, kind, quantity)
            if len(offered) < quantity:
                where = f"area code {area_code} ({country})" if area_code else country
                console.print(
                    f"[red]no_numbers_available[/red]: {len(offered)} on offer in {where}, "
                    f"{quantity} asked; nothing was bought."
                )
                raise typer.Exit(2)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Buying", total=quantity)
            while len(bought) < quantity:
                size = min(BATCH, quantity - len(bought))
                request = number_orders.OrderRequest(
                    kind=kind, country=country, area_code=area_code, quantity=size
                )
                answer = number_orders.buy_numbers(desk, actor, request, render=_ids)
                bought += answer.body["numbers"]
                progress.advance(task, size)
    except Problem as problem:
        raise fail(problem) from None
    return bought


@app.command("list")
def list_(
    api_key: ApiKey = None,
    status: Annotated[Status | None, typer.Option(help="Only numbers with this status.")] = None,
    kind: Annotated[Kind | None, typer.Option(help="Only numbers of this kind.")] = None,
    country: Annotated[str | None, typer.Option(help="Only numbers of this country.")] = None,
    area_code: AreaCode = None,
    needs_address: Annotated[
        bool, typer.Option(help="Only numbers still without a valid proof of address (C2).")
    ] = False,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 100,
) -> None:
    """List your organisation's numbers, each with its compliance (C4)."""
    with open_desk() as desk:
        try:
            page = numbers.list_numbers(
                desk,
                acting(desk, api_key),
                status=status,
                kind=kind,
                country=country,
                area_code=area_code,
                needs_address=True if needs_address else None,
                limit=limit,
            )
        except Problem as problem:
            raise fail(problem) from None
    table = Table("number", "kind", "status", "area codes", "line type", "compliance", "id")
    table.title = "Numbers"
    for view in page.items:
        n, issues = view.number, view.compliance.issues
        state = ", ".join(i.code for i in issues) if issues else "ok"
        table.add_row(
            n.e164, n.kind, n.status, ", ".join(view.area_codes), n.line_type, state, n.id
        )
    console.print(table)
    if page.next:
        console.print(f"[dim]More: use the API with cursor={page.next}[/dim]")


def demo() -> None:
    """Create the demo organisation (once) and print a fresh API key for its owner."""
    with open_desk() as desk:
        made = ensure_demo(desk)
        settings = desk.settings
    base = f"http://{settings.host}:{settings.port}"
    state = "created" if made.created else "already there; its owner got a new key"
    console.print(f"\n[bold]Demo organisation[/bold] {made.org_id} ({state})")
    console.print(f"[bold]API key:[/bold] {made.api_key}")
    console.print(f"  export KEY={made.api_key}")
    console.print(f"  API reference: {base}/docs")
    console.print(f"  Numbers:       {base}/v1/numbers   (Authorization: Bearer $KEY)")
    console.print(f"  Health:        {base}/healthz")
    console.print(f"  Ready:         {base}/readyz   (call-path indexes built)")
    console.print(f"  Metrics:       {base}/metrics\n")

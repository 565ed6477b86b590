"""``numberdesk port-ins ...`` and ``numberdesk carrier port-in-advance|port-out`` (N7, N8).

The ``port-ins`` commands act with an API key (owners and admins); ``sweep`` and the
``carrier`` commands are the operator's: they play the embedded sandbox carrier's side.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from numberdesk.cli import carrier
from numberdesk.cli.support import API_KEY_HELP, acting, console, err, fail, open_desk
from numberdesk.domain.errors import Problem
from numberdesk.domain.port_ins import PortInStatus
from numberdesk.services import port_ins
from numberdesk.services.desk import Desk
from numberdesk.services.port_ins import PortInRequest, PortInView

app = typer.Typer(
    help="Port-ins: bring numbers over from another carrier under a port mandate (N7).",
    no_args_is_help=True,
)
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
PortInId = Annotated[str, typer.Argument(help="The port-in's id (prt_...).")]
T = TypeVar("T")


def _run(work: Callable[[Desk], T]) -> T:
    """Run ``work`` on a wired desk; a refusal is printed the way the API words it."""
    with open_desk() as desk:
        try:
            return work(desk)
        except Problem as problem:
            raise fail(problem) from None


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if value else ""


def _table(title: str, *columns: str) -> Table:
    """A table whose columns never wrap (ids, numbers and times stay whole)."""
    table = Table(title=title)
    for name in columns:
        table.add_column(name, no_wrap=True)
    return table


def _show(view: PortInView, title: str = "Port-in") -> None:
    p = view.port_in
    table = Table("", "", title=f"{title} {p.id}", show_header=False)
    table.add_row("status", p.status)
    table.add_row("kind", p.kind)
    table.add_row("losing carrier", p.losing_carrier)
    table.add_row("account", p.account_ref)
    table.add_row("mandate", p.mandate_id)
    table.add_row("completion date", _when(p.completion_date))
    if p.reason:
        table.add_row("reason", p.reason)
    for n in view.numbers:
        table.add_row(n.e164, n.number_id or "(a number once submitted)")
    console.print(table)


@app.command("create")
def create(
    number: Annotated[
        list[str],
        typer.Option(
            "--number",
            help="A number to port (repeat); national input is read "
            "with your organisation's country.",
        ),
    ],
    losing_carrier: Annotated[str, typer.Option(help="The carrier the numbers leave.")],
    account_ref: Annotated[str, typer.Option(help="Your account at the losing carrier.")],
    mandate_id: Annotated[str, typer.Option(help="The owner's active mandate for port.")],
    kind: Annotated[str, typer.Option(help="voice, or omni (voice + SMS).")] = "voice",
    api_key: ApiKey = None,
) -> None:
    """Draft a port-in (owners and admins); submit it with `port-ins submit`."""
    request = PortInRequest(number, losing_carrier, account_ref, mandate_id, kind)
    view = _run(lambda desk: port_ins.create_port_in(desk, acting(desk, api_key), request))
    _show(view, "Port-in (draft)")
    console.print(f"Submit it to the carrier: numberdesk port-ins submit {view.id}")


@app.command("submit")
def submit(port_in_id: PortInId, api_key: ApiKey = None) -> None:
    """Send a draft port-in to the carrier; its numbers appear as porting_in."""
    _show(_run(lambda desk: port_ins.submit_port_in(desk, acting(desk, api_key), port_in_id)))


@app.command("cancel")
def cancel(port_in_id: PortInId, api_key: ApiKey = None) -> None:
    """Cancel an open port-in; numbers that were porting in are released."""
    _show(_run(lambda desk: port_ins.cancel_port_in(desk, acting(desk, api_key), port_in_id)))


@app.command("show")
def show(port_in_id: PortInId, api_key: ApiKey = None) -> None:
    """Show one port-in and its numbers."""
    _show(_run(lambda desk: port_ins.get_port_in(desk, acting(desk, api_key), port_in_id)))


@app.command("list")
def list_(
    status: Annotated[
        PortInStatus | None, typer.Option(help="Only port-ins with this status.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 100,
    api_key: ApiKey = None,
) -> None:
    """List your organisation's port-ins, oldest first."""
    page = _run(
        lambda desk: port_ins.list_port_ins(desk, acting(desk, api_key), status=status, limit=limit)
    )
    table = _table("Port-ins", "id", "status", "numbers", "completion")
    for view in page.items:
        p = view.port_in
        e164s = "\n".join(n.e164 for n in view.numbers)
        table.add_row(p.id, p.status, e164s, _when(p.completion_date))
    console.print(table)
    if page.next:
        console.print(f"[dim]More: use the API with cursor={page.next}[/dim]")


@app.command("sweep")
def sweep() -> None:
    """Complete every confirmed port-in whose completion date has passed (all organisations)."""
    done = _run(port_ins.sweep)
    table = _table(f"Completed {len(done)} port-ins", "id", "org")
    for p in done:
        table.add_row(p.id, p.org_id)
    console.print(table)


@carrier.app.command("port-in-advance")
def port_in_advance(
    port_in_id: PortInId,
    to: Annotated[str, typer.Option(help="confirmed, completed or rejected.")],
    reason: Annotated[str | None, typer.Option(help="Why the carrier rejects it.")] = None,
    completion_date: Annotated[
        str | None,
        typer.Option(
            help="When it completes (with confirmed), e.g. 2026-11-05T09:00Z; default tomorrow."
        ),
    ] = None,
) -> None:
    """Answer a submitted port-in as the sandbox carrier (N7)."""
    date = _read_time(completion_date) if completion_date else None
    view = _run(
        lambda desk: port_ins.apply_carrier_update(
            desk, port_in_id, to, reason=reason, completion_date=date
        )
    )
    _show(view, f"Port-in ({view.port_in.status})")


@carrier.app.command("port-out")
def port_out(
    e164: Annotated[str, typer.Argument(help="The number that left, in E.164 (+1212...).")],
) -> None:
    """Tell numberdesk that a number ported away: it becomes ported_out (N8)."""
    gone = _run(lambda desk: port_ins.receive_port_out(desk, e164))
    table = _table("Ported out", "number", "status", "org")
    for n in gone:
        table.add_row(n.e164, n.status, n.org_id)
    console.print(table)
    console.print("It left groups, campaigns, local presence and agent cards.")


def _read_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        err.print(
            f"[red]invalid_field[/red]: completion_date: {value!r} is not a time; "
            "write it like 2026-11-05T09:00:00+00:00"
        )
        raise typer.Exit(2) from None

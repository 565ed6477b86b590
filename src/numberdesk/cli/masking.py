"""``numberdesk numbers mask|verify|call-again`` and ``numberdesk carrier calls`` (N6).

The ``numbers`` commands join the ``numbers`` group (see ``cli/__init__.py``); ``carrier calls``
is the operator's view of the sandbox carrier's verification calls, with their codes.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from numberdesk.cli import carrier
from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Problem
from numberdesk.services import masking
from numberdesk.services.masking import MaskedView

app = typer.Typer(help="Masked numbers: add a number you own for caller ID, verify it by code.")
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
TIME = "%Y-%m-%d %H:%M:%S"
NumberId = Annotated[str, typer.Argument(help="The masked number's id (num_...).")]


def _show(view: MaskedView, title: str) -> None:
    n, v = view.number.number, view.verification
    table = Table("number", "id", "kind", "status", "verification", "tries left", title=title)
    state = v.state(view.at) if v else "no call"
    left = str(v.attempts_left()) if v else ""
    table.add_row(n.e164, n.id, n.kind, n.status, state, left)
    console.print(table)
    if n.status_reason:
        console.print(f"[dim]{n.status_reason}[/dim]")


@app.command("mask")
def mask(
    e164: Annotated[
        str,
        typer.Option(
            "--e164", help="The number; national input is read with your organisation's country."
        ),
    ],
    owner_type: Annotated[str, typer.Option(help="Who owns it: org or sponsor.")],
    mandate_id: Annotated[str, typer.Option(help="The owner's active mandate for mask.")],
    owner_id: Annotated[
        str | None, typer.Option(help="The sponsor's id (owner type sponsor).")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Add a number you or a sponsor own, for caller ID only; the carrier calls it with a code."""
    request = masking.MaskRequest(
        e164=e164, owner_type=owner_type, owner_id=owner_id, mandate_id=mandate_id
    )
    shown: list[MaskedView] = []

    def keep(view: MaskedView) -> dict[str, Any]:
        shown.append(view)
        return {}

    with open_desk() as desk:
        try:
            masking.mask_number(desk, acting(desk, api_key), request, render=keep)
        except Problem as problem:
            raise fail(problem) from None
    _show(shown[-1], "Masked number (pending)")
    number_id = shown[-1].number.id
    console.print(
        "The carrier is calling the number now. Enter the code read out on the call:\n"
        f"  numberdesk numbers verify {number_id} --code <6 digits>"
    )


@app.command("verify")
def verify(
    number_id: NumberId,
    code: Annotated[str, typer.Option(help="The 6 digits read out on the verification call.")],
    api_key: ApiKey = None,
) -> None:
    """Enter the code of the verification call: the masked number turns active (N6)."""
    with open_desk() as desk:
        try:
            view = masking.verify_number(desk, acting(desk, api_key), number_id, code)
        except Problem as problem:
            raise fail(problem) from None
    _show(view, "Verified: the number can now be shown as caller ID")


@app.command("call-again")
def call_again(
    number_id: NumberId,
    mandate_id: Annotated[
        str | None, typer.Option(help="Switch to this mask mandate of the owner.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Ask the carrier for a new verification call: a new code, and the tries start over."""
    with open_desk() as desk:
        try:
            actor = acting(desk, api_key)
            view = masking.request_verification_call(desk, actor, number_id, mandate_id)
        except Problem as problem:
            raise fail(problem) from None
    _show(view, "A new verification call was placed")


@carrier.app.command("calls")
def calls(
    e164: Annotated[
        str | None, typer.Option("--e164", help="Only calls to this number (E.164).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 20,
) -> None:
    """Show the sandbox carrier's verification calls and their codes, newest first."""
    with open_desk() as desk:
        try:
            found = masking.list_verification_calls(desk, e164, limit)
        except Problem as problem:
            raise fail(problem) from None
    table = Table("number", "code", "called at (UTC)", "code used at", title="Verification calls")
    for call in found:
        used = call.used_at.strftime(TIME) if call.used_at else ""
        table.add_row(call.e164, call.code, call.at.strftime(TIME), used)
    console.print(table if found else "[yellow]No verification calls yet.[/yellow]")

"""``numberdesk inbox``: an agent's missed calls and texts, and the claim (rules I7, I8, I9)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Problem
from numberdesk.domain.inbox import ClaimAction, InboxItem
from numberdesk.services import inbox

app = typer.Typer(
    help="Your inbox: missed calls and texts of company numbers waiting for a follow-up. "
    "Without a command, lists it.",
    invoke_without_command=True,
)
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
TIME = "%Y-%m-%d %H:%M UTC"


def _table(items: list[InboxItem], title: str) -> Table:
    table = Table(title=title)
    table.add_column("item", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("channel")
    table.add_column("at")
    table.add_column("status", no_wrap=True)
    for item in items:
        status = item.status.value
        if item.claim_action:
            status += f" ({item.claim_action.value})"
        table.add_row(item.id, item.caller, item.channel, item.at.strftime(TIME), status)
    return table


@app.callback()
def list_inbox(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many items (max 500).")] = 50,
    api_key: ApiKey = None,
) -> None:
    """List the key's user's inbox, newest first: unclaimed items offered to them, and the
    ones they answered or claimed (I7, I8)."""
    if ctx.invoked_subcommand is not None:
        return
    with open_desk() as desk:
        actor = acting(desk, api_key)
        try:
            items = inbox.list_inbox(desk, actor, limit)
        except Problem as problem:
            raise fail(problem) from None
    if not items:
        console.print("Your inbox is empty.")
        return
    console.print(_table(items, f"Inbox of {actor.user_id}"))


@app.command("claim")
def claim(
    item_id: Annotated[str, typer.Argument(help="The inbox item's id (itm_...).")],
    action: Annotated[
        ClaimAction, typer.Option(help="Your action on it; the first claims it (rule I8).")
    ],
    contact: Annotated[
        str | None,
        typer.Option(
            help="CRM id of the contact to create or link (create_contact, link_contact)."
        ),
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Act on an item you were offered or answered; the first action claims it (I7, I8, I9)."""
    with open_desk() as desk:
        actor = acting(desk, api_key)
        try:
            item = inbox.claim_item(desk, actor, item_id, action, contact)
        except Problem as problem:
            raise fail(problem) from None
    console.print(_table([item], "Claimed: it has left the other agents' inbox"))
    if item.contact_id:
        console.print(
            f"Contact {item.contact_id} {'created' if action is ClaimAction.CREATE_CONTACT else 'linked'}."
        )

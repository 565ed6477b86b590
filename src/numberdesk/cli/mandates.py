"""``numberdesk mandates ...``: sponsors and mandates (N5, C3), expiry and reactivation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Problem, invalid_field
from numberdesk.domain.mandates import GrantorType, Mandate, MandateStatus, Sponsor
from numberdesk.domain.orgs import Actor
from numberdesk.services import mandates, reactivation, sponsors
from numberdesk.services.desk import Desk
from numberdesk.services.mandates import MandateRequest

app = typer.Typer(
    help="Mandates: authorisations from your organisation or a sponsor, and sponsors.",
    no_args_is_help=True,
)
sponsors_app = typer.Typer(
    help="Sponsors: partner companies whose information you use.", no_args_is_help=True
)
app.add_typer(sponsors_app, name="sponsors")
ApiKey = Annotated[str | None, typer.Option("--api-key", help=API_KEY_HELP)]
MandateId = Annotated[str, typer.Argument(help="The mandate's id (mdt_...).")]
T = TypeVar("T")


def _run(api_key: str | None, use: Callable[[Desk, Actor], T]) -> T:
    """Run one use case as the key's user; a refusal is printed the way the API words it."""
    with open_desk() as desk:
        try:
            return use(desk, acting(desk, api_key))
        except Problem as problem:
            raise fail(problem) from None


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise fail(
            invalid_field("valid_until", f"{text!r} is not a time; use e.g. 2027-12-31T23:59Z")
        ) from None


def _show(items: list[Mandate], title: str) -> None:
    table = Table("id", "grantor", "purposes", "covers", "status", "valid until", title=title)
    for m in items:
        grantor = m.grantor_type if m.grantor_id is None else f"sponsor {m.grantor_id}"
        covers = "all numbers" if m.all_numbers else ", ".join(m.numbers)
        until = m.valid_until.isoformat() if m.valid_until else "until revoked"
        table.add_row(m.id, grantor, ", ".join(m.purposes), covers, m.status, until)
    console.print(table)


@app.command("list")
def list_(
    api_key: ApiKey = None,
    status: Annotated[MandateStatus | None, typer.Option(help="Only this status.")] = None,
    grantor_type: Annotated[GrantorType | None, typer.Option(help="org or sponsor.")] = None,
    grantor_id: Annotated[str | None, typer.Option(help="Only this sponsor's.")] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 100,
) -> None:
    """List your organisation's mandates (expired ones show as expired)."""
    page = _run(
        api_key,
        lambda desk, actor: mandates.list_mandates(
            desk,
            actor,
            status=status.value if status else None,
            grantor_type=grantor_type.value if grantor_type else None,
            grantor_id=grantor_id,
            limit=limit,
        ),
    )
    _show(page.items, "Mandates")


@app.command("create")
def create(
    purpose: Annotated[
        list[str], typer.Option(help="purchase, mask, port, register or brand; repeat for more.")
    ],
    sponsor_id: Annotated[
        str | None, typer.Option(help="Granted by this sponsor (default: your organisation).")
    ] = None,
    number: Annotated[
        list[str] | None, typer.Option(help="A number it covers; repeat for more.")
    ] = None,
    all_numbers: Annotated[bool, typer.Option(help="Covers every number of the grantor.")] = False,
    valid_until: Annotated[
        str | None, typer.Option(help="End of validity with an offset, e.g. 2027-12-31T23:59Z.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Record a mandate; it waits for the grantor's signature (`mandates sign`)."""
    request = MandateRequest(
        grantor_type="sponsor" if sponsor_id else "org",
        grantor_id=sponsor_id,
        purposes=purpose,
        numbers=number or None,
        all_numbers=all_numbers or None,
        valid_until=_time(valid_until) if valid_until else None,
    )
    made = _run(api_key, lambda desk, actor: mandates.create_mandate(desk, actor, request))
    _show([made], "Mandate created")
    console.print(f"Record the signature: numberdesk mandates sign {made.id} --signed-by NAME")


@app.command("sign")
def sign(
    mandate_id: MandateId,
    signed_by: Annotated[str, typer.Option(help="Who signed it for the grantor.")],
    document_hash: Annotated[
        str | None, typer.Option(help="SHA-256 (hex) of the signed document.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Record the grantor's signature: the mandate becomes active."""
    signed = _run(
        api_key,
        lambda desk, actor: mandates.sign_mandate(
            desk, actor, mandate_id, signed_by, document_hash
        ),
    )
    _show([signed], "Mandate signed")
    console.print(f"[dim]document hash {signed.document_hash}[/dim]")


@app.command("revoke")
def revoke(mandate_id: MandateId, api_key: ApiKey = None) -> None:
    """Revoke a mandate: the numbers depending on it are suspended at once (C3)."""
    revoked = _run(api_key, lambda desk, actor: mandates.revoke_mandate(desk, actor, mandate_id))
    _show([revoked], "Mandate revoked")


@app.command("expire")
def expire() -> None:
    """Mark every organisation's run-out mandates expired and suspend their numbers (operator)."""
    with open_desk() as desk:
        ended = mandates.expire_mandates(desk)
    if not ended:
        console.print("No mandate has run out.")
        return
    table = Table("org", "mandate", "valid until", title=f"Expired {len(ended)} mandates")
    for m in ended:
        table.add_row(m.org_id, m.id, m.valid_until.isoformat() if m.valid_until else "")
    console.print(table)


@app.command("reactivate")
def reactivate(
    number_id: Annotated[str, typer.Argument(help="The suspended number's id (num_...).")],
    mandate_id: Annotated[
        str | None, typer.Option(help="An active mandate of its owner that covers it.")
    ] = None,
    api_key: ApiKey = None,
) -> None:
    """Re-enable a number suspended because its mandate stopped being active (C3)."""
    view = _run(
        api_key,
        lambda desk, actor: reactivation.reactivate_number(desk, actor, number_id, mandate_id),
    )
    n = view.number
    console.print(f"{n.e164} ({n.id}) is {n.status}, under mandate {n.mandate_id or '-'}.")


def _show_sponsors(items: list[Sponsor], title: str) -> None:
    table = Table("id", "name", "business id", "country", title=title)
    for s in items:
        table.add_row(s.id, s.name, s.business_id, s.country)
    console.print(table)


@sponsors_app.command("list")
def sponsors_list(api_key: ApiKey = None) -> None:
    """List your organisation's sponsors."""
    page = _run(
        api_key, lambda desk, actor: sponsors.list_sponsors(desk, actor, cursor=None, limit=500)
    )
    _show_sponsors(page.items, "Sponsors")


@sponsors_app.command("add")
def sponsors_add(
    name: Annotated[str, typer.Option(help="The company's name.")],
    business_id: Annotated[str, typer.Option(help="Its company registration id.")],
    country: Annotated[str, typer.Option(help="Where it is registered, e.g. FI.")],
    api_key: ApiKey = None,
) -> None:
    """Add a sponsor (owners and admins)."""
    made = _run(
        api_key,
        lambda desk, actor: sponsors.create_sponsor(desk, actor, name, business_id, country),
    )
    _show_sponsors([made], "Sponsor added")

"""``numberdesk decide``: try a call and read why the decision came out as it did."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from rich.table import Table

from numberdesk.cli.support import API_KEY_HELP, acting, console, fail, open_desk
from numberdesk.domain.errors import Conflict, Problem
from numberdesk.domain.inbound import Channel
from numberdesk.domain.trace import TraceEntry
from numberdesk.services import callerid, inbound

app = typer.Typer(
    help="Try the call path: which caller ID a callee would see, who gets an inbound call, and why.",
    no_args_is_help=True,
)

RESULT_STYLE = {
    "chosen": "green",
    "passed": "green",
    "skipped": "yellow",
    "no_match": "dim",
    "refused": "red",
}


@app.command("outbound")
def outbound(
    agent: Annotated[str, typer.Option(help="The calling agent: user id or e-mail.")],
    to: Annotated[str, typer.Option(help="The callee; national input uses the org's country.")],
    campaign: Annotated[str | None, typer.Option(help="Campaign id of the call.")] = None,
    caller_id: Annotated[
        str | None, typer.Option(help="A caller ID the agent asks for (rule O2).")
    ] = None,
    record: Annotated[
        bool,
        typer.Option(help="Record the attempt and count it against caps, as a real call does."),
    ] = False,
    api_key: Annotated[str | None, typer.Option(help=API_KEY_HELP)] = None,
) -> None:
    """Decide the caller ID of a call (rules O1-O7) and print every step of the policy tried.

    Nothing is recorded unless --record is given, so support can ask "why did my customer
    see this number?" without changing rotation or daily caps.
    """
    with open_desk() as desk:
        actor = acting(desk, api_key)
        try:
            answer = callerid.decide_outbound(
                desk,
                actor,
                agent_id=callerid.agent_id_of(desk, actor, agent),
                to=to,
                campaign_id=campaign,
                caller_id=caller_id,
                dry_run=not record,
            )
        except Conflict as problem:
            trace = problem.extra.get("trace")
            if isinstance(trace, list):
                console.print(_trace_table([TraceEntry(**t) for t in trace], "No caller ID"))
            raise fail(problem) from None
        except Problem as problem:
            raise fail(problem) from None
    number = answer.number
    console.print(_trace_table(answer.trace, f"Caller ID {number.e164}"))
    console.print(
        f"[bold]{number.e164}[/bold] ({number.id}) chosen by step [bold]{answer.step}[/bold]; "
        f"attestation {answer.attestation}"
        + (f"; display name {number.display_name!r}" if number.display_name else "")
        + ("" if record else "; not recorded (dry run)")
    )


@app.command("inbound")
def inbound_call(
    to: Annotated[str, typer.Option(help="Our number that is called; national input is fine.")],
    caller: Annotated[
        str | None,
        typer.Option("--from", help="The caller's number; absent, empty or 'anonymous': withheld."),
    ] = None,
    channel: Annotated[Channel, typer.Option(help="voice, or sms for a text (rule S3).")] = (
        Channel.VOICE
    ),
    record: Annotated[
        bool,
        typer.Option(
            help="Record the call, open its inbox item and count it against the call limit, "
            "as a real call does."
        ),
    ] = False,
    api_key: Annotated[str | None, typer.Option(help=API_KEY_HELP)] = None,
) -> None:
    """Decide who gets an inbound call or text (rules I1-I12) and print every step.

    Nothing is recorded unless --record is given, so support can ask "why did this call go
    there?" without opening inbox items or taking a place under the call limit.
    """
    with open_desk() as desk:
        actor = acting(desk, api_key)
        try:
            answer = inbound.decide_inbound(
                desk, actor, to=to, caller=caller, channel=channel, dry_run=not record
            )
        except Problem as problem:
            raise fail(problem) from None
    decision = answer.decision
    title = f"{decision.action.value}: {decision.reason.value}"
    console.print(_trace_table(decision.trace, title))
    targets = Table("target", title="Targets")
    targets.add_column("agent", no_wrap=True)
    targets.add_column("where")
    for t in decision.targets:
        where = t.uri or t.number or t.email or t.queue_id or t.destination_id or ""
        targets.add_row(t.type.value, t.agent_id or "", where)
    if decision.targets:
        console.print(targets)
    facts = [f"[bold]{decision.action.value}[/bold] ({decision.reason.value})"]
    if decision.known_caller is not None:
        facts.append("known caller" if decision.known_caller else "unknown caller")
    if decision.rule:
        facts.append(f"rule {decision.rule}")
    if decision.selected:
        facts.append("selected " + ", ".join(decision.selected))
    facts.append(f"call {answer.call_id}" if record else "not recorded (dry run)")
    if answer.inbox_item_id:
        facts.append(f"inbox item {answer.inbox_item_id}")
    console.print("; ".join(facts))


def _trace_table(trace: Sequence[TraceEntry], title: str) -> Table:
    table = Table("#", "step", "result", "why", title=title)
    for position, entry in enumerate(trace, start=1):
        style = RESULT_STYLE.get(entry.result, "")
        table.add_row(str(position), entry.step, f"[{style}]{entry.result}[/{style}]", entry.reason)
    return table

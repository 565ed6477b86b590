"""What an inbound decision knows (rules I2-I6, I10): the call as the org's index reads it,
the snapshot the pure ``domain.inbound.decide`` answers on, and what must be read for the
caller; shared by the decision in a worker thread and the one on the event loop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from numberdesk.domain.company import rule_in_force
from numberdesk.domain.inbound import (
    Channel,
    Decision,
    DialledNumber,
    InboundCall,
    Snapshot,
    decide,
)
from numberdesk.domain.inbound_input import (
    counts_against_limit,
    looks_past_number,
    read_caller,
    read_to,
    withheld_step,
)
from numberdesk.domain.routes import RouteType, Scope
from numberdesk.services.inbound_index import InboundIndex
from numberdesk.store.inbound import InboundRepo, LookedUp, LookUp


@dataclass(frozen=True)
class Asked:
    """One inbound call or text as the PBX asked about it."""

    to: str
    caller: str | None
    channel: Channel
    call_id: str
    dry_run: bool


def call_of(
    index: InboundIndex, asked: Asked
) -> tuple[InboundCall, DialledNumber | None, DialledNumber | None]:
    """The call as the org's index reads it, the number dialled (None: not ours) and, when
    the call counts against its call limit, the number again (I10)."""
    call = InboundCall(
        read_to(asked.to, index.country), read_caller(asked.caller, index.country), asked.channel
    )
    number = index.numbers.get(call.to)
    limited = number if number and counts_against_limit(number, call.channel) else None
    return call, number, limited


def decision_of(snapshot: Snapshot, call: InboundCall, asked: Asked) -> Decision:
    """The pure decision, its trace saying when the caller withheld their number."""
    decision = decide(snapshot, call)
    if call.caller is None:
        decision = replace(decision, trace=(withheld_step(asked.caller), *decision.trace))
    return decision


def snapshot_of(
    repo: InboundRepo,
    index: InboundIndex,
    org_id: str,
    number: DialledNumber | None,
    call: InboundCall,
    now: datetime,
) -> Snapshot:
    """What a decision knows of this call: the index, and only what the route needs read for
    this caller (one statement)."""
    snapshot, looking = snapshot_and_look_up(index, number, call, now)
    if looking is None:
        return snapshot
    return with_looked_up(snapshot, index, looking, repo.looked_up(org_id, call.caller, looking))


def snapshot_and_look_up(
    index: InboundIndex, number: DialledNumber | None, call: InboundCall, now: datetime
) -> tuple[Snapshot, LookUp | None]:
    """What the decision knows from the index, and what it must read for this caller (None:
    nothing, the route does not look past the number)."""
    local = now.astimezone(index.timezone)
    base = Snapshot(number, local, queues=index.queues, destinations=index.destinations)
    if number is None or not looks_past_number(number, call.channel):
        return base, None
    routes, company = number.route.chain(), number.route.type is RouteType.COMPANY
    scopes = {r.scope for r in routes if r.type is RouteType.LAST_CALLER}
    agents = {a for r in routes for a in r.agent_ids()}
    if company and number.company is not None:
        agents |= set(rule_in_force(number.company, local).selected)
    return base, LookUp(
        on_number=number.id if Scope.NUMBER in scopes else None,
        on_any=Scope.ANY in scopes,
        contacts=company,
        presence=call.channel is not Channel.SMS,  # a text reaches its agents whatever (S3)
        agents=frozenset(agents),
    )


def with_looked_up(
    base: Snapshot, index: InboundIndex, asked: LookUp, looked: LookedUp
) -> Snapshot:
    """The snapshot with what was read for the caller, and the cards of the agents involved."""
    if asked.presence:
        known = looked.presence.items()
        cards = {a: replace(index.agents[a], presence=p) for a, p in known if a in index.agents}
    else:
        involved = asked.agents | {*looked.on_number, *looked.on_any}
        involved |= {c.primary_agent_id for c in looked.contacts if c.primary_agent_id}
        cards = {a: index.agents[a] for a in involved if a in index.agents}
    return replace(
        base,
        agents=cards,
        last_callers_on_number=looked.on_number,
        last_callers_on_any=looked.on_any,
        contacts=looked.contacts,
    )

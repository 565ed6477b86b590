"""Inbound calls and texts on the call path (rules I1-I12, S3): who gets it, and its records.

A decision reads the org's config version (the index in ``services/inbound_index.py`` is
reused while it is current), then only what the route needs for this caller (the last
callers, the contacts with the caller's phone, the presence of the agents involved, in one
query each), each statement on its own (PostgreSQL's call path: no BEGIN and COMMIT round
trips). For a voice call to a company number the call limit (I10) is one transaction: the
number's row is locked, its live calls counted, and an admitted call counted until its
``ended`` event or ``max_call_minutes``. The writes of a decision are one transaction when
there are several. The pure ``domain.inbound.decide`` answers; the
call is recorded, with an inbox item for an unknown caller (I7, S3) and timeline entries for a
known one (I4). A dry run ("try a call") locks and writes nothing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.company import rule_in_force
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.errors import call_exists
from numberdesk.domain.ids import new_id
from numberdesk.domain.inbound import (
    Action,
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
    read_call_id,
    read_caller,
    read_channel,
    read_to,
    withheld_step,
)
from numberdesk.domain.inbox import InboxItem, ItemStatus
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.routes import RouteType, Scope
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import InboundIndex, current_index
from numberdesk.services.inbox import open_item
from numberdesk.store.inbound import InboundRepo
from numberdesk.store.uow import Transaction

NOBODY_CAN_ANSWER = frozenset({Action.BUSY, Action.DISCONNECT})


@dataclass(frozen=True)
class InboundAnswer:
    """The decision for one inbound call or text, its call id, and the inbox item it opened."""

    call_id: str
    decision: Decision
    inbox_item_id: str | None = None


def decide_inbound(
    desk: Desk,
    actor: Actor,
    *,
    to: str,
    caller: str | None,
    channel: Channel | str = Channel.VOICE,
    call_id: str | None = None,
    dry_run: bool = False,
    rebuild: bool = True,
) -> InboundAnswer:
    """Decide who gets an inbound call or text and record it (owners and admins: the PBX's
    key, A2); a dry run ("try a call") locks and records nothing. ``rebuild`` False:
    ``IndexNotReady``, nothing recorded, when the org's index must be built first."""
    require_manager(actor, "ask for inbound decisions (use the PBX's key)")
    kind = read_channel(channel)
    call_id = read_call_id(call_id) or new_id("call")
    now = desk.now()
    org_id = actor.org_id
    with desk.store.call_path() as tx:
        repo = InboundRepo(tx.conn)
        index = current_index(desk, tx, repo, org_id, rebuild)
        call = InboundCall(read_to(to, index.country), read_caller(caller, index.country), kind)
        number = index.numbers.get(call.to)
        snapshot = _snapshot(repo, index, org_id, number, call, now)
        limited = number if number and counts_against_limit(number, kind) else None
        counted = limited is not None and not dry_run  # lock, count and admit together (I10)
        with tx.atomic() if counted else nullcontext():
            if limited is not None:
                if not dry_run:
                    repo.lock_number(org_id, limited.id)
                live, expired = repo.live_calls(org_id, limited.id, now)
                if expired and not dry_run:
                    repo.forget_expired(org_id, limited.id, now)
                snapshot = replace(snapshot, active_calls=live)
            decision = decide(snapshot, call)
            if call.caller is None:
                decision = replace(decision, trace=(withheld_step(caller), *decision.trace))
            if dry_run:
                return InboundAnswer(call_id, decision)
            item_id = _record(desk, tx, repo, org_id, call_id, number, call, decision, limited, now)
    return InboundAnswer(call_id, decision, item_id)


def _snapshot(
    repo: InboundRepo,
    index: InboundIndex,
    org_id: str,
    number: DialledNumber | None,
    call: InboundCall,
    now: datetime,
) -> Snapshot:
    """What this decision reads: the index, and only what the route needs for this caller."""
    local = now.astimezone(index.timezone)
    base = Snapshot(number, local, queues=index.queues, destinations=index.destinations)
    if number is None or not looks_past_number(number, call.channel):
        return base
    routes, caller = number.route.chain(), call.caller
    on_number: tuple[str, ...] = ()
    on_any: tuple[str, ...] = ()
    scopes = {r.scope for r in routes if r.type is RouteType.LAST_CALLER}
    if caller and Scope.NUMBER in scopes:
        on_number = repo.last_callers(org_id, caller, number.id)
    if caller and Scope.ANY in scopes:
        on_any = repo.last_callers(org_id, caller, None)
    company = number.route.type is RouteType.COMPANY
    contacts = repo.contacts_with_phone(org_id, caller) if company and caller else ()
    involved = {a for r in routes for a in r.agent_ids()} | {*on_number, *on_any}
    involved |= {c.primary_agent_id for c in contacts if c.primary_agent_id}
    if company and number.company is not None:
        involved |= set(rule_in_force(number.company, local).selected)
    live = [a for a in involved if a in index.agents]
    if call.channel is Channel.SMS:  # a text reaches its agents whatever their presence (S3)
        agents = {a: index.agents[a] for a in live}
    else:
        presence = repo.presence(org_id, live)
        agents = {a: replace(index.agents[a], presence=p) for a, p in presence.items()}
    return replace(
        base,
        agents=agents,
        last_callers_on_number=on_number,
        last_callers_on_any=on_any,
        contacts=contacts,
    )


def _record(
    desk: Desk,
    tx: Transaction,
    repo: InboundRepo,
    org_id: str,
    call_id: str,
    number: DialledNumber | None,
    call: InboundCall,
    decision: Decision,
    limited: DialledNumber | None,
    now: datetime,
) -> str | None:
    """Record the call (I12), count an admitted one against ``limited``'s call limit (I10),
    write a known caller's timeline (I4) and open an unknown caller's inbox item (I7, S3): all
    of it or nothing (a record alone is one statement, and needs no transaction of its own)."""
    record = CallRecord(
        org_id=org_id,
        id=call_id,
        to=call.to,
        channel=call.channel.value,
        at=now,
        action=decision.action.value,
        reason=decision.reason.value,
        number_id=number.id if number else None,
        caller=call.caller,
        rule=decision.rule,
        known_caller=decision.known_caller,
        selected=list(decision.selected),
    )
    admits = limited is not None and decision.action not in NOBODY_CAN_ANSWER
    item = _inbox_item(org_id, call_id, number, call, decision, now)
    with tx.atomic() if admits or item or decision.timeline else nullcontext():
        if not repo.record(record):
            raise call_exists(call_id)
        if limited is not None and admits:
            expires = now + timedelta(minutes=desk.settings.max_call_minutes)
            repo.admit(org_id, limited.id, call_id, expires)
        if decision.timeline is not None:
            what = "inbound_text" if call.channel is Channel.SMS else "inbound_call"
            text = decision.timeline.text[:500]
            repo.add_timeline(
                [
                    TimelineEntry(org_id, new_id("tle"), c, now, what, text, call_id)
                    for c in decision.timeline.contact_ids
                ]
            )
        return open_item(tx, item).id if item else None


def _inbox_item(
    org_id: str,
    call_id: str,
    number: DialledNumber | None,
    call: InboundCall,
    decision: Decision,
    now: datetime,
) -> InboxItem | None:
    """The inbox item the call opens, if any (I7, S3): a withheld caller can be neither called
    back nor texted back."""
    if number is None or call.caller is None or not decision.opens_inbox_item:
        return None
    waits = call.channel is Channel.SMS or decision.action in NOBODY_CAN_ANSWER
    settings = number.company
    return InboxItem(
        org_id=org_id,
        id=new_id("itm"),
        call_id=call_id,
        number_id=number.id,
        caller=call.caller,
        channel=call.channel.value,
        at=now,
        status=ItemStatus.UNCLAIMED if waits else ItemStatus.RINGING,
        selected=list(decision.selected),
        source=settings.source if settings else None,
        tag=settings.tag if settings else None,
    )

"""Inbound calls and texts on the call path (rules I1-I12, S3): who gets it, and its records.

A decision is made on the org's index this process holds (``services/inbound_index.py``),
reading only what the route needs for this caller in one statement (the last callers, the
contacts with the caller's phone and the presence of the agents involved:
``InboundRepo.looked_up``), each statement on its own (PostgreSQL's call path has no BEGIN
and COMMIT round trips). No query asks for the config version: the record is written only
while the version is the index's, and when it moved the decision is made again on the
rebuilt index (``services/inbound_records.py``); a dry run ("try a call"), which writes
nothing, reads the version first. For a voice call to a company number
the call limit (I10) is one transaction: the number's row is locked, its live calls counted,
and an admitted call counted until its ``ended`` event or ``max_call_minutes``. The pure
``domain.inbound.decide`` answers.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from numberdesk.domain.company import rule_in_force
from numberdesk.domain.ids import new_id
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
    read_call_id,
    read_caller,
    read_channel,
    read_to,
    withheld_step,
)
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.routes import RouteType, Scope
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import InboundIndex, build_index, key_of
from numberdesk.services.inbound_records import record_decision
from numberdesk.services.snapshots import IndexNotReady, on_current_index
from numberdesk.store.db import RowHeld
from numberdesk.store.inbound import InboundRepo, LookUp
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class InboundAnswer:
    """The decision for one inbound call or text, its call id, and the inbox item it opened."""

    call_id: str
    decision: Decision
    inbox_item_id: str | None = None


@dataclass(frozen=True)
class _Asked:
    """One inbound call or text as the PBX asked about it."""

    to: str
    caller: str | None
    channel: Channel
    call_id: str
    dry_run: bool


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
    ``IndexNotReady``, nothing recorded, when the org's index must be built first or the
    company number's row stays taken."""
    require_manager(actor, "ask for inbound decisions (use the PBX's key)")
    asked = _Asked(
        to, caller, read_channel(channel), read_call_id(call_id) or new_id("call"), dry_run
    )
    org_id = actor.org_id
    with desk.store.call_path() as tx:
        repo = InboundRepo(tx.conn)
        return on_current_index(
            desk.snapshots,
            tx,
            org_id,
            key_of(org_id),
            InboundIndex,
            partial(build_index, tx, repo),
            lambda index: _decided(desk, tx, repo, index, org_id, asked, rebuild),
            writes=not dry_run,
            rebuild=rebuild,
        )


def _decided(
    desk: Desk,
    tx: Transaction,
    repo: InboundRepo,
    index: InboundIndex,
    org_id: str,
    asked: _Asked,
    rebuild: bool,
) -> InboundAnswer:
    """The decision on ``index``, and its records unless a dry run; ``OutOfDate``, nothing
    recorded, when the org's config version is no longer the index's. Not ``rebuild`` (on
    the event loop): ``IndexNotReady``, nothing recorded, when the company number's row stays
    taken past ``SHORT_LOCK_WAIT``."""
    kind, now, dry_run = asked.channel, desk.now(), asked.dry_run
    call = InboundCall(
        read_to(asked.to, index.country), read_caller(asked.caller, index.country), kind
    )
    number = index.numbers.get(call.to)
    snapshot = _snapshot(repo, index, org_id, number, call, now)
    limited = number if number and counts_against_limit(number, kind) else None
    counted = limited is not None and not dry_run  # lock, count and admit together (I10)
    with tx.atomic(short_lock_wait=not rebuild) if counted else nullcontext():
        if limited is not None:
            if counted:
                _lock_number(repo, org_id, limited.id)
            live, expired = repo.live_calls(org_id, limited.id, now)
            if expired and counted:
                repo.forget_expired(org_id, limited.id, now)
            snapshot = replace(snapshot, active_calls=live)
        decision = decide(snapshot, call)
        if call.caller is None:
            decision = replace(decision, trace=(withheld_step(asked.caller), *decision.trace))
        if dry_run:
            return InboundAnswer(asked.call_id, decision)
        item_id = record_decision(
            desk,
            tx,
            repo,
            org_id,
            asked.call_id,
            number,
            call,
            decision,
            limited,
            now,
            index.version,
        )
    return InboundAnswer(asked.call_id, decision, item_id)


def _lock_number(repo: InboundRepo, org_id: str, number_id: str) -> None:
    """Lock the company number's row (I10); ``IndexNotReady`` when the lock wait was cut
    short: the decision is made again in a worker thread, which waits its turn."""
    try:
        repo.lock_number(org_id, number_id)
    except RowHeld as held:
        raise IndexNotReady(org_id) from held


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
    routes, company = number.route.chain(), number.route.type is RouteType.COMPANY
    scopes = {r.scope for r in routes if r.type is RouteType.LAST_CALLER}
    agents = {a for r in routes for a in r.agent_ids()}
    if company and number.company is not None:
        agents |= set(rule_in_force(number.company, local).selected)
    asked = LookUp(
        on_number=number.id if Scope.NUMBER in scopes else None,
        on_any=Scope.ANY in scopes,
        contacts=company,
        presence=call.channel is not Channel.SMS,  # a text reaches its agents whatever (S3)
        agents=frozenset(agents),
    )
    looked = repo.looked_up(org_id, call.caller, asked)
    if asked.presence:
        known = looked.presence.items()
        cards = {a: replace(index.agents[a], presence=p) for a, p in known if a in index.agents}
    else:
        involved = agents | {*looked.on_number, *looked.on_any}
        involved |= {c.primary_agent_id for c in looked.contacts if c.primary_agent_id}
        cards = {a: index.agents[a] for a in involved if a in index.agents}
    return replace(
        base,
        agents=cards,
        last_callers_on_number=looked.on_number,
        last_callers_on_any=looked.on_any,
        contacts=looked.contacts,
    )

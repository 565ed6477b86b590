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
``domain.inbound.decide`` answers, on what ``services/inbound_snapshot.py`` gathered.

On the API's event loop (``decide_inbound_on_loop``) the read and the write go on the loop's
pipeline (``store/pipeline``), with the statements of the decisions the process answers
meanwhile. A voice call to a company number is decided there on the live calls read with the
caller, and its write records it only while the number still carries that many
(``store/inbound_loop``); when they moved, the decision is made again by ``decide_inbound``
on the loop, holding the number's row from the count to the record.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial

from numberdesk.domain.errors import Problem, call_exists
from numberdesk.domain.ids import new_id
from numberdesk.domain.inbound import (
    Channel,
    Decision,
)
from numberdesk.domain.inbound_input import (
    read_call_id,
    read_channel,
)
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import InboundIndex, current_index, key_of
from numberdesk.services.inbound_records import record_decision, records_of
from numberdesk.services.inbound_snapshot import (
    Asked,
    call_of,
    decision_of,
    snapshot_and_look_up,
    snapshot_of,
    with_looked_up,
)
from numberdesk.services.snapshots import (
    IndexNotReady,
    held_on_loop,
    on_current_index,
    refuse_on_loop,
)
from numberdesk.store.db import RowHeld
from numberdesk.store.inbound import InboundRepo
from numberdesk.store.inbound_loop import InboundOnLoop
from numberdesk.store.uow import Transaction


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
    ``IndexNotReady``, nothing recorded, when the org's index must be built first or the
    company number's row stays taken."""
    require_manager(actor, "ask for inbound decisions (use the PBX's key)")
    asked = Asked(
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
            partial(current_index, tx, repo),
            lambda index: _decided(desk, tx, repo, index, org_id, asked, rebuild),
            writes=not dry_run,
            rebuild=rebuild,
            locks_first=partial(_lock_limited_number, repo, org_id, asked),
        )


def _lock_limited_number(repo: InboundRepo, org_id: str, asked: Asked, index: InboundIndex) -> None:
    """Lock the dialled number's row if, on ``index``, it is a company number with a call
    limit whose calls are counted (I10): as a change of the number locks it before it moves
    the config version (``snapshots.on_current_index``)."""
    try:
        limited = call_of(index, asked)[2]
    except Problem:
        return  # refused on this index: the decision on the index of now will say why
    if limited is not None and not asked.dry_run:
        repo.lock_number(org_id, limited.id)


def warm_inbound_index(desk: Desk, org_id: str) -> None:
    """Build the org's inbound index in this process now, so that no call waits for it."""
    with desk.store.call_path() as tx:
        build = partial(current_index, tx, InboundRepo(tx.conn))
        desk.snapshots.rebuilt(
            key_of(org_id), InboundIndex, partial(tx.orgs.require, org_id), build
        )


def _decided(
    desk: Desk,
    tx: Transaction,
    repo: InboundRepo,
    index: InboundIndex,
    org_id: str,
    asked: Asked,
    rebuild: bool,
) -> InboundAnswer:
    """The decision on ``index``, and its records unless a dry run; ``OutOfDate``, nothing
    recorded, when the org's config version is no longer the index's. Not ``rebuild`` (on
    the event loop): ``IndexNotReady``, nothing recorded, when the company number's row stays
    taken past ``SHORT_LOCK_WAIT``."""
    now, dry_run = desk.now(), asked.dry_run
    call, number, limited = call_of(index, asked)
    snapshot = snapshot_of(repo, index, org_id, number, call, now)
    counted = limited is not None and not dry_run  # lock, count and admit together (I10)
    with tx.atomic(short_lock_wait=not rebuild) if counted else nullcontext():
        if limited is not None:
            if counted:
                _lock_number(repo, org_id, limited.id)
            live, expired = repo.live_calls(org_id, limited.id, now)
            if expired and counted:
                repo.forget_expired(org_id, limited.id, now)
            snapshot = replace(snapshot, active_calls=live)
        decision = decision_of(snapshot, call, asked)
        if dry_run:
            return InboundAnswer(asked.call_id, decision)
        records = records_of(desk, org_id, asked.call_id, number, call, decision, limited, now)
        item_id = record_decision(tx, repo, records, index.version)
    return InboundAnswer(asked.call_id, decision, item_id)


async def decide_inbound_on_loop(
    desk: Desk,
    actor: Actor,
    *,
    to: str,
    caller: str | None,
    channel: Channel | str = Channel.VOICE,
    call_id: str | None = None,
) -> InboundAnswer:
    """``decide_inbound`` on the event loop, its read and write on the loop's pipeline
    (``store/pipeline``): ``IndexNotReady``, nothing recorded, when the org's index is not
    held or turns out out of date, or a company number's row stays taken (then
    ``decide_inbound`` in a worker thread). A call to a company number whose live calls
    moved between the read and the write is decided again by ``decide_inbound`` on the
    loop, holding the number's row throughout (I10)."""
    require_manager(actor, "ask for inbound decisions (use the PBX's key)")
    org_id = actor.org_id
    key = key_of(org_id)
    index, pipeline = await held_on_loop(desk.snapshots, desk.store, org_id, key, InboundIndex)
    repo = InboundOnLoop(pipeline)
    asked = Asked(to, caller, read_channel(channel), read_call_id(call_id) or new_id("call"), False)
    try:
        answer = await _recorded_on_loop(desk, repo, index, org_id, asked)
    except RowHeld as held:
        raise IndexNotReady(org_id) from held
    except Problem as refusal:
        await refuse_on_loop(refusal, pipeline, org_id, index.version)
    if answer is not None:
        return answer
    return decide_inbound(
        desk, actor, to=to, caller=caller, channel=channel, call_id=asked.call_id, rebuild=False
    )


async def _recorded_on_loop(
    desk: Desk, repo: InboundOnLoop, index: InboundIndex, org_id: str, asked: Asked
) -> InboundAnswer | None:
    """The decision, read and recorded on the pipeline; 409 ``call_exists`` when nothing was
    recorded (the call id taken, or the version moved). None, nothing recorded, when the
    call counts against a company number's limit and that number's live calls moved."""
    now = desk.now()
    call, number, limited = call_of(index, asked)
    snapshot, looking = snapshot_and_look_up(index, number, call, now)
    limit = limited.id if limited is not None else None
    looked, live = await repo.read(org_id, call.caller, looking, limit, now)
    if looking is not None:
        snapshot = with_looked_up(snapshot, index, looking, looked)
    if live is not None:
        snapshot = replace(snapshot, active_calls=live.calls)
    decision = decision_of(snapshot, call, asked)
    records = records_of(desk, org_id, asked.call_id, number, call, decision, limited, now)
    if await repo.record(*records, version=index.version, live=live):
        return InboundAnswer(asked.call_id, decision, records.item.id if records.item else None)
    if live is not None:
        return None
    raise call_exists(asked.call_id)


def _lock_number(repo: InboundRepo, org_id: str, number_id: str) -> None:
    """Lock the company number's row (I10); ``IndexNotReady`` when the lock wait was cut
    short: the decision is made again in a worker thread, which waits its turn."""
    try:
        repo.lock_number(org_id, number_id)
    except RowHeld as held:
        raise IndexNotReady(org_id) from held

"""Outbound caller ID on the call path (rules O1-O7): which of our numbers the callee sees.

Each process keeps, per org, an in-memory ``Snapshot`` (numbers by area code and region,
campaigns, agent cards) and renews it when the org's ``config_version`` moves; every
audited configuration change moves it (``services/audit.record``), and the index is refreshed
from the changes past its version (``services/callerid_refresh``). A decision is made on the
index the process holds, without asking for the version: its one write (``Store.call_path``,
committing by itself) counts the call under its daily cap, copies the number's new use into
its pools and records the attempt (O6, O7) only while the version is the index's, and says
which version it saw; if the version moved, nothing was written and the decision is made
again on the rebuilt index. So several API processes stay correct, and a decision costs one
round trip on PostgreSQL. When a pool of several numbers chooses (O5), that write also
chooses in the pool, after taking the pool's row in the same round trip
(``CallerIdRepo.pick``): the number the callee was shown last time, if sticky and eligible,
else the number used least today, then least recently; so concurrent decisions over one
pool, from any process, choose one after the other. Nothing is queried per candidate.

The decision itself (``callerid_choice.choosing``) asks the database through whoever drives
it: ``decide_outbound`` sends its statements on a connection of the call path's pool and
waits; ``decide_outbound_on_loop``, the API's, sends the same statements on the event loop's
pipeline (``store/pipeline``), where they travel with those of the decisions the process
answers meanwhile, and leaves what it may not wait for (the org's index built, a pool's copy
renewed) to ``decide_outbound`` in a worker thread. Either way each decision's write is its
own transaction, committed before it is answered: a crash of numberdesk loses no decision
that was answered. The call path's commits do not wait for the disk
(``store/db.make_call_path_engine``), so a crash of the PostgreSQL server can lose its last
0.6 s of them, unless ``NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT=on``.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import cast

from numberdesk.domain.callerid_tiers import pools_by_key
from numberdesk.domain.errors import Problem, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, Org, require_manager
from numberdesk.services.callerid_choice import Asked, Count, OutboundAnswer, Pick, choosing
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.callerid_refresh import current_index
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import (
    IndexNotReady,
    OutOfDate,
    held_on_loop,
    on_current_index,
    refuse_on_loop,
)
from numberdesk.store.callerid import CallerIdRepo, PoolNotCopied, Taken
from numberdesk.store.callerid_loop import CallerIdOnLoop
from numberdesk.store.pool_copies import PoolCopies
from numberdesk.store.uow import Transaction

__all__ = [
    "OutboundAnswer",
    "agent_id_of",
    "decide_outbound",
    "decide_outbound_on_loop",
    "warm_outbound_index",
]


def decide_outbound(
    desk: Desk,
    actor: Actor,
    *,
    agent_id: str,
    to: str,
    campaign_id: str | None = None,
    caller_id: str | None = None,
    call_id: str | None = None,
    dry_run: bool = False,
    rebuild: bool = True,
) -> OutboundAnswer:
    """Choose the caller ID of one outbound call and record the attempt (O1-O7); a dry run
    ("try a call") records and counts nothing. ``rebuild`` False: ``IndexNotReady``, nothing
    recorded, when the org's index must be built or a pool's copy renewed first."""
    if agent_id != actor.user_id:
        require_manager(actor, "decide caller IDs for other agents")
    asked = Asked(agent_id, to, campaign_id, caller_id, call_id or new_id("call"), dry_run)
    org_id = actor.org_id
    with desk.store.call_path() as tx:
        repo = CallerIdRepo(tx.conn)
        return on_current_index(
            desk.snapshots,
            tx,
            org_id,
            org_id,
            Indexed,
            partial(_current_index, desk, tx),
            lambda indexed: _decided(repo, indexed, org_id, asked, desk.now(), rebuild),
            writes=not dry_run,
            rebuild=rebuild,
        )


def warm_outbound_index(desk: Desk, org_id: str) -> None:
    """Build (or refresh) the org's caller-ID index in this process now, and copy again the
    pools calls have used whose numbers changed since, so that no call waits for either."""
    with desk.store.call_path() as tx:
        require = partial(tx.orgs.require, org_id)
        indexed = desk.snapshots.rebuilt(
            org_id, Indexed, require, partial(_current_index, desk, tx)
        )
    renew_pool_copies(desk, org_id, indexed)


def renew_pool_copies(desk: Desk, org_id: str, indexed: Indexed) -> None:
    """Copy again each pool a call has used whose numbers changed since its copy (O5), one
    transaction each. A pick would copy it first otherwise, and wait: 1.3 s for a pool of
    15,000 numbers (bench/README.md, nineteenth session)."""
    with desk.store.transaction() as tx:
        copied = PoolCopies(tx.conn).fingerprints(org_id)
    pools = pools_by_key(indexed.snapshot) if copied else {}
    for key, fingerprint in copied.items():
        pool = pools.get(key)
        if pool is not None and pool.fingerprint != fingerprint:
            with desk.store.transaction() as tx:
                PoolCopies(tx.conn).renew(org_id, key, pool)


def _current_index(desk: Desk, tx: Transaction, org: Org, held: Indexed | None) -> Indexed:
    """The org's caller-ID index as its configuration stands now, from the one ``held``."""
    return current_index(tx, org, held, desk.now())


def _decided(
    repo: CallerIdRepo, indexed: Indexed, org_id: str, asked: Asked, now: datetime, rebuild: bool
) -> OutboundAnswer:
    """The decision on ``indexed``, counted and recorded unless a dry run; ``OutOfDate``,
    nothing written, when the org's config version is no longer the index's."""
    decision = choosing(indexed, org_id, asked, now)
    try:
        question = next(decision)
        while True:
            question = decision.send(_answer(repo, question, rebuild))
    except StopIteration as chosen:
        return cast(OutboundAnswer, chosen.value)


async def decide_outbound_on_loop(
    desk: Desk,
    actor: Actor,
    *,
    agent_id: str,
    to: str,
    campaign_id: str | None = None,
    caller_id: str | None = None,
    call_id: str | None = None,
) -> OutboundAnswer:
    """``decide_outbound`` on the event loop, its write on the loop's pipeline
    (``store/pipeline``): ``IndexNotReady``, nothing recorded, when the org's index is not
    held or turns out out of date, or a pool's copy must be renewed first; then
    ``decide_outbound`` in a worker thread does what this may not wait for."""
    if agent_id != actor.user_id:
        require_manager(actor, "decide caller IDs for other agents")
    org_id = actor.org_id
    indexed, pipeline = await held_on_loop(desk.snapshots, desk.store, org_id, org_id, Indexed)
    repo = CallerIdOnLoop(pipeline)
    asked = Asked(agent_id, to, campaign_id, caller_id, call_id or new_id("call"), False)
    decision = choosing(indexed, org_id, asked, desk.now())
    try:
        question = next(decision)
        while True:
            question = decision.send(await _answer_on_loop(repo, question))
    except StopIteration as chosen:
        return cast(OutboundAnswer, chosen.value)
    except OutOfDate as stale:
        raise IndexNotReady(org_id) from stale
    except Problem as refusal:
        await refuse_on_loop(refusal, pipeline, org_id, indexed.version)


def _answer(repo: CallerIdRepo, question: Pick | Count, rebuild: bool) -> Taken:
    """What the database took for a decision's question. Not ``rebuild``: ``IndexNotReady``
    when the pool's copy of its numbers must be renewed first."""
    if isinstance(question, Count):
        return repo.count_call(*question)
    tier, when, attempt, step, sticky_to = question
    try:
        return repo.pick(
            tier.key, tier.pool, when, attempt, step, sticky_to=sticky_to, copy=rebuild
        )
    except PoolNotCopied as stale:
        raise IndexNotReady(when.org_id) from stale


async def _answer_on_loop(repo: CallerIdOnLoop, question: Pick | Count) -> Taken:
    """``_answer`` on the event loop's pipeline, never renewing a pool's copy."""
    if isinstance(question, Count):
        return await repo.count_call(*question)
    tier, when, attempt, step, sticky_to = question
    assert attempt is not None, "a decision on the loop is never a dry run"
    try:
        return await repo.pick(tier.key, tier.pool, when, attempt, step, sticky_to=sticky_to)
    except PoolNotCopied as stale:
        raise IndexNotReady(when.org_id) from stale


def agent_id_of(desk: Desk, actor: Actor, agent: str) -> str:
    """The id of an agent given by id or e-mail (the CLI's "try a call")."""
    if "@" not in agent:
        return agent
    with desk.store.transaction() as tx:
        user = tx.users.by_email(actor.org_id, agent)
    if user is None:
        raise not_found("user", agent)
    return user.id

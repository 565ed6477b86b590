"""Outbound caller ID on the call path (rules O1-O7): which of our numbers the callee sees.

Each process keeps, per org, an in-memory ``Snapshot`` (numbers by area code and region,
campaigns, agent cards) and rebuilds it when the org's ``config_version`` moves; every
audited configuration change moves it (``services/audit.record``), so several API processes
stay correct. A decision then costs two statements on PostgreSQL (``Store.call_path``), each
committing by itself: the version and the callee's last caller ID (one query); and one write
that counts the call under its daily cap, copies the number's new use into its pools and
records the attempt (O6, O7). When a pool of several numbers chooses, that write also picks
its number used least today, then least recently (O5), after taking the pool's row in the
same round trip (``CallerIdRepo.pick``), so concurrent decisions over one pool, from any
process, pick one after the other. Nothing is queried per candidate, and nothing is
batched: a crash of numberdesk loses no decision that was answered. The call path's commits
do not wait for the disk (``store/db.make_call_path_engine``), so a crash of the PostgreSQL
server can lose its last 0.6 s of them, unless ``NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT=on``.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from numberdesk.domain.callerid import (
    Call,
    Callee,
    Candidate,
    Snapshot,
    TraceEntry,
    Usage,
    daily_cap,
    decide,
)
from numberdesk.domain.errors import Conflict, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.phones import e164_of, parse_phone
from numberdesk.domain.regions import region_of
from numberdesk.services.callerid_index import Indexed, build_index, org_day
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import IndexNotReady
from numberdesk.store.callerid import Attempt, CallerIdRepo, PoolNotCopied, When
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class OutboundAnswer:
    """What the PBX shows the callee (O1), and why."""

    call_id: str
    number: Candidate
    step: str
    trace: tuple[TraceEntry, ...]

    @property
    def attestation(self) -> str:
        """STIR/SHAKEN hint: A for numbers we own, B for masked ones (O1)."""
        return "B" if self.number.masked else "A"


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
    now = desk.now()
    with desk.store.call_path() as tx:
        repo = CallerIdRepo(tx.conn)
        indexed, callee, last_shown = _index_and_callee(desk, tx, repo, actor.org_id, to, rebuild)
        snapshot = indexed.snapshot
        call = _call(snapshot, agent_id, callee, campaign_id, caller_id)
        when = When(actor.org_id, now, *org_day(now, indexed.timezone), daily_cap(snapshot, call))
        call_id = call_id or new_id("call")
        attempt = None if dry_run else Attempt(call_id, agent_id, campaign_id, callee.e164)
        number, step, trace = _take(repo, snapshot, call, when, attempt, last_shown, rebuild)
    return OutboundAnswer(call_id, number, step, trace)


def _index_and_callee(
    desk: Desk, tx: Transaction, repo: CallerIdRepo, org_id: str, to: str, rebuild: bool
) -> tuple[Indexed, Callee, str | None]:
    """The org's index (rebuilt if its version moved, unless not ``rebuild``), the callee, and
    the number the callee was last shown; one query when the index is current."""
    cached = desk.snapshots.get(org_id)
    if isinstance(cached, Indexed):
        callee = _callee(to, cached.country)
        version, last_shown = repo.version_and_last_shown(org_id, callee.e164)
        if cached.version == version:
            return cached, callee, last_shown
    if not rebuild:
        raise IndexNotReady(org_id)
    indexed = _rebuilt(desk, tx, org_id)
    callee = _callee(to, indexed.country)  # read with the org's country of now
    _, last_shown = repo.version_and_last_shown(org_id, callee.e164)
    return indexed, callee, last_shown


def _rebuilt(desk: Desk, tx: Transaction, org_id: str) -> Indexed:
    """The org's index as its configuration stands now: built here, or by the call of this
    process that was rebuilding it while this one waited (one build per change)."""
    with desk.snapshots.rebuilding(org_id):
        org = tx.orgs.require(org_id)
        held = desk.snapshots.get(org_id)
        if isinstance(held, Indexed) and held.version == org.config_version:
            return held
        indexed = build_index(tx, org, desk.now())
        desk.snapshots[org_id] = indexed
        return indexed


def _callee(to: str, country: str) -> Callee:
    phone = parse_phone(to, country, field="to")
    calling_code = str(phonenumbers.country_code_for_region(phone.country))
    national = phone.e164[1 + len(calling_code) :]
    region = region_of(phone.e164, phone.country, phone.area_code)
    return Callee(phone.e164, phone.country, national, region)


def _call(
    snapshot: Snapshot,
    agent_id: str,
    callee: Callee,
    campaign_id: str | None,
    caller_id: str | None,
) -> Call:
    agent = snapshot.agents.get(agent_id)
    if agent is None:
        raise not_found("user", agent_id)
    campaign = snapshot.campaigns.get(campaign_id) if campaign_id else None
    if campaign_id and campaign is None:
        raise not_found("campaign", campaign_id)
    requested = e164_of(caller_id, callee.country, field="caller_id") if caller_id else None
    return Call(agent, callee, campaign, requested)


def _take(
    repo: CallerIdRepo,
    snapshot: Snapshot,
    call: Call,
    when: When,
    attempt: Attempt | None,
    last_shown: str | None,
    rebuild: bool,
) -> tuple[Candidate, str, tuple[TraceEntry, ...]]:
    """Decide; when a pool must pick, the database picks its number used least today, then
    least recently, counting the call on it; a number chosen otherwise is counted after.
    ``attempt`` None: a dry run counts nothing. A number that reached its daily cap meanwhile
    is left out and the decision runs again, moving on along the policy (O5, O6). Not
    ``rebuild``: ``IndexNotReady`` when the pool's copy of its numbers must be renewed."""
    usage = Usage({}, {}, last_shown)
    while True:
        decision = decide(snapshot, usage, call, when.now)
        step = str(decision.step)
        if decision.asks is not None:
            tier = decision.asks
            try:
                usage.picks[tier.key] = repo.pick(
                    tier.key, tier.pool, when, attempt, step, copy=rebuild
                )
            except PoolNotCopied as stale:
                raise IndexNotReady(when.org_id) from stale
            continue
        number = decision.number
        if number is None:
            raise _nothing_eligible(decision.trace)
        if attempt is None or decision.picked or repo.count_call(number.id, when, attempt, step):
            return number, step, decision.trace
        usage.calls_today[number.id] = when.cap or 0  # only a cap refuses a count


def agent_id_of(desk: Desk, actor: Actor, agent: str) -> str:
    """The id of an agent given by id or e-mail (the CLI's "try a call")."""
    if "@" not in agent:
        return agent
    with desk.store.transaction() as tx:
        user = tx.users.by_email(actor.org_id, agent)
    if user is None:
        raise not_found("user", agent)
    return user.id


def _nothing_eligible(trace: tuple[TraceEntry, ...]) -> Conflict:
    return Conflict(
        "no_caller_id",
        "No number may be shown for this call (rule O7): every step of the policy was "
        "tried; the trace says why each was skipped.",
        extra={"trace": [vars(t) for t in trace]},
    )

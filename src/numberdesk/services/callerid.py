"""Outbound caller ID on the call path (rules O1-O7): which of our numbers the callee sees.

Each process keeps, per org, an in-memory ``Snapshot`` (numbers by area code and region,
campaigns, agent cards) and rebuilds it when the org's ``config_version`` moves; every
audited configuration change moves it (``services/audit.record``). A decision is made on the
index the process holds, without asking for the version: its one write (``Store.call_path``,
committing by itself) counts the call under its daily cap, copies the number's new use into
its pools and records the attempt (O6, O7) only while the version is the index's, and says
which version it saw; if the version moved, nothing was written and the decision is made
again on the rebuilt index. So several API processes stay correct, and a decision costs one
round trip on PostgreSQL. When a pool of several numbers chooses (O5), that write also
chooses in the pool, after taking the pool's row in the same round trip
(``CallerIdRepo.pick``): the number the callee was shown last time, if sticky and eligible,
else the number used least today, then least recently; so concurrent decisions over one
pool, from any process, choose one after the other. Nothing is queried per candidate, and
nothing is batched: a crash of numberdesk loses no decision that was answered. The call
path's commits do not wait for the disk (``store/db.make_call_path_engine``), so a crash of
the PostgreSQL server can lose its last 0.6 s of them, unless
``NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT=on``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

import phonenumbers

from numberdesk.domain.callerid import (
    Call,
    Callee,
    CampaignPlan,
    Candidate,
    Decision,
    Snapshot,
    Step,
    TraceEntry,
    Usage,
    daily_cap,
    decide,
    is_sticky,
    policy_of,
)
from numberdesk.domain.errors import Conflict, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.phones import REMEMBERED, e164_of, parse_phone
from numberdesk.domain.regions import region_of
from numberdesk.services.callerid_index import Indexed, build_index, org_day
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import IndexNotReady, OutOfDate, on_current_index
from numberdesk.store.callerid import Attempt, CallerIdRepo, PoolNotCopied, Taken, When


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
    asked = _Asked(agent_id, to, campaign_id, caller_id, call_id or new_id("call"), dry_run)
    org_id = actor.org_id
    with desk.store.call_path() as tx:
        repo = CallerIdRepo(tx.conn)
        return on_current_index(
            desk.snapshots,
            tx,
            org_id,
            org_id,
            Indexed,
            lambda org: build_index(tx, org, desk.now()),
            lambda indexed: _decided(repo, indexed, org_id, asked, desk.now(), rebuild),
            writes=not dry_run,
            rebuild=rebuild,
        )


@dataclass(frozen=True)
class _Asked:
    """One outbound call as the PBX (or "try a call") asked about it."""

    agent_id: str
    to: str
    campaign_id: str | None
    caller_id: str | None
    call_id: str
    dry_run: bool


def _decided(
    repo: CallerIdRepo, indexed: Indexed, org_id: str, asked: _Asked, now: datetime, rebuild: bool
) -> OutboundAnswer:
    """The decision on ``indexed``, counted and recorded unless a dry run; ``OutOfDate``,
    nothing written, when the org's config version is no longer the index's."""
    snapshot = indexed.snapshot
    campaign = _campaign(snapshot, asked.campaign_id)
    nearby = Step.NEARBY in policy_of(snapshot, campaign)
    callee = callee_of(asked.to, indexed.country, nearby=nearby)
    call = _call(snapshot, asked.agent_id, callee, campaign, asked.caller_id)
    day, day_start = org_day(now, indexed.timezone)
    when = When(org_id, now, day, day_start, daily_cap(snapshot, call), indexed.version)
    attempt = None
    if not asked.dry_run:
        attempt = Attempt(asked.call_id, asked.agent_id, asked.campaign_id, callee.e164)
    number, step, trace = _take(repo, snapshot, call, when, attempt, rebuild)
    return OutboundAnswer(asked.call_id, number, step, trace)


@lru_cache(maxsize=REMEMBERED)
def callee_of(to: str, country: str, *, nearby: bool) -> Callee:
    """The callee read with the org's country; their region (libphonenumber's geography, a
    tenth of a decision's time) only when the policy has the ``nearby`` step (O3).
    Remembered (``phones.REMEMBERED``): a callee dialled again is not read again."""
    phone = parse_phone(to, country, field="to", area_code=nearby)
    calling_code = str(phonenumbers.country_code_for_region(phone.country))
    national = phone.e164[1 + len(calling_code) :]
    region = region_of(phone.e164, phone.country, phone.area_code) if nearby else None
    return Callee(phone.e164, phone.country, national, region)


def _campaign(snapshot: Snapshot, campaign_id: str | None) -> CampaignPlan | None:
    """The call's campaign, if it names one; 404 when the org has no such campaign."""
    if not campaign_id:
        return None
    campaign = snapshot.campaigns.get(campaign_id)
    if campaign is None:
        raise not_found("campaign", campaign_id)
    return campaign


def _call(
    snapshot: Snapshot,
    agent_id: str,
    callee: Callee,
    campaign: CampaignPlan | None,
    caller_id: str | None,
) -> Call:
    agent = snapshot.agents.get(agent_id)
    if agent is None:
        raise not_found("user", agent_id)
    requested = e164_of(caller_id, callee.country, field="caller_id") if caller_id else None
    return Call(agent, callee, campaign, requested)


def _take(
    repo: CallerIdRepo,
    snapshot: Snapshot,
    call: Call,
    when: When,
    attempt: Attempt | None,
    rebuild: bool,
) -> tuple[Candidate, str, tuple[TraceEntry, ...]]:
    """Decide; when a pool must choose, the database chooses (the callee's last caller ID if
    the call is sticky and it is eligible, else the number used least today, then least
    recently) and counts the call on it; a number chosen otherwise is counted after.
    ``attempt`` None: a dry run counts nothing. A number that reached its daily cap meanwhile
    is left out and the decision runs again, moving on along the policy (O5, O6).
    ``OutOfDate`` when the database wrote nothing because the config version moved. Not
    ``rebuild``: ``IndexNotReady`` when the pool's copy of its numbers must be renewed."""
    usage = Usage()
    sticky_to = call.callee.e164 if is_sticky(call) else None
    decision: Decision | None = None  # the last one: if it asked for a pick, it goes on
    while True:
        decision = decide(snapshot, usage, call, when.now, decision)
        step = str(decision.step)
        if decision.asks is not None:
            tier = decision.asks
            try:
                taken = repo.pick(
                    tier.key, tier.pool, when, attempt, step, sticky_to=sticky_to, copy=rebuild
                )
            except PoolNotCopied as stale:
                raise IndexNotReady(when.org_id) from stale
            _still_current(taken, when)
            usage.picks[tier.key] = taken.number_id
            if taken.sticky:
                usage = replace(usage, last_shown_to_callee=taken.number_id)
            continue
        number = decision.number
        if number is None:
            raise _nothing_eligible(decision.trace)
        if attempt is None or decision.picked:
            return number, step, decision.trace
        taken = repo.count_call(number.id, when, attempt, step)
        _still_current(taken, when)
        if taken.number_id is not None:
            return number, step, decision.trace
        usage.calls_today[number.id] = when.cap or 0  # only a cap refuses a count


def _still_current(taken: Taken, when: When) -> None:
    """``OutOfDate`` when the database saw another config version than the decision's, and
    so wrote nothing."""
    if taken.version != when.version:
        raise OutOfDate(when.org_id)


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
        extra={"trace": [t._asdict() for t in trace]},
    )

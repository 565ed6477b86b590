"""One outbound decision as a conversation with the database (rules O1-O7): ``choosing``
decides on the org's index and, when the database must take part, asks it a question (a
pool's choice, or counting the call on the number chosen) and goes on with the answer. The
service drives it with statements sent as they are (``decide_outbound``) or on the event
loop's pipeline (``decide_outbound_on_loop``): one decision, two ways to talk to PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import phonenumbers

from numberdesk.domain.callerid import (
    Call,
    Callee,
    CampaignPlan,
    Candidate,
    Decision,
    Picked,
    Snapshot,
    Step,
    Tier,
    Usage,
    daily_cap,
    deciding,
    is_sticky,
    policy_of,
)
from numberdesk.domain.errors import Conflict, not_found
from numberdesk.domain.phones import REMEMBERED, e164_of, parse_phone
from numberdesk.domain.regions import region_of
from numberdesk.domain.trace import TraceEntry
from numberdesk.services.callerid_index import Indexed, org_day
from numberdesk.services.snapshots import OutOfDate
from numberdesk.store.callerid import Attempt, Taken, When


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


@dataclass(frozen=True)
class Asked:
    """One outbound call as the PBX (or "try a call") asked about it."""

    agent_id: str
    to: str
    campaign_id: str | None
    caller_id: str | None
    call_id: str
    dry_run: bool


class Pick(NamedTuple):
    """A decision's question: a pool's choice (O5), the call counted on the number chosen."""

    tier: Tier
    when: When
    attempt: Attempt | None
    step: str
    sticky_to: str | None


class Count(NamedTuple):
    """A decision's question: count the call on the number chosen and record it (O6, O7)."""

    number_id: str
    when: When
    attempt: Attempt
    step: str


def choosing(
    indexed: Indexed, org_id: str, asked: Asked, now: datetime
) -> Generator[Pick | Count, Taken, OutboundAnswer]:
    """The decision on ``indexed``, asking whoever drives it to choose in a pool or to count
    the call (a dry run counts nothing), told what the database took. When a pool must
    choose, the database chooses (the callee's last caller ID if the call is sticky and it is
    eligible, else the number used least today, then least recently) and counts the call on
    it; a number chosen otherwise is counted after. A number that reached its daily cap
    meanwhile is left out and the decision runs again, moving on along the policy (O5, O6).
    ``OutOfDate`` when the database wrote nothing because the config version moved."""
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
    usage = Usage()
    sticky_to = call.callee.e164 if is_sticky(call) else None
    while True:
        walk = deciding(snapshot, usage, call, when.now)
        try:
            ask = next(walk)
            while True:  # the walk goes on with each pool's choice
                taken = yield Pick(ask.tier, when, attempt, ask.step, sticky_to)
                _still_current(taken, when)
                usage.picks[ask.tier.key] = taken.number_id  # not asked again if walked again
                ask = walk.send(Picked(taken.number_id, taken.sticky))
        except StopIteration as walked:
            decision: Decision = walked.value
        number, step = decision.number, str(decision.step)
        if number is None:
            raise _nothing_eligible(decision.trace)
        if attempt is None or decision.picked:
            return OutboundAnswer(asked.call_id, number, step, decision.trace)
        taken = yield Count(number.id, when, attempt, step)
        _still_current(taken, when)
        if taken.number_id is not None:
            return OutboundAnswer(asked.call_id, number, step, decision.trace)
        usage.calls_today[number.id] = when.cap or 0  # only a cap refuses a count: walk again


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


def _still_current(taken: Taken, when: When) -> None:
    """``OutOfDate`` when the database saw another config version than the decision's, and
    so wrote nothing."""
    if taken.version != when.version:
        raise OutOfDate(when.org_id)


def _nothing_eligible(trace: tuple[TraceEntry, ...]) -> Conflict:
    return Conflict(
        "no_caller_id",
        "No number may be shown for this call (rule O7): every step of the policy was "
        "tried; the trace says why each was skipped.",
        extra={"trace": [t._asdict() for t in trace]},
    )

"""The tiers of the caller-ID policy (rule O3): for each step, the pools of numbers it reads
for a call, in order of preference, and what to say when a step has none."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from numberdesk.domain.callerid_index import (
    EMPTY,
    AgentCard,
    CampaignPlan,
    Candidate,
    Pool,
    Snapshot,
)
from numberdesk.domain.errors import invalid_field


class Step(StrEnum):
    """One step of a caller-ID policy (O3)."""

    LOCAL_PRESENCE = "local_presence"
    NEARBY = "nearby"
    AGENT = "agent"
    CAMPAIGN = "campaign"
    PERSONAL = "personal"
    COMPANY = "company"
    ORGANISATION = "organisation"
    REQUESTED = "requested"  # not a policy step: the caller asked for a caller ID (O2)


POLICY_STEPS = tuple(s for s in Step if s is not Step.REQUESTED)


def check_policy(steps: list[str], field: str = "caller_id_policy") -> list[str]:
    """A policy is a non-empty list of known steps, each at most once (O3)."""
    if not steps:
        raise invalid_field(field, 'give at least one step, e.g. ["local_presence", "agent"]')
    known = {s.value for s in POLICY_STEPS}
    seen: set[str] = set()
    for step in steps:
        if step not in known:
            raise invalid_field(
                field, f"{step!r} is not a step; use some of {', '.join(s for s in POLICY_STEPS)}"
            )
        if step in seen:
            raise invalid_field(field, f"{step!r} is listed twice; list each step once")
        seen.add(step)
    return list(steps)


@dataclass(frozen=True, slots=True)
class Callee:
    """The person we call: E.164, country, national significant number, region."""

    e164: str
    country: str
    national: str
    region: str | None


@dataclass(frozen=True, slots=True)
class Call:
    """One outbound call to decide (O1)."""

    agent: AgentCard
    callee: Callee
    campaign: CampaignPlan | None = None
    requested: str | None = None  # a requested caller ID, E.164


@dataclass(frozen=True, slots=True)
class Tier:
    """Candidates of one step in one order of preference: what they are, their pool, and the
    key the pool's use is kept under."""

    label: str
    pool: Pool
    key: str


def _local_tiers(snapshot: Snapshot, call: Call) -> list[Tier]:
    """Longest area-code match first; in each: the agent's caller ID, the campaign's, the org's."""
    callee, campaign = call.callee, call.campaign
    agent_number = call.agent.caller_number
    mine = snapshot.campaign_pools(campaign).by_area_code if campaign else {}
    tiers: list[Tier] = []
    for length in range(min(len(callee.national), 6), 0, -1):
        key = (callee.country, callee.national[:length])
        org_pool = snapshot.by_area_code.get(key)
        if not org_pool:
            continue
        code = key[1]
        if agent_number and key == (agent_number.country, code) and code in agent_number.area_codes:
            tiers.append(_one(f"the agent's caller ID covers area code {code}", agent_number))
        if campaign:
            tiers.append(
                Tier(
                    f"a campaign number covers area code {code}",
                    mine.get(key, EMPTY),
                    f"local:{campaign.id}:{key[0]}:{code}",
                )
            )
        where = f"local:{key[0]}:{code}"
        tiers.append(Tier(f"an organisation number covers area code {code}", org_pool, where))
    return tiers


def tiers_of(step: str, snapshot: Snapshot, call: Call) -> list[Tier]:
    """The tiers a step reads for the call, in order of preference (``step``: a policy's
    word, compared with the steps as the string it is)."""
    campaign, callee = call.campaign, call.callee
    if step == Step.LOCAL_PRESENCE:
        return _local_tiers(snapshot, call)
    if step == Step.NEARBY:
        key = (callee.country, callee.region or "")
        where = f"in {callee.region}"
        tiers = [
            Tier(
                f"an organisation number {where}",
                snapshot.by_region.get(key, EMPTY),
                f"near:{key[0]}:{key[1]}",
            )
        ]
        if campaign:
            mine = snapshot.campaign_pools(campaign).by_region.get(key, EMPTY)
            tiers.insert(
                0, Tier(f"a campaign number {where}", mine, f"near:{campaign.id}:{key[0]}:{key[1]}")
            )
        return tiers
    if step == Step.CAMPAIGN:
        if campaign is None:
            return []
        pools = snapshot.campaign_pools(campaign)
        home = pools.by_country.get(callee.country, EMPTY)
        return [
            Tier(
                f"a campaign number in {callee.country}",
                home,
                f"campaign:{campaign.id}:{callee.country}",
            ),
            Tier("a campaign number", pools.every, f"campaign:{campaign.id}"),
        ]
    label, number = _the_one(step, snapshot, call.agent)
    return [_one(label, number)] if number else []


def pools_by_key(snapshot: Snapshot) -> dict[str, Pool]:
    """Every pool a decision on ``snapshot`` may ask to pick from (O5), by the key its use is
    kept under: the keys ``tiers_of`` gives its tiers. The store's copies of pools are
    compared with them."""
    pools: dict[str, Pool] = {}
    for (country, code), pool in snapshot.by_area_code.items():
        pools[f"local:{country}:{code}"] = pool
    for (country, region), pool in snapshot.by_region.items():
        pools[f"near:{country}:{region}"] = pool
    for plan in snapshot.campaigns.values():
        mine = snapshot.campaign_pools(plan)
        for (country, code), pool in mine.by_area_code.items():
            pools[f"local:{plan.id}:{country}:{code}"] = pool
        for (country, region), pool in mine.by_region.items():
            pools[f"near:{plan.id}:{country}:{region}"] = pool
        for country, pool in mine.by_country.items():
            pools[f"campaign:{plan.id}:{country}"] = pool
        pools[f"campaign:{plan.id}"] = mine.every
    return pools


def _the_one(step: str, snapshot: Snapshot, agent: AgentCard) -> tuple[str, Candidate | None]:
    """The number a step of one number reads, and what to call it in the trace."""
    if step == Step.AGENT:
        return "the agent's caller ID", agent.caller_number
    if step == Step.PERSONAL:
        return "the agent's personal number", agent.personal_number
    if step == Step.COMPANY:
        return "the agent's company number", agent.company_number
    return "the organisation's default caller ID", snapshot.default_number


def _one(label: str, number: Candidate) -> Tier:
    """A tier of one number (the agent's caller ID, personal, company, the org default)."""
    return Tier(label, Pool((number,)), f"one:{number.id}")


def nothing_for(step: str, call: Call) -> str:
    """Why a step found no candidates at all (a ``no_match`` in the trace)."""
    callee = call.callee
    if step == Step.LOCAL_PRESENCE:
        return f"no number covers the area code of {callee.e164}"
    if step == Step.NEARBY:
        return f"no number in {callee.region or 'an unknown region'}"
    if step == Step.CAMPAIGN:
        return "no campaign" if call.campaign is None else "the campaign has no numbers"
    return NO_NUMBER_OF_ITS_OWN[step]


NO_NUMBER_OF_ITS_OWN: dict[str, str] = {
    Step.AGENT: "the agent's card has no caller ID",
    Step.PERSONAL: "the agent has no personal number",
    Step.COMPANY: "the agent has no company number",
    Step.ORGANISATION: "the organisation has no default caller ID",
}

"""The caller-ID index (rules O3-O5): what the outbound decision reads about one org.

Built once per configuration change (``services/callerid_index.build_index``), never per call: the
numbers as ``Candidate`` values, agent cards, campaigns, and the numbers grouped into the
``Pool`` of every tier a policy step reads (by area code, by region, per campaign). A pool
holds the numbers that may be chosen (O5 picks among them) apart from those that can never be
chosen as the configuration stands, kept only to explain a skipped step. The decision reads a
pool's pick instead of walking it, so its cost does not grow with the size of the org.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from hashlib import blake2b
from typing import NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A number as the decision sees it. ``unusable`` says why it can never be chosen (O4)."""

    id: str
    e164: str
    country: str
    area_codes: tuple[str, ...]  # its own first, then the mapped ones
    region: str | None
    masked: bool
    unusable: str | None = None  # e.g. "is suspended", "cannot make calls", "needs an address"
    rested_until: datetime | None = None
    display_name: str | None = None
    mandate_ends: datetime | None = None  # the mandate it depends on runs out then (C3)


class AgentNumbers(NamedTuple):
    """The numbers a user's card names for outbound calls: its caller ID (E.164), its personal
    and company numbers (ids). ``build_snapshot`` finds them among the org's (``AgentCard``)."""

    id: str
    caller_id: str | None = None
    personal_number_id: str | None = None
    company_number_id: str | None = None


@dataclass(frozen=True, slots=True)
class AgentCard:
    """An agent's numbers for outbound calls, found among the org's when it is indexed (None:
    the card names none, or one that is not the org's): a call reads the number itself instead
    of looking it up among a big org's million."""

    id: str
    caller_number: Candidate | None = None
    personal_number: Candidate | None = None
    company_number: Candidate | None = None


@dataclass(frozen=True, slots=True)
class Pool:
    """The numbers of one tier: ``usable`` may be picked (O5); ``unusable`` never can. They
    are held as values, so the call path reads them without a look-up by id. ``members`` and
    ``fingerprint`` are worked out on first use and kept (in slots: a value of the index has
    no ``__dict__``, one pointer less to follow to a number of a big org's cold heap)."""

    usable: tuple[Candidate, ...] = ()
    unusable: tuple[Candidate, ...] = ()
    _members: dict[str, Candidate] | None = field(
        default=None, init=False, compare=False, repr=False
    )
    _fingerprint: str | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def members(self) -> dict[str, Candidate]:
        """The usable numbers by id (is the callee's last caller ID one of them?)."""
        members = self._members
        if members is None:
            members = {c.id: c for c in self.usable}
            object.__setattr__(self, "_members", members)
        return members

    @property
    def fingerprint(self) -> str:
        """Names the usable numbers and when each rests or loses its mandate: the store copies
        a pool again when its fingerprint changed."""
        fingerprint = self._fingerprint
        if fingerprint is None:
            digest = blake2b(digest_size=16)
            for c in self.usable:
                digest.update(f"{c.id}|{c.rested_until}|{c.mandate_ends};".encode())
            fingerprint = digest.hexdigest()
            object.__setattr__(self, "_fingerprint", fingerprint)
        return fingerprint

    def __bool__(self) -> bool:
        return bool(self.usable or self.unusable)


EMPTY = Pool()


@dataclass(frozen=True, slots=True)
class CampaignPools:
    """A campaign's numbers grouped the way its steps read them."""

    by_area_code: Mapping[tuple[str, str], Pool] = field(default_factory=dict)
    by_region: Mapping[tuple[str, str], Pool] = field(default_factory=dict)
    by_country: Mapping[str, Pool] = field(default_factory=dict)
    every: Pool = EMPTY


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """A campaign's numbers (direct, then through groups), policy and options; ``pools`` is
    filled by ``build_snapshot`` (made on the fly for a plan built elsewhere)."""

    id: str
    number_ids: tuple[str, ...]
    policy: tuple[str, ...] | None = None
    daily_cap: int | None = None
    sticky: bool = True
    pools: CampaignPools | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything the decision reads about one org, indexed for the call path."""

    numbers: Mapping[str, Candidate]
    by_e164: Mapping[str, Candidate]
    by_area_code: Mapping[tuple[str, str], Pool]  # (country, area code) -> its numbers
    by_region: Mapping[tuple[str, str], Pool]  # (country, region) -> its numbers
    agents: Mapping[str, AgentCard]
    campaigns: Mapping[str, CampaignPlan]
    policy: tuple[str, ...]
    default_caller_id: str | None = None
    daily_cap: int | None = None

    @cached_property
    def default_number(self) -> Candidate | None:
        """The organisation's default caller ID, if it is one of its numbers."""
        return self.by_e164.get(self.default_caller_id or "")

    def campaign_pools(self, plan: CampaignPlan) -> CampaignPools:
        """The campaign's pools, as indexed (or grouped now for a plan built elsewhere)."""
        return plan.pools or campaign_pools(self.numbers, plan.number_ids)


def pools_by(
    candidates: Iterable[Candidate], keys: Callable[[Candidate], Iterable[K]]
) -> dict[K, Pool]:
    """Group candidates into a pool under each of their keys, in id order."""
    grouped: dict[K, list[Candidate]] = {}
    for c in candidates:
        for key in keys(c):
            grouped.setdefault(key, []).append(c)
    return {key: pool_of(members) for key, members in grouped.items()}


def pool_of(candidates: Iterable[Candidate]) -> Pool:
    """One pool of these numbers, in id order."""
    ordered = sorted(candidates, key=lambda c: c.id)
    return Pool(
        tuple(c for c in ordered if not c.unusable), tuple(c for c in ordered if c.unusable)
    )


def area_keys(c: Candidate) -> list[tuple[str, str]]:
    """Every (country, area code) a number covers: its own and the mapped ones (O3)."""
    return [(c.country, code) for code in c.area_codes]


def region_keys(c: Candidate) -> list[tuple[str, str]]:
    """The (country, region) a number is in, if known (the ``nearby`` step)."""
    return [(c.country, c.region)] if c.region else []


def campaign_pools(numbers: Mapping[str, Candidate], number_ids: Iterable[str]) -> CampaignPools:
    """Group one campaign's numbers for its local-presence, nearby and campaign steps."""
    mine = [numbers[i] for i in dict.fromkeys(number_ids) if i in numbers]
    return CampaignPools(
        by_area_code=pools_by(mine, area_keys),
        by_region=pools_by(mine, region_keys),
        by_country=pools_by(mine, lambda c: [c.country]),
        every=pool_of(mine) if mine else EMPTY,
    )


def planned(plan: CampaignPlan, numbers: Mapping[str, Candidate]) -> CampaignPlan:
    """The campaign's plan with its numbers grouped into its pools."""
    return replace(plan, pools=campaign_pools(numbers, plan.number_ids))


def card_of(
    agent: AgentNumbers, by_id: Mapping[str, Candidate], by_e164: Mapping[str, Candidate]
) -> AgentCard:
    """The agent's card: the numbers it names, found among the org's."""
    return AgentCard(
        agent.id,
        caller_number=by_e164.get(agent.caller_id or ""),
        personal_number=by_id.get(agent.personal_number_id or ""),
        company_number=by_id.get(agent.company_number_id or ""),
    )


def build_snapshot(
    numbers: Iterable[Candidate],
    *,
    agents: Iterable[AgentNumbers] = (),
    campaigns: Iterable[CampaignPlan] = (),
    policy: tuple[str, ...],
    default_caller_id: str | None = None,
    daily_cap: int | None = None,
) -> Snapshot:
    """Index an org for the call path: numbers by E.164, pools by area code and by region,
    and each campaign's pools."""
    by_id = {c.id: c for c in numbers}
    by_e164 = {c.e164: c for c in by_id.values()}
    plans = {c.id: planned(c, by_id) for c in campaigns}
    return Snapshot(
        numbers=by_id,
        by_e164=by_e164,
        by_area_code=pools_by(by_id.values(), area_keys),
        by_region=pools_by(by_id.values(), region_keys),
        agents={a.id: card_of(a, by_id, by_e164) for a in agents},
        campaigns=plans,
        policy=policy,
        default_caller_id=default_caller_id,
        daily_cap=daily_cap,
    )

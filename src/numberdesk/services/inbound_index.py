"""The inbound call path's per-process index of one org's configuration (rules I1-I6).

Each process keeps, per org, in ``desk.snapshots["inbound:<org id>"]``: the live numbers by
E.164 with their parsed routes and company settings, the live agents (without presence, which
changes all the time and is read per call), queues and custom destinations. It is renewed only
when the org's ``config_version`` moved (``services/audit.record`` moves it on every
configuration change but presence and API keys), so several API processes stay correct
(``services/snapshots.on_current_index``): refreshed with the changes past its version
(``services/index_changes``), the numbers they name read again, or built whole when the org's
country changed or a change is not one the refresh follows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from numberdesk.domain.company import CompanySettings, check_company_settings, windows_from_json
from numberdesk.domain.errors import Problem
from numberdesk.domain.inbound import Agent, DialledNumber
from numberdesk.domain.numbers import CallPathNumber
from numberdesk.domain.orgs import Org
from numberdesk.domain.routes import NOT_ASSIGNED, Route, check_route
from numberdesk.domain.users import User
from numberdesk.services.index_changes import OF_A_NUMBER, refreshable
from numberdesk.store.inbound import InboundRepo
from numberdesk.store.routes import CompanyNumber, routes_in
from numberdesk.store.uow import Transaction

log = logging.getLogger("numberdesk.inbound")


@dataclass(frozen=True)
class InboundIndex:
    """One org's inbound configuration and the config version it was built from."""

    version: int
    country: str
    timezone: ZoneInfo
    numbers: Mapping[str, DialledNumber]  # by E.164
    agents: Mapping[str, Agent]  # live users by id; presence is read per call
    queues: Mapping[str, str | None]  # id -> SIP URI
    destinations: Mapping[str, str]  # id -> SIP URI


def key_of(org_id: str) -> str:
    """Where the org's index lives in ``desk.snapshots``."""
    return f"inbound:{org_id}"


# What the refresh follows (numbers; the rest of the index is read again each time) or may
# pass over (a number an address, mandate or port-in changes has a change of its own); any
# other change builds the index whole.
FOLLOWED = OF_A_NUMBER | {"user", "queue", "destination", "org"}
PASSED_OVER = frozenset({"campaign", "group", "address", "mandate", "sponsor", "port_in"})


def current_index(
    tx: Transaction, repo: InboundRepo, org: Org, held: InboundIndex | None
) -> InboundIndex:
    """The org's inbound index as its configuration stands: ``held`` refreshed with the
    changes past its version when it can be, else built whole."""
    same_country = held is not None and held.country == org.country  # routes read with it
    changes = refreshable(tx, org, held.version if held else None, FOLLOWED | PASSED_OVER)
    if held is None or changes is None or not same_country:
        return build_index(tx, repo, org)
    numbers = dict(held.numbers)
    companies = routes_in(tx).companies(org.org_id, changes.numbers)
    for n in tx.numbers.call_path_by_ids(org.org_id, changes.numbers):
        if n.is_live:
            numbers[n.e164] = _dialled(n, org.country, companies.get(n.id))
        elif (was := numbers.get(n.e164)) is not None and was.id == n.id:
            del numbers[n.e164]
    return _index(tx, repo, org, numbers)


def build_index(tx: Transaction, repo: InboundRepo, org: Org) -> InboundIndex:
    """Load and parse everything the inbound decision reads about one org (not on the call
    path: only when its configuration changed). The org row is read first, so the index is
    never newer-tagged than its contents."""
    companies = routes_in(tx).companies(org.org_id)
    numbers = {
        n.e164: _dialled(n, org.country, companies.get(n.id))
        for page in tx.numbers.live_pages(org.org_id)
        for n in page
    }
    return _index(tx, repo, org, numbers)


def _index(
    tx: Transaction, repo: InboundRepo, org: Org, numbers: Mapping[str, DialledNumber]
) -> InboundIndex:
    """The index of ``numbers``, with the org's agents, queues and destinations read now."""
    return InboundIndex(
        version=org.config_version,
        country=org.country,
        timezone=ZoneInfo(org.timezone),
        numbers=numbers,
        agents={u.id: _agent(u) for u in tx.users.live(org.org_id)},
        queues=repo.queues(org.org_id),
        destinations=repo.destinations(org.org_id),
    )


def _dialled(number: CallPathNumber, country: str, stored: CompanyNumber | None) -> DialledNumber:
    """A number as the decision reads it, with its ``stored`` company settings if any. Routes
    and settings were checked when saved; one that no longer reads is logged and treated as
    not assigned (disconnect, I1)."""
    route: Route = NOT_ASSIGNED
    company: CompanySettings | None = None
    try:
        if number.route:
            route = check_route(number.route, country=country)
        if stored is not None:
            company = check_company_settings(stored.settings, country=country)
    except Problem as problem:
        log.warning("number %s: stored inbound settings unreadable: %s", number.id, problem)
        route, company = NOT_ASSIGNED, None
    return DialledNumber(
        id=number.id,
        e164=number.e164,
        status=number.status,
        kind=number.kind,
        route=route,
        forward_to=number.forward_to,
        company=company,
    )


def _agent(user: User) -> Agent:
    """A user as the call path sees them, without presence (I3, I6)."""
    hours = windows_from_json(user.business_hours) if user.business_hours else None
    return Agent(
        id=user.id,
        extension=user.extension,
        work_phone=user.work_phone,
        voicemail_email=user.voicemail_email,
        not_reachable_number=user.not_reachable_number,
        greeting_url=user.greeting_url,
        business_hours=hours,
    )

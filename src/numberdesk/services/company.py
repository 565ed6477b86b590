"""Company-number settings (I5-I11): owners and admins set them, every user reads them.

The settings (unknown-caller rules, source, tag, concurrent-call limit) are checked by
``domain.company.check_company_settings`` against the org's live users and stored as their
JSON; each change is audited as entity ``company_number`` (A3), which also moves the org's
``config_version`` so the call path refreshes its index. Saving settings does not change the
number's route: a number answers as a company number only when its route is ``company``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from numberdesk.domain.company import CompanySettings, check_company_settings
from numberdesk.domain.errors import NotFound
from numberdesk.domain.numbers import Number, require_still_live
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.routes import RouteType, require_routable
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.store.routes import CompanyNumber, routes_in
from numberdesk.store.uow import Transaction

ENTITY = "company_number"


@dataclass(frozen=True)
class CompanyView:
    """A company number's settings as the API shows them, with a reminder when unused."""

    number_id: str
    settings: CompanySettings
    updated_at: datetime
    hint: str | None = None  # set when the number's route is not ``company`` (the settings wait)


def set_company(desk: Desk, actor: Actor, number_id: str, data: object) -> CompanyView:
    """Save a number's company settings, replacing any earlier ones (owners and admins, I11)."""
    require_manager(actor, "change company-number settings (rule I11)")
    now = desk.now()
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        repo = routes_in(tx)
        number = tx.numbers.lock(actor.org_id, number_id)
        require_still_live(number)
        require_routable(number, "a company number")
        agents = repo.known_targets(actor.org_id).agents
        settings = check_company_settings(data, country=org.country, agents=agents)
        before = repo.company(actor.org_id, number_id)
        stored = before
        if before is None or before.settings != settings.to_json():
            stored = repo.put_company(
                CompanyNumber(actor.org_id, number_id, settings.to_json(), now)
            )
            action = "create" if before is None else "update"
            record(tx, now, actor, ENTITY, number_id, action, _picture(before), _picture(stored))
        assert stored is not None
        return CompanyView(number_id, settings, stored.updated_at, _hint(number))


def get_company(desk: Desk, actor: Actor, number_id: str) -> CompanyView:
    """Read a number's company settings (any user of the org, I11); 404 when none are saved."""
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        number = tx.numbers.require(actor.org_id, number_id)
        stored = routes_in(tx).company(actor.org_id, number_id)
        if stored is None:
            raise NotFound(
                "company_settings_not_found",
                f"{number.e164} has no company-number settings yet; an owner or admin sets them "
                f"with PUT /v1/numbers/{number_id}/company (rules I5, I11)",
            )
        settings = check_company_settings(stored.settings, country=org.country)
        return CompanyView(number_id, settings, stored.updated_at, _hint(number))


def clear_for_leaving(tx: Transaction, at: datetime, actor: Actor | None, number: Number) -> None:
    """A number that leaves (N8) takes its company settings with it, audited."""
    repo = routes_in(tx)
    found = repo.company(number.org_id, number.id)
    if found is not None:
        repo.remove_company(number.org_id, number.id)
        change = _picture(found), None
        record(tx, at, actor, ENTITY, number.id, "remove", *change, org_id=number.org_id)


def _picture(company: CompanyNumber | None) -> dict[str, Any] | None:
    """The settings' before/after for the audit trail (A3)."""
    if company is None:
        return None
    return {"number_id": company.number_id, **company.settings}


def _hint(number: Number) -> str | None:
    """A reminder that the settings decide nothing while the route is not ``company``."""
    kind = (number.route or {}).get("type", RouteType.NOT_ASSIGNED.value)
    if kind == RouteType.COMPANY.value:
        return None
    return (
        f"The route of {number.e164} is {kind}, so these settings are not used yet; make it a "
        f'company number with PUT /v1/numbers/{number.id}/route {{"type": "company"}} (rule I2)'
    )

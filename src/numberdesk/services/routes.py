"""Inbound routes (I1, I2, N2, N11): owners and admins set what a call to a number does.

One route, or the same route for many numbers at once (all or nothing). The route is checked
by ``domain.routes.check_route`` against the org's live users, queues and custom destinations,
and stored on the number's row as its JSON (``not_assigned`` is stored as null). Every changed
number gets an audit entry (A3), which also moves the org's ``config_version``: the call
path refreshes its index. A ``company`` route may be set before the number has company settings;
until it has them, calls to it are disconnected with reason ``company_not_configured``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from numberdesk.domain.errors import invalid_field, not_found
from numberdesk.domain.numbers import require_still_live
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.routes import Route, RouteType, check_route, require_routable
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView, require_external, views_of
from numberdesk.store.routes import routes_in

MAX_NUMBERS_PER_REQUEST = 500


def set_route(desk: Desk, actor: Actor, number_id: str, data: object) -> NumberView:
    """Set one number's inbound route (owners and admins, I2)."""
    return _set(desk, actor, [number_id], data, where="")[0]


def set_routes(
    desk: Desk, actor: Actor, number_ids: Sequence[str], data: object
) -> list[NumberView]:
    """Give many numbers the same route in one request (I2): every number is changed, or none."""
    return _set(desk, actor, _check_ids(number_ids), data, where="route")


def _check_ids(number_ids: Sequence[str]) -> list[str]:
    if not number_ids:
        raise invalid_field("number_ids", "give at least one number id")
    ids = list(dict.fromkeys(number_ids))
    if len(ids) > MAX_NUMBERS_PER_REQUEST:
        raise invalid_field(
            "number_ids",
            f"{len(ids)} numbers given; set routes for at most {MAX_NUMBERS_PER_REQUEST} "
            "numbers per request: split the list",
            code="too_many_numbers",
        )
    return ids


def _set(
    desk: Desk, actor: Actor, number_ids: list[str], data: object, *, where: str
) -> list[NumberView]:
    require_manager(actor, "change inbound routes")
    now = desk.now()
    org_id = actor.org_id
    with desk.store.transaction() as tx:
        org = tx.orgs.require(org_id)
        repo = routes_in(tx)
        found = {n.id: n for n in repo.lock_numbers(org_id, number_ids)}
        for number_id in number_ids:
            if number_id not in found:
                raise not_found("number", number_id)  # another org's number too (A1)
        numbers = [found[i] for i in number_ids]
        for number in numbers:
            require_still_live(number)
            require_routable(number, "given an inbound route")
        route = check_route(
            data, country=org.country, where=where, known=repo.known_targets(org_id)
        )
        for field, e164 in _forwards(route, where):
            require_external(tx, org_id, e164, field)
        stored = None if route.type is RouteType.NOT_ASSIGNED else route.to_json()
        changed = [n for n in numbers if n.route != stored]
        repo.set_route(org_id, (n.id for n in changed), stored)
        mapped = tx.area_codes.of_numbers(org_id, (n.id for n in changed))
        for number in changed:
            codes = mapped.get(number.id, [])
            after = dataclasses.replace(number, route=stored)
            change = picture(number, codes), picture(after, codes)
            record(tx, now, actor, "number", number.id, "route", *change)
        return views_of(tx, org_id, [dataclasses.replace(n, route=stored) for n in numbers])


def _forwards(route: Route, where: str) -> Iterator[tuple[str, str]]:
    """Every ``forward_to`` of the route and its fallbacks, with its field name."""
    prefix = f"{where}." if where else ""
    for depth, at in enumerate(route.chain()):
        if at.forward_to:
            yield f"{prefix}{'fallback.' * depth}forward_to", at.forward_to

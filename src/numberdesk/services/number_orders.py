"""Buying numbers: search the carrier's inventory, then order all-or-nothing (N1, N4).

The carrier is an external system with its own transactions: we order there first, then
record the order in ONE transaction of ours, and give the numbers back if that fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from numberdesk.carriers.base import OfferedNumber
from numberdesk.domain import areacodes
from numberdesk.domain.errors import Conflict, Invalid, invalid_field
from numberdesk.domain.ids import new_id
from numberdesk.domain.mandates import Mandate
from numberdesk.domain.numbers import (
    MAX_ORDER_QUANTITY,
    Kind,
    Number,
    NumberOrder,
    Origin,
    Status,
    all_area_codes,
    check_area_code_syntax,
    check_kind_to_buy,
    check_quantity,
    unknown_area_code,
)
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.phones import parse_phone, supported_country
from numberdesk.services import mandates
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.idempotency import Answer, check_key, fingerprint, replay
from numberdesk.services.numbers import NumberView
from numberdesk.store.idempotency import StoredAnswer
from numberdesk.store.uow import Transaction

log = logging.getLogger("numberdesk.orders")
Render = Callable[[NumberOrder, list[NumberView]], dict[str, Any]]


@dataclass(frozen=True)
class OrderRequest:
    """What the caller asked for: a quantity in a country (and area code), or exact numbers."""

    kind: str
    country: str | None = None
    area_code: str | None = None
    quantity: int | None = None
    numbers: list[str] | None = None
    sponsor_id: str | None = None
    mandate_id: str | None = None


@dataclass(frozen=True)
class _Plan:
    """A validated order."""

    country: str
    area_code: str | None
    kind: Kind
    quantity: int
    e164s: tuple[str, ...] | None
    sponsor_id: str | None = None
    mandate_id: str | None = None

    def fingerprint(self) -> str:
        return fingerprint("number_order", asdict(self))


def search_available(
    desk: Desk, country: str, area_code: str | None, kind: str, limit: int
) -> list[OfferedNumber]:
    """Numbers the carrier offers now in a country (and area code) of a kind (N4)."""
    code = supported_country(country)
    wanted = check_kind_to_buy(kind)
    area = _known_area_code(code, area_code) if area_code else None
    return desk.carrier.search(code, area, wanted.value, limit)


def list_area_codes(country: str) -> list[tuple[str, str | None]]:
    """Every geographic area code of a country with the name of its area."""
    code = supported_country(country)
    return [(ac, areacodes.area_name(code, ac)) for ac in areacodes.area_codes(code)]


def buy_numbers(
    desk: Desk,
    actor: Actor,
    request: OrderRequest,
    *,
    render: Render,
    idempotency_key: str | None = None,
) -> Answer:
    """Buy numbers all-or-nothing; a retry with the same Idempotency-Key buys nothing more."""
    require_manager(actor, "buy numbers")
    if idempotency_key is not None:
        check_key(idempotency_key)
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        plan = _plan(request, org.country)
        stored = tx.idempotency.get(actor.org_id, idempotency_key) if idempotency_key else None
        if stored is None:  # a retry replays its answer, though the numbers are ours by now
            for e164 in plan.e164s or ():
                if tx.numbers.live_by_e164(actor.org_id, e164):
                    raise Conflict(
                        "number_already_yours", f"{e164} is already one of your numbers."
                    )
            if plan.sponsor_id is not None:
                _sponsor_mandate(tx, actor.org_id, plan, desk.now())
    if stored is not None:
        return _replay(stored, plan)
    offers = _order_at_carrier(desk, actor.org_id, plan)
    try:
        return _record(desk, actor, plan, offers, render, idempotency_key)
    except Exception:
        _give_back(desk, actor.org_id, offers)
        twin = _stored(desk, actor.org_id, idempotency_key)
        if twin is not None:  # a concurrent request with the same key won the race
            return _replay(twin, plan)
        raise


def _plan(request: OrderRequest, org_country: str) -> _Plan:
    kind = check_kind_to_buy(request.kind)
    if request.numbers is not None:
        plan = _plan_exact(request, kind, org_country)
    else:
        plan = _plan_quantity(request, kind)
    if request.mandate_id is not None and request.sponsor_id is None:
        raise invalid_field(
            "mandate_id", "chooses the sponsor's purchase mandate (N5); give sponsor_id too"
        )
    return replace(plan, sponsor_id=request.sponsor_id, mandate_id=request.mandate_id)


def _sponsor_mandate(tx: Transaction, org_id: str, plan: _Plan, at: datetime) -> Mandate:
    """The sponsor's active purchase mandate this order is bought under (N5)."""
    assert plan.sponsor_id is not None
    e164s = list(plan.e164s) if plan.e164s is not None else None
    return mandates.purchase_mandate(tx, org_id, plan.sponsor_id, plan.mandate_id, e164s, at)


def _plan_quantity(request: OrderRequest, kind: Kind) -> _Plan:
    if request.country is None:
        raise invalid_field("country", "say which country to buy in, such as US")
    if request.quantity is None:
        raise invalid_field("quantity", f"say how many numbers to buy (1 to {MAX_ORDER_QUANTITY})")
    country = supported_country(request.country)
    area = _known_area_code(country, request.area_code) if request.area_code else None
    return _Plan(country, area, kind, check_quantity(request.quantity), None)


def _plan_exact(request: OrderRequest, kind: Kind, org_country: str) -> _Plan:
    """Exact numbers; national input is read with the given country, else the org's (N1)."""
    numbers = request.numbers or []
    if request.quantity is not None or request.area_code is not None:
        raise Invalid(
            "invalid_order",
            "Give either `numbers` or `quantity` (with `country` and `area_code`), not both.",
        )
    if not 1 <= len(numbers) <= MAX_ORDER_QUANTITY:
        raise invalid_field("numbers", f"list 1 to {MAX_ORDER_QUANTITY} numbers to buy")
    default = supported_country(request.country) if request.country else org_country
    parsed = [parse_phone(raw, default, field=f"numbers[{i}]") for i, raw in enumerate(numbers)]
    e164s = [p.e164 for p in parsed]
    if len(set(e164s)) != len(e164s):
        raise invalid_field("numbers", "a number is listed twice; list each number once")
    countries = {p.country for p in parsed}
    if len(countries) > 1 or (request.country and default not in countries):
        raise invalid_field(
            "numbers",
            f"all numbers of one order must be in one country ({default}); order "
            "each country's numbers separately",
        )
    return _Plan(parsed[0].country, None, kind, len(e164s), tuple(e164s))


def _known_area_code(country: str, area_code: str) -> str:
    code = check_area_code_syntax(area_code)
    if not areacodes.is_area_code(country, code):
        raise unknown_area_code(country, code)
    return code


def _order_at_carrier(desk: Desk, org_id: str, plan: _Plan) -> list[OfferedNumber]:
    if plan.e164s is not None:
        return desk.carrier.order_numbers(org_id, list(plan.e164s), plan.kind.value)
    return desk.carrier.order(org_id, plan.country, plan.area_code, plan.kind.value, plan.quantity)


def _record(
    desk: Desk,
    actor: Actor,
    plan: _Plan,
    offers: list[OfferedNumber],
    render: Render,
    idempotency_key: str | None,
) -> Answer:
    """Write the order, its numbers, their audit entries and the answer, all at once."""
    now = desk.now()
    order = NumberOrder(
        org_id=actor.org_id,
        id=new_id("ord"),
        country=plan.country,
        kind=plan.kind,
        quantity=plan.quantity,
        created_at=now,
        area_code=plan.area_code,
        sponsor_id=plan.sponsor_id,
        created_by=actor.user_id,
    )
    with desk.store.transaction() as tx:
        mandate = _sponsor_mandate(tx, actor.org_id, plan, now) if plan.sponsor_id else None
        numbers = [_bought(order, offer, mandate) for offer in offers]
        body = render(order, [NumberView(n, all_area_codes(n, [])) for n in numbers])
        if idempotency_key is not None:
            answer = StoredAnswer(actor.org_id, idempotency_key, plan.fingerprint(), 201, body, now)
            tx.idempotency.add(answer)
        tx.orders.add(order)
        for number in numbers:
            tx.numbers.add(number)
            record(tx, now, actor, "number", number.id, "purchase", after=picture(number, []))
    return Answer(201, body)


def _bought(order: NumberOrder, offer: OfferedNumber, mandate: Mandate | None) -> Number:
    """A bought number: the org's own, or the sponsor's under its purchase mandate (N5)."""
    phone = parse_phone(offer.e164, order.country, field="carrier number")
    return Number(
        org_id=order.org_id,
        id=new_id("num"),
        e164=phone.e164,
        country=phone.country,
        area_code=phone.area_code,
        line_type=phone.line_type.value,
        kind=order.kind,
        origin=Origin.PURCHASED,
        status=Status.ACTIVE,
        created_at=order.created_at,
        owner_type="sponsor" if mandate else "org",
        owner_id=mandate.grantor_id if mandate else order.org_id,
        order_id=order.id,
        mandate_id=mandate.id if mandate else None,
    )


def _replay(stored: StoredAnswer, plan: _Plan) -> Answer:
    return replay(stored, plan.fingerprint(), "order")


def _stored(desk: Desk, org_id: str, key: str | None) -> StoredAnswer | None:
    if key is None:
        return None
    try:
        with desk.store.transaction() as tx:
            return tx.idempotency.get(org_id, key)
    except Exception:  # the first failure is the one to report
        log.exception("could not read the answer stored for an Idempotency-Key")
        return None


def _give_back(desk: Desk, org_id: str, offers: list[OfferedNumber]) -> None:
    """Compensation: our transaction failed, so the carrier takes the numbers back."""
    try:
        desk.carrier.release(org_id, [o.e164 for o in offers])
    except Exception:
        log.exception("could not give back %d numbers of org %s", len(offers), org_id)

"""Porting numbers in: the org's side (rules N1, N3, N7).

Owners and admins create a port-in under the numbers' owner's ``port`` mandate, submit it
to the carrier, cancel it, read it. The carrier's answers and port-out notices are in
``services.porting_notices``. The carrier is an external system: it is asked outside our
transactions, before the one that records its answer (like buying numbers).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from numberdesk.domain import port_ins as rules
from numberdesk.domain.errors import Conflict, not_found
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.port_ins import Party, PortIn, PortInNumber, PortInStatus
from numberdesk.services.audit import picture, record, snapshot
from numberdesk.services.desk import Desk
from numberdesk.services.mandates import require_mandate
from numberdesk.services.paging import Page, page_of
from numberdesk.services.porting_notices import (
    PortInView,
    apply_carrier_update,
    close,
    complete_due,
    move,
    receive_port_out,
    settled,
    sweep,
)
from numberdesk.store.mandates import mandates
from numberdesk.store.port_ins import PortInNumberRepo, PortInRepo, add_numbers_once
from numberdesk.store.uow import Transaction

__all__ = [  # the carrier's side, so one import serves every port-in use case
    "PortInView",
    "apply_carrier_update",
    "complete_due",
    "receive_port_out",
    "sweep",
]
log = logging.getLogger("numberdesk.port_ins")
S = PortInStatus


@dataclass(frozen=True)
class PortInRequest:
    """What an owner or admin asks to port in."""

    numbers: list[str]
    losing_carrier: str
    account_ref: str
    mandate_id: str
    kind: str | None = None


def create_port_in(desk: Desk, actor: Actor, request: PortInRequest) -> PortInView:
    """Draft a port-in of numbers under their owner's active ``port`` mandate (N1, N7)."""
    require_manager(actor, "port numbers in")
    kind = rules.check_port_kind(request.kind)
    carrier = rules.check_text(request.losing_carrier, "losing_carrier")
    account = rules.check_text(request.account_ref, "account_ref")
    with desk.store.transaction() as tx:
        now = desk.now()
        country = tx.orgs.require(actor.org_id).country
        e164s = [p.e164 for p in rules.check_port_numbers(request.numbers, country)]
        _refuse_taken(tx, actor.org_id, e164s, None)
        mandate_id = _port_mandate(tx, actor.org_id, request.mandate_id, e164s, now)
        port_in = PortIn(
            org_id=actor.org_id,
            id=new_id("prt"),
            status=S.DRAFT,
            losing_carrier=carrier,
            account_ref=account,
            mandate_id=mandate_id,
            kind=kind,
            created_at=now,
            created_by=actor.user_id,
        )
        numbers = [PortInNumber(actor.org_id, port_in.id, e164) for e164 in e164s]
        PortInRepo(tx.conn).add(port_in)
        PortInNumberRepo(tx.conn).add_all(numbers)
        record(tx, now, actor, "port_in", port_in.id, "create", after=_picture(port_in, numbers))
    return PortInView(port_in, numbers)


def submit_port_in(desk: Desk, actor: Actor, port_in_id: str) -> PortInView:
    """Send a draft to the carrier; its numbers appear as ``porting_in`` (N3, N7)."""
    require_manager(actor, "submit port-ins")
    with desk.store.transaction() as tx:
        view = _submittable(tx, actor.org_id, port_in_id, desk.now())
    e164s = [n.e164 for n in view.numbers]
    desk.carrier.submit_port_in(actor.org_id, port_in_id, e164s)  # may refuse: nothing changed
    try:
        with desk.store.transaction() as tx:
            return _submit(tx, actor, port_in_id, desk.now())
    except Exception:
        if not _submitted_by_twin(desk, actor.org_id, port_in_id):
            _tell_carrier_cancelled(desk, actor.org_id, port_in_id)
        raise


def cancel_port_in(desk: Desk, actor: Actor, port_in_id: str) -> PortInView:
    """Call off an open port-in; numbers that were porting in are released (N7, N8)."""
    require_manager(actor, "cancel port-ins")
    with desk.store.transaction() as tx:
        now = desk.now()
        port_in = settled(tx, actor.org_id, port_in_id, now)
        rules.check_transition(port_in, S.CANCELLED, Party.ORG)
        view = close(tx, actor, port_in, S.CANCELLED, None, now)
    if port_in.status is not S.DRAFT:  # the carrier knows only submitted port-ins
        _tell_carrier_cancelled(desk, actor.org_id, port_in_id)
    return view


def get_port_in(desk: Desk, actor: Actor, port_in_id: str) -> PortInView:
    """Read one port-in (completed first if its completion date has come)."""
    require_manager(actor, "read port-ins")
    with desk.store.transaction() as tx:
        port_in = settled(tx, actor.org_id, port_in_id, desk.now())
        return PortInView(port_in, PortInNumberRepo(tx.conn).of(actor.org_id, port_in_id))


def list_port_ins(
    desk: Desk,
    actor: Actor,
    *,
    status: PortInStatus | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[PortInView]:
    """List the org's port-ins, oldest first (due ones are completed first)."""
    require_manager(actor, "read port-ins")
    with desk.store.transaction() as tx:
        complete_due(tx, actor.org_id, desk.now())
        rows = PortInRepo(tx.conn).page(actor.org_id, status, after=cursor, limit=limit + 1)
        numbers = PortInNumberRepo(tx.conn).of_many(actor.org_id, (p.id for p in rows))
    return page_of([PortInView(p, numbers[p.id]) for p in rows], limit)


# --- Inside the transaction ---------------------------------------------------------------


def _port_mandate(
    tx: Transaction, org_id: str, mandate_id: str, e164s: list[str], at: datetime
) -> str:
    """The owner's active ``port`` mandate covering every number; its grantor owns them (N7)."""
    mandate = mandates(tx).get(org_id, mandate_id)
    if mandate is None:
        raise not_found("mandate", mandate_id)
    grantor = mandate.grantor_type, mandate.grantor_id
    require_mandate(
        tx,
        org_id,
        mandate_id,
        purpose="port",
        grantor_type=grantor[0],
        grantor_id=grantor[1],
        e164s=e164s,
        at=at,
    )
    return mandate.id


def _refuse_taken(tx: Transaction, org_id: str, e164s: list[str], port_in_id: str | None) -> None:
    """Refuse numbers the org already has, or that another open port-in brings (N7)."""
    for e164 in e164s:
        if tx.numbers.live_by_e164(org_id, e164):
            raise Conflict(
                "number_already_yours",
                f"{e164} is already one of your numbers, so it cannot be ported in; leave it "
                "out (a masked number must be released before it is ported in).",
            )
    porting = PortInNumberRepo(tx.conn).open_port_in_of(org_id, e164s)
    for e164, other in porting.items():
        if other != port_in_id:
            raise Conflict(
                "already_porting",
                f"{e164} is already in port-in {other}, which is still open; cancel that one "
                "or leave the number out (rule N7).",
                extra={"port_in_id": other, "e164": e164},
            )


def _submittable(tx: Transaction, org_id: str, port_in_id: str, now: datetime) -> PortInView:
    """A draft that may be submitted now: numbers still free, mandate still active (C3, N7)."""
    port_in = PortInRepo(tx.conn).require(org_id, port_in_id)
    rules.check_transition(port_in, S.SUBMITTED, Party.ORG)
    numbers = PortInNumberRepo(tx.conn).of(org_id, port_in_id)
    e164s = [n.e164 for n in numbers]
    _refuse_taken(tx, org_id, e164s, port_in_id)
    _port_mandate(tx, org_id, port_in.mandate_id, e164s, now)
    return PortInView(port_in, numbers)


def _submit(tx: Transaction, actor: Actor, port_in_id: str, now: datetime) -> PortInView:
    """Record the submission: the numbers appear as ``porting_in``, owned by the grantor."""
    view = _submittable(tx, actor.org_id, port_in_id, now)
    mandate = mandates(tx).require(actor.org_id, view.port_in.mandate_id)
    owner = rules.owner_by_mandate(mandate.grantor_type, mandate.grantor_id, actor.org_id)
    made = [rules.porting_number(view.port_in, n.e164, owner, now) for n in view.numbers]
    add_numbers_once(tx.conn, made)
    links = PortInNumberRepo(tx.conn)
    for number in made:
        links.link(actor.org_id, port_in_id, number.e164, number.id)
        record(tx, now, actor, "number", number.id, "port_in", after=picture(number, []))
    submitted = move(tx, actor, view.port_in, S.SUBMITTED, now, submitted_at=now)
    return PortInView(submitted, links.of(actor.org_id, port_in_id))


def _picture(port_in: PortIn, numbers: list[PortInNumber]) -> dict[str, object]:
    """A port-in's audit picture, with its numbers (A3)."""
    return {**(snapshot(port_in) or {}), "numbers": [n.e164 for n in numbers]}


def _submitted_by_twin(desk: Desk, org_id: str, port_in_id: str) -> bool:
    """Whether a concurrent request submitted the port-in (then the carrier keeps it)."""
    try:
        with desk.store.transaction() as tx:
            found = PortInRepo(tx.conn).get(org_id, port_in_id)
    except Exception:
        log.exception("could not read port-in %s again", port_in_id)
        return False
    return found is not None and found.status is not PortInStatus.DRAFT


def _tell_carrier_cancelled(desk: Desk, org_id: str, port_in_id: str) -> None:
    try:
        desk.carrier.cancel_port_in(org_id, port_in_id)
    except Exception:  # our books are right; support tells the carrier again
        log.exception("the carrier was not told that port-in %s was cancelled", port_in_id)

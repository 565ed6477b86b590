"""The carrier's side of porting: port-in updates and port-out notices (rules N3, N7, N8).

The carrier confirms a submitted port-in (with a completion date), completes or rejects it
(with its reason): ``apply_carrier_update``. A confirmed port-in whose completion date has
come completes by itself, when it (or the org's numbers) is next read (``settled``,
``complete_due``) or by the operator's ``sweep``. A port-out notice (``receive_port_out``)
marks the number ``ported_out``; it leaves everything that used it (N8). The carrier acts
with no user: its audit entries have no actor.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from numberdesk.domain import mandates as mandate_rules
from numberdesk.domain import port_ins as rules
from numberdesk.domain.errors import Conflict, Problem, not_found
from numberdesk.domain.numbers import Number, Origin, Status
from numberdesk.domain.orgs import Actor
from numberdesk.domain.port_ins import Party, PortIn, PortInNumber, PortInStatus
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.mandates import require_mandate
from numberdesk.services.numbers import retire
from numberdesk.store.port_ins import (
    PortInNumberRepo,
    PortInRepo,
    any_number_anywhere,
    live_numbers_anywhere,
)
from numberdesk.store.uow import Transaction

log = logging.getLogger("numberdesk.porting")
S = PortInStatus


@dataclass(frozen=True)
class PortInView:
    """A port-in with its numbers."""

    port_in: PortIn
    numbers: list[PortInNumber]

    @property
    def id(self) -> str:
        """The port-in's id (pages are cut by it)."""
        return self.port_in.id


def apply_carrier_update(
    desk: Desk,
    port_in_id: str,
    to: str,
    *,
    reason: str | None = None,
    completion_date: datetime | None = None,
) -> PortInView:
    """The carrier confirms (with a completion date), completes or rejects (with a reason)."""
    target = rules.check_carrier_target(to)
    rules.check_update_fields(target, reason, completion_date)
    with desk.store.transaction() as tx:
        now = desk.now()
        org_id = PortInRepo(tx.conn).org_of(port_in_id)
        if org_id is None:
            raise not_found("port_in", port_in_id)
        port_in = settled(tx, org_id, port_in_id, now)
        rules.check_transition(port_in, target, Party.CARRIER)
        if target is S.CONFIRMED:
            date = rules.check_completion_date(completion_date, now)
            move(tx, None, port_in, S.CONFIRMED, now, completion_date=date, confirmed_at=now)
            port_in = settled(tx, org_id, port_in_id, now)  # a date already past completes now
        elif target is S.COMPLETED:
            _complete(tx, port_in, now, closed_at=now)
        else:
            close(tx, None, port_in, S.REJECTED, rules.check_reason(reason), now)
        port_in = PortInRepo(tx.conn).require(org_id, port_in_id)
        return PortInView(port_in, PortInNumberRepo(tx.conn).of(org_id, port_in_id))


def complete_due(tx: Transaction, org_id: str | None, now: datetime) -> list[PortIn]:
    """Complete every confirmed port-in whose completion date has come (an org's, or all)."""
    done = []
    for port_in in PortInRepo(tx.conn).due(org_id, now):
        if _complete(tx, port_in, now, closed_at=port_in.completion_date or now):
            done.append(port_in)
    return done


def sweep(desk: Desk) -> list[PortIn]:
    """Complete the due port-ins of every org (the operator's job; reads do it too)."""
    with desk.store.transaction() as tx:
        return complete_due(tx, None, desk.now())


# --- Moving a port-in, inside the caller's transaction ------------------------------


def settled(tx: Transaction, org_id: str, port_in_id: str, now: datetime) -> PortIn:
    """The port-in, completed first if its completion date has come (N7)."""
    port_in = PortInRepo(tx.conn).require(org_id, port_in_id)
    if port_in.is_due(now) and _complete(tx, port_in, now, port_in.completion_date or now):
        return PortInRepo(tx.conn).require(org_id, port_in_id)
    return port_in


def move(
    tx: Transaction,
    actor: Actor | None,
    port_in: PortIn,
    to: PortInStatus,
    now: datetime,
    **changes: Any,
) -> PortIn:
    """Write a transition if no one moved the port-in meanwhile, audited (A3)."""
    after = dataclasses.replace(port_in, status=to, **changes)
    if not PortInRepo(tx.conn).move(after, port_in.status):
        raise Conflict(
            "port_in_changed",
            f"Port-in {port_in.id} changed while this request ran; read it again and retry.",
        )
    action = rules.ACTIONS[to]
    record(tx, now, actor, "port_in", port_in.id, action, port_in, after, org_id=port_in.org_id)
    return after


def _complete(tx: Transaction, port_in: PortIn, now: datetime, closed_at: datetime) -> bool:
    """The carrier moved the numbers: they turn active, origin ported_in (N3, N7).

    False when a concurrent request completed it first. A number whose mandate is no longer
    active arrives suspended instead, with the reason and the fix (C3).
    """
    after = dataclasses.replace(port_in, status=S.COMPLETED, closed_at=closed_at)
    if not PortInRepo(tx.conn).move(after, S.CONFIRMED):
        return False
    record(tx, now, None, "port_in", port_in.id, "complete", port_in, after, org_id=port_in.org_id)
    for number in _porting(tx, port_in):
        problem = _mandate_problem(tx, number, now)
        arrived = dataclasses.replace(
            number,
            status=Status.ACTIVE if problem is None else Status.SUSPENDED,
            status_reason=rules.arrival_reason(port_in, number, problem),
        )
        tx.numbers.save(arrived)
        mapped = tx.area_codes.of_number(number.org_id, number.id)
        change = picture(number, mapped), picture(arrived, mapped)
        record(tx, now, None, "number", number.id, "arrive", *change, org_id=number.org_id)
    return True


def _mandate_problem(tx: Transaction, number: Number, now: datetime) -> str | None:
    """Why the number's port mandate no longer lets it turn active, or None if it does."""
    grantor_type, grantor_id = mandate_rules.owner_of(number)
    try:
        require_mandate(
            tx,
            number.org_id,
            number.mandate_id or "",
            purpose="port",
            grantor_type=grantor_type,
            grantor_id=grantor_id,
            e164s=[number.e164],
            at=now,
        )
    except Problem as problem:
        return problem.detail
    return None


def close(
    tx: Transaction,
    actor: Actor | None,
    port_in: PortIn,
    to: PortInStatus,
    reason: str | None,
    now: datetime,
) -> PortInView:
    """Reject or cancel: numbers that were porting in are released so they don't linger (N8)."""
    closed = move(tx, actor, port_in, to, now, reason=reason, closed_at=now)
    why = rules.closing_reason(closed)
    for number in _porting(tx, port_in):
        retire(tx, now, actor, number, Status.RELEASED, reason=why)
    return PortInView(closed, PortInNumberRepo(tx.conn).of(port_in.org_id, port_in.id))


def _porting(tx: Transaction, port_in: PortIn) -> list[Number]:
    """The port-in's numbers that are still porting in."""
    rows = PortInNumberRepo(tx.conn).of(port_in.org_id, port_in.id)
    ids = [row.number_id for row in rows if row.number_id]
    found = tx.numbers.by_ids(port_in.org_id, ids)
    return [n for n in found if n.status is Status.PORTING_IN]


# --- Port-out notices (N7, N8) -------------------------------------------------------------


def receive_port_out(desk: Desk, e164: str) -> list[Number]:
    """The carrier's notice that a number ported away: it is ``ported_out`` and leaves
    groups, campaigns, local presence, agent cards and the org default, audited (N8)."""
    wanted = rules.read_e164(e164)
    with desk.store.transaction() as tx:
        now = desk.now()
        holders = live_numbers_anywhere(tx.conn, wanted)
        if not holders:
            raise rules.not_held(wanted, any_number_anywhere(tx.conn, wanted))
        served = [n for n in holders if n.origin is not Origin.MASKED] or holders
        for number in served:
            rules.require_portable_away(number)
        why = f"ported out on {now.date().isoformat()} (the carrier's port-out notice)"
        gone = [retire(tx, now, None, n, Status.PORTED_OUT, reason=why) for n in served]
    for number in gone:
        try:
            desk.carrier.ported_out(number.org_id, number.e164)
        except Exception:
            log.exception("the carrier was not told that %s ported out", number.e164)
    return gone

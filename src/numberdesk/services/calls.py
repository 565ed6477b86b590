"""Call events from the PBX (rules I7, I10): ``answered`` by an agent, and ``ended``.

An answered call's inbox item becomes the answering agent's, visible to them only (I7); a
call that ends still ringing leaves its item unclaimed for every selected agent (I7); an ended
call stops counting against its company number's call limit (I10). Races between events are
settled by conditional updates in the database; a refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from numberdesk.domain.calls import (
    CallRecord,
    EventType,
    already_answered,
    call_ended,
    check_event,
    check_event_type,
)
from numberdesk.domain.errors import NotFound
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.desk import Desk
from numberdesk.store.calls import CallRepo


@dataclass(frozen=True)
class CallView:
    """A call as the events left it, with its inbox item if it opened one."""

    call: CallRecord
    inbox_item_id: str | None


def report_event(
    desk: Desk,
    actor: Actor,
    call_id: str,
    event: EventType | str,
    agent_id: str | None = None,
) -> CallView:
    """Take one event of an inbound call from the PBX (owners and admins: the PBX's key)."""
    require_manager(actor, "report call events (use the PBX's key)")
    kind = check_event_type(event)
    now = desk.now()
    with desk.store.transaction() as tx:
        repo = CallRepo(tx.conn)
        call = repo.get(actor.org_id, call_id)
        if call is None:
            raise NotFound(
                "call_not_found",
                f"No inbound call {call_id!r} in your organisation; events name the call_id of "
                "an inbound decision.",
            )
        answering = kind is EventType.ANSWERED and bool(agent_id)
        exists = answering and tx.users.get(actor.org_id, str(agent_id)) is not None
        check_event(call, kind, agent_id, agent_exists=exists)
        if kind is EventType.ANSWERED:
            call = _answer(repo, call, str(agent_id), now)
        else:
            call = _end(repo, call, now)
        return CallView(call, repo.item_of(actor.org_id, call.id))


def _answer(repo: CallRepo, call: CallRecord, agent_id: str, now: datetime) -> CallRecord:
    """The agent took the call: it is theirs, and so is its inbox item (I7)."""
    if not repo.answer(call.org_id, call.id, agent_id, now):
        raise _lost_race(repo, call)
    repo.item_answered(call.org_id, call.id, agent_id)
    return replace(call, answered_by=agent_id, answered_at=now)


def _end(repo: CallRepo, call: CallRecord, now: datetime) -> CallRecord:
    """The call is over: it stops counting (I10), and an item still ringing was missed (I7)."""
    if not repo.end(call.org_id, call.id, now):
        raise call_ended(call)
    if call.number_id is not None:
        repo.release(call.org_id, call.number_id, call.id)
    repo.item_missed(call.org_id, call.id)
    return replace(call, ended_at=now)


def _lost_race(repo: CallRepo, call: CallRecord) -> Exception:
    """Another event got there first: say which."""
    latest = repo.get(call.org_id, call.id) or call
    return call_ended(latest) if latest.ended_at is not None else already_answered(latest)

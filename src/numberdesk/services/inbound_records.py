"""What an inbound decision writes (rules I4, I7, I10, I12, S3): the call's record, its count
against a company number's call limit, a known caller's timeline entries and an unknown
caller's inbox item, all of it or nothing.

The record is written only while the org's config version is the one of the index the
decision was made on (checked by the record's own statement); when it moved, nothing is
written and ``OutOfDate`` tells the caller to decide again on the rebuilt index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from numberdesk.domain.calls import CallRecord
from numberdesk.domain.contacts import TimelineEntry
from numberdesk.domain.errors import call_exists
from numberdesk.domain.ids import new_id
from numberdesk.domain.inbound import Action, Channel, Decision, DialledNumber, InboundCall
from numberdesk.domain.inbox import InboxItem, ItemStatus
from numberdesk.services.desk import Desk
from numberdesk.services.snapshots import OutOfDate
from numberdesk.store.inbound import Admission, InboundRepo
from numberdesk.store.uow import Transaction

NOBODY_CAN_ANSWER = frozenset({Action.BUSY, Action.DISCONNECT})


class Records(NamedTuple):
    """What an inbound decision writes: the call's record, its admission against a company
    number's call limit, the inbox item it opens and the known caller's timeline entries."""

    call: CallRecord
    admitted: Admission | None
    item: InboxItem | None
    timeline: list[TimelineEntry]


def records_of(
    desk: Desk,
    org_id: str,
    call_id: str,
    number: DialledNumber | None,
    call: InboundCall,
    decision: Decision,
    limited: DialledNumber | None,
    now: datetime,
) -> Records:
    """The records of a decision (I4, I7, I10, I12, S3): an admitted call counts against
    ``limited``'s call limit until ``max_call_minutes``."""
    record = CallRecord(
        org_id=org_id,
        id=call_id,
        to=call.to,
        channel=call.channel.value,
        at=now,
        action=decision.action.value,
        reason=decision.reason.value,
        number_id=number.id if number else None,
        caller=call.caller,
        rule=decision.rule,
        known_caller=decision.known_caller,
        selected=list(decision.selected),
    )
    admits = limited is not None and decision.action not in NOBODY_CAN_ANSWER
    expires = now + timedelta(minutes=desk.settings.max_call_minutes)
    admitted = Admission(org_id, limited.id, call_id, expires) if limited and admits else None
    item = _inbox_item(org_id, call_id, number, call, decision, now)
    return Records(record, admitted, item, _timeline(org_id, call_id, call, decision, now))


def record_decision(
    tx: Transaction, repo: InboundRepo, records: Records, version: int
) -> str | None:
    """Write a decision's records: all of it or nothing, in one statement on PostgreSQL
    (``InboundRepo.record``); the inbox item's id, if it opened one. ``OutOfDate``, nothing
    written, when the org's config version is no longer ``version``; 409 ``call_exists``
    when the call id was recorded before."""
    call, admitted, item, timeline = records
    if not repo.record(call, version, admitted, item, timeline):
        if tx.orgs.config_version(call.org_id) != version:
            raise OutOfDate(call.org_id)
        raise call_exists(call.id)
    return item.id if item else None


def _timeline(
    org_id: str, call_id: str, call: InboundCall, decision: Decision, now: datetime
) -> list[TimelineEntry]:
    """A known caller's timeline entries, one per contact with their phone (I4)."""
    if decision.timeline is None:
        return []
    what = "inbound_text" if call.channel is Channel.SMS else "inbound_call"
    text = decision.timeline.text[:500]
    return [
        TimelineEntry(org_id, new_id("tle"), c, now, what, text, call_id)
        for c in decision.timeline.contact_ids
    ]


def _inbox_item(
    org_id: str,
    call_id: str,
    number: DialledNumber | None,
    call: InboundCall,
    decision: Decision,
    now: datetime,
) -> InboxItem | None:
    """The inbox item the call opens, if any (I7, S3): a withheld caller can be neither called
    back nor texted back."""
    if number is None or call.caller is None or not decision.opens_inbox_item:
        return None
    waits = call.channel is Channel.SMS or decision.action in NOBODY_CAN_ANSWER
    settings = number.company
    return InboxItem(
        org_id=org_id,
        id=new_id("itm"),
        call_id=call_id,
        number_id=number.id,
        caller=call.caller,
        channel=call.channel.value,
        at=now,
        status=ItemStatus.UNCLAIMED if waits else ItemStatus.RINGING,
        selected=list(decision.selected),
        source=settings.source if settings else None,
        tag=settings.tag if settings else None,
    )

"""Resting numbers (O6): spam reports, rest by hand and wake, each change audited (A3).

A change of a number's rest is audited with ``services.audit.record``, which also moves the
org's ``config_version``: the call path's caller-ID index is refreshed and stops (or starts
again) offering the number (O4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from numberdesk.domain.errors import Conflict
from numberdesk.domain.numbers import Number, Status, require_still_live
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.domain.resting import (
    SpamReport,
    check_reason,
    check_until,
    new_report,
    reaches_threshold,
    report_window,
    reporter_for,
    rested,
    rested_for_spam,
    resting_until,
    woken,
)
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView, views_of
from numberdesk.store.resting import spam_reports
from numberdesk.store.uow import Transaction


@dataclass(frozen=True)
class ReportOutcome:
    """A stored spam report and where its number stands now (O6)."""

    report: SpamReport
    reports_in_window: int  # distinct reporters that count now
    threshold: int  # the org's spam_threshold
    rested_until: datetime | None  # the end of the number's rest; None when it is not resting


def report_spam(
    desk: Desk, actor: Actor, number_id: str, reported_by: str | None = None
) -> ReportOutcome:
    """Report a number shown as caller ID as spam; enough distinct reporters in 7 days rest it (O6)."""
    reporter = reporter_for(actor, reported_by)
    now = desk.now()
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        number = tx.numbers.lock(actor.org_id, number_id)
        _require_reportable(number)
        if reporter != actor.user_id:
            tx.users.require(actor.org_id, reporter)  # another org's user is 404 (A1)
        report = spam_reports(tx).add(new_report(actor.org_id, number_id, reporter, now))
        reporters = spam_reports(tx).reporters(actor.org_id, number_id, report_window(number, now))
        if reaches_threshold(number, reporters, org.spam_threshold, now):
            after = rested_for_spam(number, reporters, org.spam_rest_days, now)
            number = _change(tx, now, actor, number, after, "rest")
    return ReportOutcome(report, reporters, org.spam_threshold, resting_until(number, now))


def _require_reportable(number: Number) -> None:
    """Only a live, active number can have been shown as caller ID (N3)."""
    require_still_live(number)
    if number.status is not Status.ACTIVE:
        raise Conflict(
            "number_not_active",
            f"{number.e164} is {number.status.value}, so it is not shown as caller ID and "
            "cannot be reported as spam (rules N3, O6)",
        )


def rest_number(
    desk: Desk,
    actor: Actor,
    number_id: str,
    until: datetime | None = None,
    reason: str | None = None,
) -> NumberView:
    """Rest a number by hand until ``until``, by default for the org's spam_rest_days (O6)."""
    require_manager(actor, "rest numbers")
    now = desk.now()
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        number = tx.numbers.lock(actor.org_id, number_id)
        require_still_live(number)
        after = rested(number, check_until(until, now, org.spam_rest_days), check_reason(reason))
        return _view(tx, _change(tx, now, actor, number, after, "rest"))


def wake_number(desk: Desk, actor: Actor, number_id: str) -> NumberView:
    """Bring a resting number back into caller ID now; older reports no longer count (O6)."""
    require_manager(actor, "wake numbers")
    now = desk.now()
    with desk.store.transaction() as tx:
        number = tx.numbers.lock(actor.org_id, number_id)
        require_still_live(number)
        return _view(tx, _change(tx, now, actor, number, woken(number, now), "wake"))


def _change(
    tx: Transaction, at: datetime, actor: Actor, before: Number, after: Number, action: str
) -> Number:
    """Save a change of the number's rest, audited (A3); the call path refreshes its index (O4)."""
    if after == before:
        return before
    tx.numbers.save(after)
    mapped = tx.area_codes.of_number(before.org_id, before.id)
    change = picture(before, mapped), picture(after, mapped)
    record(tx, at, actor, "number", before.id, action, *change)
    return after


def _view(tx: Transaction, number: Number) -> NumberView:
    return views_of(tx, number.org_id, [number])[0]

"""Resting numbers (rule O6): spam reports past a threshold, or an admin's hand, take a number
out of caller ID for a cool-down period; waking brings it back.

A number rests while its ``rested_until`` is in the future. Reports count when they fall in
the last ``REPORT_WINDOW`` and were made after the number last stopped resting (its
``rested_until``, when that has passed; waking sets it to the moment of waking), so reports
that already made a number rest, or that an admin forgave by waking it, never count again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from numberdesk.domain.errors import Forbidden, invalid_field
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Number
from numberdesk.domain.orgs import Actor

REPORT_WINDOW_DAYS = 7
REPORT_WINDOW = timedelta(days=REPORT_WINDOW_DAYS)
MAX_REST_DAYS = 365
MAX_SPAM_THRESHOLD = 1_000  # reporting users within REPORT_WINDOW_DAYS
MAX_REASON = 300  # the rest_reason column's length
HAND_REASON = "rested by hand"


@dataclass(frozen=True)
class SpamReport:
    """One user's report that a number was shown as caller ID and taken for spam (O6)."""

    org_id: str
    id: str
    number_id: str
    reported_by: str
    at: datetime


@dataclass(frozen=True)
class ReportWindow:
    """Which reports count now: those made at or after ``since`` (O6)."""

    since: datetime

    def counts(self, report: SpamReport) -> bool:
        """Whether this report still counts towards a rest."""
        return report.at >= self.since


def new_report(org_id: str, number_id: str, reported_by: str, at: datetime) -> SpamReport:
    """A spam report made now."""
    return SpamReport(org_id, new_id("spr"), number_id, reported_by, at)


def report_window(number: Number, now: datetime) -> ReportWindow:
    """The last 7 days, but no earlier than the end of the number's last rest or its last wake."""
    since = now - REPORT_WINDOW
    ended = number.rested_until
    if ended is not None and since < ended <= now:
        since = ended
    return ReportWindow(since)


def distinct_reporters(reports: Iterable[SpamReport], window: ReportWindow) -> set[str]:
    """The users whose reports count: a user who reports twice counts once (O6)."""
    return {r.reported_by for r in reports if window.counts(r)}


def is_resting(number: Number, now: datetime) -> bool:
    """Whether the number is left out of caller ID now (O4, O6)."""
    return number.rested_until is not None and number.rested_until > now


def resting_until(number: Number, now: datetime) -> datetime | None:
    """When the number's current rest ends; None when it is not resting."""
    return number.rested_until if is_resting(number, now) else None


def reaches_threshold(number: Number, reporters: int, threshold: int, now: datetime) -> bool:
    """Whether the reports make the number rest: enough distinct reporters, and not resting yet."""
    return reporters >= threshold and not is_resting(number, now)


def spam_reason(reporters: int) -> str:
    """Why reports made the number rest, as its ``rest_reason``."""
    users = "user" if reporters == 1 else "users"
    return f"reported as spam by {reporters} {users} within {REPORT_WINDOW_DAYS} days"


def rested_for_spam(number: Number, reporters: int, rest_days: int, now: datetime) -> Number:
    """The number resting for the org's ``spam_rest_days`` because of its reports (O6)."""
    return rested(number, now + timedelta(days=rest_days), spam_reason(reporters))


def rested(number: Number, until: datetime, reason: str) -> Number:
    """The number resting until ``until``, for ``reason``."""
    return dataclasses.replace(number, rested_until=until, rest_reason=reason)


def woken(number: Number, now: datetime) -> Number:
    """The number back in caller ID now; reports made before now no longer count (O6)."""
    return dataclasses.replace(number, rested_until=now, rest_reason=None)


def check_spam_threshold(value: object) -> int:
    """How many users' reports within REPORT_WINDOW_DAYS make a number rest: 1 to
    MAX_SPAM_THRESHOLD (O6)."""
    return _whole_number("spam_threshold", value, MAX_SPAM_THRESHOLD, "users")


def check_spam_rest_days(value: object) -> int:
    """How many days a number rests once reports made it: 1 to MAX_REST_DAYS, the longest
    rest by hand too (O6)."""
    return _whole_number("spam_rest_days", value, MAX_REST_DAYS, "days")


def _whole_number(field: str, value: object, most: int, unit: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise invalid_field(field, f"give a whole number of {unit} from 1 to {most:,}")
    return value


def check_until(value: datetime | None, now: datetime, rest_days: int) -> datetime:
    """When a rest by hand ends: ``value`` (with an offset, in the future, at most
    MAX_REST_DAYS ahead), or by default ``rest_days`` (the org's ``spam_rest_days``) from now."""
    if value is None:
        return now + timedelta(days=rest_days)
    if value.tzinfo is None:
        raise invalid_field("until", "give a time with an offset, such as 2026-12-01T09:00:00Z")
    if value <= now:
        raise invalid_field(
            "until", f"{value.isoformat()} has passed; give a time in the future, or wake it"
        )
    if value - now > timedelta(days=MAX_REST_DAYS):
        raise invalid_field(
            "until",
            f"{value.isoformat()} is more than {MAX_REST_DAYS} days ahead; rest a number for "
            f"at most {MAX_REST_DAYS} days, or release it if you no longer want it",
        )
    return value


def read_until(text: str) -> datetime:
    """A time given as text (RFC 3339, e.g. 2026-12-01T09:00:00Z) for ``until``."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid_field(
            "until", f"{text!r} is not a time; give one like 2026-12-01T09:00:00Z"
        ) from None


def check_reason(value: str | None) -> str:
    """Why a number rests by hand: trimmed text, or ``HAND_REASON`` when none is given."""
    if value is None:
        return HAND_REASON
    text = value.strip()
    if not text:
        raise invalid_field("reason", "must not be empty; leave it out for the default")
    if len(text) > MAX_REASON:
        raise invalid_field("reason", f"is too long; keep it to {MAX_REASON} characters")
    return text


def reporter_for(actor: Actor, reported_by: str | None) -> str:
    """Whose report it is: the actor's own, or, for owners and admins, another user's (A2)."""
    if reported_by is None or reported_by == actor.user_id:
        return actor.user_id
    if not actor.is_manager:
        raise Forbidden(
            "forbidden",
            "Agents report spam for themselves only; leave out reported_by, or ask an admin.",
        )
    return reported_by

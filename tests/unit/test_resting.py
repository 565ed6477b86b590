"""Domain rules of resting numbers: spam reports past a threshold, rest by hand, wake (O6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from numberdesk.domain.errors import Forbidden, Invalid
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.domain.orgs import Actor, Role
from numberdesk.domain.resting import (
    HAND_REASON,
    MAX_REST_DAYS,
    MAX_SPAM_THRESHOLD,
    SpamReport,
    check_reason,
    check_spam_rest_days,
    check_spam_threshold,
    check_until,
    distinct_reporters,
    is_resting,
    new_report,
    reaches_threshold,
    read_until,
    report_window,
    reporter_for,
    rested,
    rested_for_spam,
    resting_until,
    spam_reason,
    woken,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NUMBER = Number(
    org_id="org_1",
    id="num_1",
    e164="+12125551000",
    country="US",
    line_type="local",
    kind=Kind.VOICE,
    origin=Origin.PURCHASED,
    status=Status.ACTIVE,
    created_at=NOW - 100 * DAY,
    area_code="212",
)


def report(user: str, at: datetime) -> SpamReport:
    """A report of NUMBER by ``user`` at ``at``."""
    return new_report("org_1", NUMBER.id, user, at)


def test_same_user_reporting_twice_counts_once_o6() -> None:
    reports = [report("usr_a", NOW - DAY), report("usr_a", NOW), report("usr_b", NOW)]
    assert distinct_reporters(reports, report_window(NUMBER, NOW)) == {"usr_a", "usr_b"}


def test_reports_older_than_7_days_do_not_count_o6() -> None:
    reports = [
        report("usr_old", NOW - 7 * DAY - timedelta(seconds=1)),
        report("usr_edge", NOW - 7 * DAY),
        report("usr_new", NOW - DAY),
    ]
    assert distinct_reporters(reports, report_window(NUMBER, NOW)) == {"usr_edge", "usr_new"}


def test_reports_before_the_last_wake_no_longer_count_o6() -> None:
    awake = woken(rested(NUMBER, NOW + DAY, HAND_REASON), NOW - 2 * DAY)
    reports = [report("usr_before", NOW - 3 * DAY), report("usr_after", NOW - DAY)]
    assert report_window(awake, NOW).since == NOW - 2 * DAY
    assert distinct_reporters(reports, report_window(awake, NOW)) == {"usr_after"}


def test_reports_before_a_rest_ended_no_longer_count_o6() -> None:
    ended = rested(NUMBER, NOW - DAY, spam_reason(3))
    assert report_window(ended, NOW).since == NOW - DAY
    assert not is_resting(ended, NOW)


def test_a_resting_or_long_ago_rest_keeps_the_full_7_day_window_o6() -> None:
    resting = rested(NUMBER, NOW + DAY, HAND_REASON)
    long_ago = rested(NUMBER, NOW - 30 * DAY, HAND_REASON)
    assert report_window(resting, NOW).since == NOW - 7 * DAY
    assert report_window(long_ago, NOW).since == NOW - 7 * DAY


def test_threshold_of_distinct_reporters_rests_a_number_not_yet_resting_o6() -> None:
    assert not reaches_threshold(NUMBER, 2, 3, NOW)
    assert reaches_threshold(NUMBER, 3, 3, NOW)
    assert reaches_threshold(NUMBER, 4, 3, NOW)  # the threshold was lowered meanwhile
    assert not reaches_threshold(rested(NUMBER, NOW + DAY, HAND_REASON), 5, 3, NOW)


def test_third_distinct_reporter_rests_the_number_for_30_days_with_a_reason_o6() -> None:
    resting = rested_for_spam(NUMBER, 3, 30, NOW)
    assert resting.rested_until == NOW + 30 * DAY
    assert resting.rest_reason == "reported as spam by 3 users within 7 days"
    assert is_resting(resting, NOW)
    assert resting_until(resting, NOW) == NOW + 30 * DAY
    assert resting_until(resting, NOW + 30 * DAY) is None  # the rest ends on time


def test_waking_ends_the_rest_now_and_clears_the_reason_o6() -> None:
    awake = woken(rested_for_spam(NUMBER, 3, 30, NOW - DAY), NOW)
    assert (awake.rested_until, awake.rest_reason) == (NOW, None)
    assert not is_resting(awake, NOW)
    assert resting_until(awake, NOW) is None


def test_rest_by_hand_lasts_spam_rest_days_unless_until_is_given_o6() -> None:
    assert check_until(None, NOW, 30) == NOW + 30 * DAY
    assert check_until(NOW + 2 * DAY, NOW, 30) == NOW + 2 * DAY
    assert check_until(NOW + MAX_REST_DAYS * DAY, NOW, 30) == NOW + MAX_REST_DAYS * DAY


@pytest.mark.parametrize(
    ("until", "words"),
    [
        (NOW - DAY, "has passed"),
        (NOW, "has passed"),
        (NOW + (MAX_REST_DAYS + 1) * DAY, f"more than {MAX_REST_DAYS} days"),
        (datetime(2026, 12, 1, 9, 0), "offset"),  # naive: no offset
    ],
)
def test_until_in_the_past_too_far_or_without_offset_is_invalid_field_o6(
    until: datetime, words: str
) -> None:
    with pytest.raises(Invalid) as refused:
        check_until(until, NOW, 30)
    assert refused.value.code == "invalid_field"
    assert refused.value.errors[0].field == "until"
    assert words in refused.value.detail


def test_spam_settings_take_whole_numbers_up_to_their_most_o6() -> None:
    assert check_spam_threshold(MAX_SPAM_THRESHOLD) == MAX_SPAM_THRESHOLD
    assert check_spam_rest_days(MAX_REST_DAYS) == MAX_REST_DAYS
    for check, most in ((check_spam_threshold, MAX_SPAM_THRESHOLD), (check_spam_rest_days, 365)):
        for bad in (0, -1, most + 1, 2**31, 10**30, 2.5, "3", True, None):
            with pytest.raises(Invalid) as refused:
                check(bad)
            assert f"from 1 to {most:,}" in refused.value.detail


def test_until_text_must_be_a_time_o6() -> None:
    assert read_until("2026-12-01T09:00:00Z") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(Invalid) as refused:
        read_until("next tuesday")
    assert refused.value.code == "invalid_field"
    assert "is not a time" in refused.value.detail


def test_rest_reason_defaults_to_by_hand_and_is_trimmed_and_short_o6() -> None:
    assert check_reason(None) == "rested by hand"
    assert check_reason("  complaints from callers ") == "complaints from callers"
    for bad in ("   ", "x" * 301):
        with pytest.raises(Invalid):
            check_reason(bad)


def test_spam_reason_names_the_reporters_and_the_window_o6() -> None:
    assert spam_reason(1) == "reported as spam by 1 user within 7 days"
    assert spam_reason(5) == "reported as spam by 5 users within 7 days"


def test_agent_reports_for_themself_only_manager_may_name_another_user_a2_o6() -> None:
    agent = Actor("org_1", "usr_agent", Role.AGENT)
    admin = Actor("org_1", "usr_admin", Role.ADMIN)
    assert reporter_for(agent, None) == "usr_agent"
    assert reporter_for(agent, "usr_agent") == "usr_agent"
    with pytest.raises(Forbidden):
        reporter_for(agent, "usr_other")
    assert reporter_for(admin, "usr_other") == "usr_other"
    assert reporter_for(admin, None) == "usr_admin"


def test_resting_changes_only_the_rest_of_the_number_o6() -> None:
    resting = rested(NUMBER, NOW + DAY, "complaints")
    assert replace(resting, rested_until=None, rest_reason=None) == NUMBER

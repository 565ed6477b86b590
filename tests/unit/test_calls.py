"""Call events (rules I7, I10), without a database: which events a call still takes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from numberdesk.domain.calls import (
    CallRecord,
    CallStatus,
    EventType,
    check_event,
    check_event_type,
)
from numberdesk.domain.errors import Problem

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
RINGING = CallRecord(
    "org_1", "call_1", "+12125550100", "voice", AT, "ring", "blast", selected=["usr_a", "usr_b"]
)


def refusal(call: CallRecord, event: EventType, agent: str | None, exists: bool = True) -> str:
    """The code of the problem ``check_event`` raises."""
    with pytest.raises(Problem) as raised:
        check_event(call, event, agent, agent_exists=exists)
    return raised.value.code


def test_a_call_rings_until_answered_and_is_over_once_ended() -> None:
    answered = replace(RINGING, answered_by="usr_a", answered_at=AT)
    assert [c.status for c in (RINGING, answered, replace(answered, ended_at=AT))] == [
        CallStatus.RINGING,
        CallStatus.ANSWERED,
        CallStatus.ENDED,
    ]
    assert replace(RINGING, ended_at=AT).status is CallStatus.ENDED


def test_a_selected_agent_may_answer_a_ringing_call_i7() -> None:
    check_event(RINGING, EventType.ANSWERED, "usr_b", agent_exists=True)
    check_event(RINGING, EventType.ENDED, None, agent_exists=False)


def test_an_answer_needs_a_live_selected_agent_and_comes_once_i7() -> None:
    assert refusal(RINGING, EventType.ANSWERED, None) == "invalid_field"
    assert refusal(RINGING, EventType.ANSWERED, "usr_gone", exists=False) == "user_not_found"
    assert refusal(RINGING, EventType.ANSWERED, "usr_c") == "not_selected"
    answered = replace(RINGING, answered_by="usr_a", answered_at=AT)
    assert refusal(answered, EventType.ANSWERED, "usr_b") == "already_answered"
    check_event(answered, EventType.ENDED, None, agent_exists=False)


def test_any_live_agent_may_answer_a_call_that_selected_nobody() -> None:
    queued = replace(RINGING, selected=[], action="queue", reason="queue")
    check_event(queued, EventType.ANSWERED, "usr_anyone", agent_exists=True)


def test_nothing_is_taken_after_the_end() -> None:
    ended = replace(RINGING, ended_at=AT)
    assert refusal(ended, EventType.ENDED, None) == "call_ended"
    assert refusal(ended, EventType.ANSWERED, "usr_a") == "call_ended"


def test_event_types_are_answered_or_ended() -> None:
    assert check_event_type("answered") is EventType.ANSWERED
    assert check_event_type(EventType.ENDED) is EventType.ENDED
    with pytest.raises(Problem) as raised:
        check_event_type("hung_up")
    assert raised.value.errors[0].field == "type"

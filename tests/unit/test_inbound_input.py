"""Reading an inbound call as the PBX gives it (rules N1, I1, I10, I12), without a database."""

from __future__ import annotations

import pytest

from numberdesk.domain.errors import Invalid, Problem
from numberdesk.domain.inbound_input import (
    counts_against_limit,
    looks_past_number,
    read_call_id,
    read_caller,
    read_channel,
    read_to,
    withheld_step,
)
from numberdesk.domain.inbound_types import Channel, DialledNumber
from numberdesk.domain.numbers import Kind, Status
from numberdesk.domain.routes import Route, RouteType

COMPANY = Route(RouteType.COMPANY)


def dialled(kind: Kind = Kind.OMNI, status: Status = Status.ACTIVE, **kw: object) -> DialledNumber:
    """Our number with a company route unless told otherwise."""
    fields: dict[str, object] = {"route": COMPANY, **kw}
    return DialledNumber("num_1", "+12125550100", status, kind, **fields)  # type: ignore[arg-type]


def field_of(problem: pytest.ExceptionInfo[Problem]) -> str:
    """The field a problem names."""
    return problem.value.errors[0].field


def test_our_number_is_read_with_the_orgs_country_and_refused_on_field_to_n1() -> None:
    assert read_to("(212) 555-0100", "US") == "+12125550100"
    assert read_to("+44 20 7946 0958", "US") == "+442079460958"
    for bad in ("12", "", "not a number"):
        with pytest.raises(Problem) as raised:
            read_to(bad, "US")
        assert (raised.value.status, field_of(raised)) == (422, "to")


@pytest.mark.parametrize("withheld", [None, "", "  ", "anonymous", "Anonymous", "12", "sip:x"])
def test_an_empty_anonymous_or_invalid_caller_is_withheld(withheld: str | None) -> None:
    assert read_caller(withheld, "US") is None
    step = withheld_step(withheld)
    assert (step.step, step.result) == ("caller", "no_match")
    assert "withheld" in step.reason


def test_a_caller_is_read_in_e164_with_the_orgs_country_n1() -> None:
    assert read_caller("305-555-0142", "US") == "+13055550142"
    assert "'anonymous'" in withheld_step("anonymous").reason


def test_channel_and_call_id_are_checked() -> None:
    assert read_channel("sms") is Channel.SMS
    assert read_channel(Channel.VOICE) is Channel.VOICE
    assert read_call_id(None) is None
    sip = "a84b4c76e66710@pc33.atlanta.example.com"  # a SIP Call-ID is kept as the PBX sent it
    assert read_call_id(sip) == sip
    assert read_call_id("x" * 64) == "x" * 64  # 64 characters is the most
    with pytest.raises(Problem) as raised:
        read_channel("fax")
    assert field_of(raised) == "channel"
    for bad in ("", "a/b", "a b", "x" * 65):
        with pytest.raises(Problem) as raised:
            read_call_id(bad)
        assert field_of(raised) == "call_id"


def test_only_voice_calls_reaching_a_company_route_count_against_the_limit_i10() -> None:
    assert counts_against_limit(dialled(), Channel.VOICE)
    assert not counts_against_limit(dialled(), Channel.SMS)
    assert not counts_against_limit(dialled(route=Route(RouteType.QUEUE)), Channel.VOICE)
    assert not counts_against_limit(dialled(status=Status.SUSPENDED), Channel.VOICE)
    assert not counts_against_limit(dialled(forward_to="+14155550100"), Channel.VOICE)


def test_the_decision_looks_past_a_number_that_can_take_the_channel_i1_n2() -> None:
    assert looks_past_number(dialled(Kind.SMS), Channel.SMS)
    assert not looks_past_number(dialled(Kind.SMS), Channel.VOICE)
    assert not looks_past_number(dialled(Kind.MASKED), Channel.VOICE)
    assert not looks_past_number(dialled(Kind.VOICE), Channel.SMS)
    assert looks_past_number(dialled(forward_to="+14155550100"), Channel.SMS)


def test_numbers_read_again_are_read_with_each_orgs_own_country_n1() -> None:
    """The call path remembers numbers it has read (``phones.REMEMBERED``), per country: the
    same national digits are still another number in another org's country, a refused number
    is refused again, and a withheld caller stays withheld."""
    for _ in range(2):
        assert read_to("020 7946 0000", "GB") == "+442079460000"
        assert read_to("212 555 0100", "US") == "+12125550100"
        assert read_caller("0161 496 0000", "GB") == "+441614960000"
        assert read_caller("anonymous", "US") is None
        with pytest.raises(Invalid):
            read_to("020 7946 0000", "US")

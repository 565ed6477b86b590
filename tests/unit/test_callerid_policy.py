"""Caller-ID policy validation (rule O3): an ordered list of known steps, each once."""

from __future__ import annotations

import pytest

from numberdesk.domain.callerid import POLICY_STEPS, check_policy
from numberdesk.domain.errors import Invalid
from numberdesk.domain.orgs import DEFAULT_POLICY


def test_default_policy_is_valid_and_in_the_seed_order_o3() -> None:
    assert check_policy(list(DEFAULT_POLICY)) == [
        "local_presence",
        "agent",
        "campaign",
        "organisation",
    ]


def test_every_step_may_be_used_once_in_any_order_o3() -> None:
    steps = [s.value for s in reversed(POLICY_STEPS)]

    assert check_policy(steps) == steps


def test_the_checked_policy_is_a_copy_the_caller_cannot_change_later() -> None:
    given = ["agent", "organisation"]

    checked = check_policy(given)
    given.append("campaign")

    assert checked == ["agent", "organisation"]


def test_an_unknown_step_is_refused_naming_it_and_the_known_ones_o3() -> None:
    with pytest.raises(Invalid) as refused:
        check_policy(["local_presence", "round_robin"])

    assert refused.value.code == "invalid_field"
    assert "'round_robin' is not a step" in refused.value.detail
    assert "nearby" in refused.value.detail  # lists what would be accepted
    assert refused.value.errors[0].field == "caller_id_policy"


def test_a_repeated_step_is_refused_naming_it_o3() -> None:
    with pytest.raises(Invalid) as refused:
        check_policy(["agent", "campaign", "agent"])

    assert "'agent' is listed twice" in refused.value.detail


def test_an_empty_policy_is_refused_with_an_example_o3() -> None:
    with pytest.raises(Invalid) as refused:
        check_policy([])

    assert "at least one step" in refused.value.detail


def test_steps_are_case_sensitive_words_of_the_api() -> None:
    with pytest.raises(Invalid, match="'Agent' is not a step"):
        check_policy(["Agent"])


def test_the_field_named_in_the_problem_can_be_chosen() -> None:
    with pytest.raises(Invalid) as refused:
        check_policy(["nowhere"], field="campaign.caller_id_policy")

    assert refused.value.errors[0].field == "campaign.caller_id_policy"

"""Company-number settings and the rule in force (rules I5, I6, I9, I10), without a database."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from numberdesk.domain.company import (
    CompanySettings,
    Rule,
    RuleAction,
    Window,
    check_company_settings,
    linked_contact_tags,
    new_contact_labels,
    rule_in_force,
    windows_from_json,
)
from numberdesk.domain.errors import Conflict, Invalid

USER = {"action": "user", "agent_id": "usr_1"}


def custom(name: str, days: list[str], start: str, end: str, **rule: object) -> dict[str, object]:
    """A custom rule blasting two agents unless told otherwise."""
    return {
        "name": name,
        "days": days,
        "start": start,
        "end": end,
        **(rule or {"action": "blast", "agent_ids": ["usr_1", "usr_2"]}),
    }


def read(*rules: dict[str, object], **body: object) -> CompanySettings:
    """Settings as a US org sends them, with a default user rule."""
    return check_company_settings(
        {"default_rule": USER, "custom_rules": list(rules), **body}, country="US"
    )


def refused(*rules: dict[str, object], **body: object) -> Invalid:
    """The 422 bad settings get."""
    with pytest.raises(Invalid) as problem:
        read(*rules, **body)
    return problem.value


def clash(*rules: dict[str, object]) -> Conflict:
    """The 409 overlapping rules get."""
    with pytest.raises(Conflict) as problem:
        read(*rules)
    return problem.value


def test_default_rule_is_one_user_and_the_call_limit_defaults_to_fifty_i5_i10() -> None:
    settings = read()
    assert settings.default_rule == Rule(RuleAction.USER, agent_id="usr_1")
    assert (settings.custom_rules, settings.max_concurrent_calls) == ((), 50)


def test_settings_without_a_default_rule_are_refused_i5() -> None:
    with pytest.raises(Invalid) as problem:
        check_company_settings({"custom_rules": []}, country="US")
    assert problem.value.errors[0].field == "default_rule"


def test_unknown_settings_field_is_refused_i5() -> None:
    assert refused(rules=[]).errors[0].field == "rules"


def test_ten_custom_rules_are_allowed_and_an_eleventh_is_refused_i5() -> None:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    ten = [custom(f"r{h}", days, f"{h:02d}:00", f"{h:02d}:30") for h in range(10)]
    assert len(read(*ten).custom_rules) == 10
    problem = refused(*ten, custom("r10", days, "20:00", "21:00"))
    assert (problem.status, problem.code) == (422, "too_many_rules")
    assert "at most 10 custom rules" in problem.detail


def test_blast_takes_one_to_five_agents_and_a_sixth_is_refused_i5() -> None:
    five = [f"usr_{i}" for i in range(5)]
    settings = read(default_rule={"action": "blast", "agent_ids": five})
    assert settings.default_rule.selected == tuple(five)
    problem = refused(default_rule={"action": "blast", "agent_ids": [*five, "usr_5"]})
    assert (problem.status, problem.code) == (422, "too_many_agents")
    assert problem.errors[0].field == "default_rule.agent_ids"
    assert "at most 5" in problem.detail
    assert "1 to 5" in refused(default_rule={"action": "blast", "agent_ids": []}).detail
    twice = refused(default_rule={"action": "blast", "agent_ids": ["usr_1", "usr_1"]})
    assert "lists an agent twice" in twice.detail


def test_rule_fields_must_fit_the_action_i5() -> None:
    problem = refused(default_rule={"action": "user", "agent_id": "usr_1", "number": "+1212"})
    assert problem.errors[0].field == "default_rule.number"
    assert "does not apply to a user rule" in problem.detail
    assert refused(default_rule={"action": "user"}).errors[0].field == "default_rule.agent_id"
    assert "blast, user, number" in refused(default_rule={"action": "ring"}).detail
    assert refused(default_rule={**USER, "days": ["mon"]}).errors[0].field == "default_rule.days"


def test_number_rule_reads_a_national_bridge_number_with_the_orgs_country_i5() -> None:
    settings = read(default_rule={"action": "number", "number": "212 555 0199"})
    assert settings.default_rule == Rule(RuleAction.NUMBER, number="+12125550199")
    assert settings.default_rule.selected == ()


def test_rules_naming_agents_not_in_the_org_are_refused_when_agents_are_given_i5() -> None:
    body = {"default_rule": {"action": "blast", "agent_ids": ["usr_1", "usr_9"]}}
    with pytest.raises(Invalid) as problem:
        check_company_settings(body, country="US", agents={"usr_1"})
    assert "no user 'usr_9'" in problem.value.detail


def test_custom_rule_needs_a_name_weekdays_and_a_window_i5() -> None:
    assert refused({**custom("", ["mon"], "09:00", "17:00")}).errors[0].field == (
        "custom_rules[0].name"
    )
    assert "is not one of mon" in refused(custom("a", ["monday"], "09:00", "17:00")).detail
    assert refused(custom("a", [], "09:00", "17:00")).errors[0].field == "custom_rules[0].days"
    assert "use HH:MM" in refused(custom("a", ["mon"], "24:00", "17:00")).detail
    assert "use HH:MM" in refused(custom("a", ["mon"], "9:00", "17:00")).detail


def test_empty_window_where_start_equals_end_is_refused_i5() -> None:
    problem = refused(custom("Never", ["mon"], "09:00", "09:00"))
    assert (problem.status, problem.errors[0].field) == (422, "custom_rules[0]")
    assert "the window is empty" in problem.detail


def test_two_rules_may_not_share_a_name_i5() -> None:
    problem = refused(
        custom("Lunch", ["mon"], "12:00", "13:00"), custom("Lunch", ["tue"], "12:00", "13:00")
    )
    assert problem.errors[0].field == "custom_rules[1].name"


def test_overlapping_rules_on_the_same_day_are_refused_naming_both_i5() -> None:
    problem = clash(
        custom("Mornings", ["mon", "tue"], "08:00", "12:00"),
        custom("Tuesday late morning", ["tue"], "11:00", "13:00"),
    )
    assert (problem.status, problem.code) == (409, "rule_overlap")
    assert "'Mornings'" in problem.detail
    assert "'Tuesday late morning'" in problem.detail
    assert "both cover tue 11:00" in problem.detail
    assert problem.extra["rules"] == ["Mornings", "Tuesday late morning"]


def test_friday_night_rule_overlaps_saturday_early_rule_across_midnight_i5() -> None:
    problem = clash(
        custom("Friday night", ["fri"], "22:00", "02:00"),
        custom("Saturday early", ["sat"], "01:00", "03:00"),
    )
    assert "both cover sat 01:00" in problem.detail
    assert "fri 22:00-02:00" in problem.detail


def test_sunday_night_rule_overlaps_monday_early_rule_across_the_week_end_i5() -> None:
    problem = clash(
        custom("Sunday night", ["sun"], "23:00", "01:00"),
        custom("Monday early", ["mon"], "00:30", "06:00"),
    )
    assert "both cover mon 00:30" in problem.detail


def test_back_to_back_and_other_day_rules_do_not_overlap_i5() -> None:
    settings = read(
        custom("Evenings", ["fri"], "17:00", "22:00"),
        custom("Friday night", ["fri"], "22:00", "02:00"),
        custom("Saturday", ["sat"], "02:00", "12:00"),
        custom("Thursday night", ["thu"], "22:00", "02:00"),
    )
    assert [r.name for r in settings.custom_rules] == [
        "Evenings",
        "Friday night",
        "Saturday",
        "Thursday night",
    ]


def test_midnight_crossing_window_started_friday_covers_saturday_early_not_friday_early_i5() -> (
    None
):
    settings = read(custom("Friday night", ["fri"], "22:00", "02:00", **USER))
    night = settings.custom_rules[0]
    assert rule_in_force(settings, datetime(2026, 11, 6, 22, 0)) == night  # Fri 22:00
    assert rule_in_force(settings, datetime(2026, 11, 7, 1, 59)) == night  # Sat 01:59
    assert rule_in_force(settings, datetime(2026, 11, 7, 2, 0)) == settings.default_rule
    assert rule_in_force(settings, datetime(2026, 11, 6, 1, 0)) == settings.default_rule
    assert rule_in_force(settings, datetime(2026, 11, 6, 21, 59)) == settings.default_rule


def test_rule_in_force_is_the_custom_rule_holding_the_moment_else_the_default_i5() -> None:
    settings = read(custom("Office", ["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00"))
    office = settings.custom_rules[0]
    assert rule_in_force(settings, datetime(2026, 11, 3, 9, 0)) == office  # Tue 09:00
    assert rule_in_force(settings, datetime(2026, 11, 3, 17, 0)) == settings.default_rule
    assert rule_in_force(settings, datetime(2026, 11, 7, 10, 0)) == settings.default_rule  # Sat
    assert office.label() == "custom rule 'Office'"
    assert settings.default_rule.label() == "the default rule"


def test_call_limit_is_configurable_and_must_be_a_positive_whole_number_i10() -> None:
    assert read(max_concurrent_calls=5).max_concurrent_calls == 5
    assert refused(max_concurrent_calls=0).errors[0].field == "max_concurrent_calls"
    assert "whole number" in refused(max_concurrent_calls=True).detail
    assert "whole number" in refused(max_concurrent_calls="50").detail


def test_settings_json_round_trips_i5() -> None:
    settings = read(
        custom(
            "Evenings", ["sun", "fri"], "18:00", "23:00", action="number", number="+12125550199"
        ),
        source="Website",
        tag="web-lead",
    )
    assert settings.custom_rules[0].window == Window(("fri", "sun"), time(18), time(23))
    body = settings.to_json()
    assert body["custom_rules"] == [
        {
            "name": "Evenings",
            "days": ["fri", "sun"],
            "start": "18:00",
            "end": "23:00",
            "action": "number",
            "number": "+12125550199",
        }
    ]
    assert check_company_settings(body, country="US") == settings
    assert settings.agent_ids() == {"usr_1"}


def test_new_contact_from_unknown_caller_gets_the_numbers_source_and_tag_i9() -> None:
    settings = read(source="Website", tag="web-lead")
    assert new_contact_labels(settings) == ("Website", ("web-lead",))
    assert new_contact_labels(read()) == (None, ())


def test_linking_to_an_existing_contact_adds_source_and_tag_as_tags_i9() -> None:
    settings = read(source="Website", tag="web-lead")
    assert linked_contact_tags(["vip", "Website"], settings) == ("vip", "Website", "web-lead")


def test_business_hours_load_as_windows_that_may_cross_midnight() -> None:
    (night,) = windows_from_json([{"days": ["sat"], "start": "20:00", "end": "04:00"}])
    assert night.covers(datetime(2026, 11, 8, 3, 0))  # Sun 03:00
    assert not night.covers(datetime(2026, 11, 7, 3, 0))  # Sat 03:00

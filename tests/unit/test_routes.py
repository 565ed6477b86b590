"""Inbound routes read from JSON (rules I1, I2, I3, N1, N11), without a database."""

from __future__ import annotations

import pytest

from numberdesk.domain.errors import Invalid
from numberdesk.domain.routes import (
    NOT_ASSIGNED,
    KnownTargets,
    Ring,
    Route,
    RouteType,
    Scope,
    check_route,
)


def read(data: object, **kw: object) -> Route:
    """A route as a US org sends it."""
    return check_route(data, country="US", **kw)  # type: ignore[arg-type]


def refused(data: object, **kw: object) -> Invalid:
    """The problem a bad route gets."""
    with pytest.raises(Invalid) as problem:
        read(data, **kw)
    return problem.value


def test_agent_route_names_one_agent_and_rings_the_extension_by_default_leaddesk_i2() -> None:
    route = read({"type": "agent", "agent_id": "usr_1"})
    assert route == Route(RouteType.AGENT, agent_id="usr_1", ring=Ring.EXTENSION)


def test_not_assigned_route_needs_no_fields_i1() -> None:
    assert read({"type": "not_assigned"}) == NOT_ASSIGNED


def test_route_without_its_required_field_is_refused_saying_what_to_give_i2() -> None:
    problem = refused({"type": "agent"})
    assert (problem.status, problem.code) == (422, "invalid_field")
    assert problem.errors[0].field == "agent_id"
    assert "needs the id of the agent" in problem.detail
    assert refused({"type": "queue", "queue_id": " "}).errors[0].field == "queue_id"
    assert refused({"type": "custom"}).errors[0].field == "destination_id"
    assert refused({"type": "forward"}).errors[0].field == "forward_to"


def test_unknown_field_is_refused_listing_the_route_fields_i2() -> None:
    problem = refused({"type": "agent", "agent_id": "usr_1", "agent": "usr_1"})
    assert problem.errors[0].field == "agent"
    assert "is not a route field" in problem.detail
    assert "fallback" in problem.detail


def test_field_of_another_route_type_is_refused_unless_null_i2() -> None:
    problem = refused({"type": "agent", "agent_id": "usr_1", "queue_id": "que_1"})
    assert problem.errors[0].field == "queue_id"
    assert "does not apply to agent routes; remove it" in problem.detail
    assert refused({"type": "queue", "queue_id": "q", "scope": "any"}).errors[0].field == "scope"
    assert read({"type": "agent", "agent_id": "usr_1", "queue_id": None}).queue_id is None


def test_missing_or_unknown_route_type_is_refused_listing_the_types_i2() -> None:
    assert "give the route type" in refused({"agent_id": "usr_1"}).detail
    problem = refused({"type": "voicemail"})
    assert problem.errors[0].field == "type"
    assert "last_caller" in problem.detail


def test_route_must_be_an_object() -> None:
    assert refused(["agent"]).errors[0].field == "route"


def test_forward_route_reads_a_national_number_with_the_orgs_country_n1_n11() -> None:
    route = read({"type": "forward", "forward_to": "(212) 555-0123"})
    assert route.forward_to == "+12125550123"
    assert refused({"type": "forward", "forward_to": "12"}).code == "invalid_phone_number"


def test_last_caller_route_defaults_to_this_number_and_the_extension_i2() -> None:
    route = read({"type": "last_caller"})
    assert (route.scope, route.ring, route.fallback) == (Scope.NUMBER, Ring.EXTENSION, None)


def test_last_caller_route_on_any_number_to_the_work_phone_with_a_queue_fallback_i2() -> None:
    data = {
        "type": "last_caller",
        "scope": "any",
        "ring": "work_phone",
        "fallback": {"type": "queue", "queue_id": "que_1"},
    }
    route = read(data)
    assert (route.scope, route.ring) == (Scope.ANY, Ring.WORK_PHONE)
    assert route.fallback == Route(RouteType.QUEUE, queue_id="que_1")


def test_bad_scope_or_ring_is_refused_listing_the_choices_i2() -> None:
    assert "number, any" in refused({"type": "last_caller", "scope": "org"}).detail
    problem = refused({"type": "agent", "agent_id": "u", "ring": "mobile"})
    assert problem.errors[0].field == "ring"
    assert "extension, work_phone" in problem.detail


def test_fallback_problems_name_the_nested_field_i2() -> None:
    problem = refused({"type": "last_caller", "fallback": {"type": "agent"}}, where="route")
    assert problem.errors[0].field == "route.fallback.agent_id"


def test_fallback_cannot_be_a_company_route_i2() -> None:
    problem = refused({"type": "last_caller", "fallback": {"type": "company"}})
    assert problem.errors[0].field == "fallback.type"


def test_fallbacks_nest_at_most_three_deep_i2() -> None:
    deepest: dict[str, object] = {"type": "not_assigned"}
    for _ in range(4):
        deepest = {"type": "last_caller", "scope": "any", "fallback": deepest}
    assert "at most 3 deep" in refused(deepest).detail
    three = deepest["fallback"]
    assert read(three).fallback is not None


def test_route_to_an_agent_queue_or_destination_not_in_the_org_is_refused_i2() -> None:
    known = KnownTargets(agents={"usr_1"}, queues={"que_1"}, destinations={"dst_1"})
    assert read({"type": "agent", "agent_id": "usr_1"}, known=known).agent_id == "usr_1"
    problem = refused({"type": "agent", "agent_id": "usr_9"}, known=known)
    assert "no agent 'usr_9' in your organisation" in problem.detail
    assert refused({"type": "queue", "queue_id": "que_9"}, known=known).errors[0].field == (
        "queue_id"
    )
    nested = {"type": "last_caller", "fallback": {"type": "custom", "destination_id": "dst_9"}}
    assert refused(nested, known=known).errors[0].field == "fallback.destination_id"


def test_route_json_round_trips_with_only_the_fields_its_type_uses_i2() -> None:
    route = read(
        {
            "type": "last_caller",
            "scope": "any",
            "fallback": {"type": "agent", "agent_id": "usr_2", "ring": "work_phone"},
        }
    )
    assert route.to_json() == {
        "type": "last_caller",
        "ring": "extension",
        "scope": "any",
        "fallback": {"type": "agent", "agent_id": "usr_2", "ring": "work_phone"},
    }
    assert read(route.to_json()) == route
    assert Route(RouteType.QUEUE, queue_id="q").to_json() == {"type": "queue", "queue_id": "q"}


def test_route_lists_every_agent_it_names_fallbacks_included() -> None:
    route = Route(RouteType.LAST_CALLER, fallback=Route(RouteType.AGENT, agent_id="usr_2"))
    assert route.agent_ids() == ("usr_2",)
    assert NOT_ASSIGNED.agent_ids() == ()

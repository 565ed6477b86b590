"""Domain rules of porting: the port-in state machine and what may be ported (N3, N7, N8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from numberdesk.domain.errors import Conflict, Invalid, NotFound
from numberdesk.domain.numbers import Kind, Number, Origin, Status
from numberdesk.domain.port_ins import (
    SANDBOX_COMPLETION_DELAY,
    TRANSITIONS,
    Party,
    PortIn,
    PortInStatus,
    allowed_from,
    check_carrier_target,
    check_completion_date,
    check_port_kind,
    check_port_numbers,
    check_reason,
    check_text,
    check_transition,
    check_update_fields,
    closing_reason,
    not_held,
    owner_by_mandate,
    porting_number,
    read_e164,
    require_portable_away,
)

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
S = PortInStatus


def port_in(status: PortInStatus = S.DRAFT, **fields: Any) -> PortIn:
    """A port-in of the org ``org_1``."""
    base = PortIn(
        org_id="org_1",
        id="prt_1",
        status=status,
        losing_carrier="Old Telco",
        account_ref="ACC",
        mandate_id="man_1",
        kind=Kind.VOICE,
        created_at=AT,
    )
    return replace(base, **fields)


def number(**fields: Any) -> Number:
    """An active purchased US number."""
    base = Number(
        org_id="org_1",
        id="num_1",
        e164="+12125550100",
        country="US",
        line_type="local",
        kind=Kind.VOICE,
        origin=Origin.PURCHASED,
        status=Status.ACTIVE,
        created_at=AT,
        area_code="212",
    )
    return replace(base, **fields)


# --- The state machine ----------------------------------------------------------------------


def test_the_lifecycle_is_draft_submitted_confirmed_completed_n7() -> None:
    assert allowed_from(S.DRAFT) == [S.SUBMITTED, S.CANCELLED]
    assert allowed_from(S.SUBMITTED) == [S.CONFIRMED, S.REJECTED, S.CANCELLED]
    assert allowed_from(S.CONFIRMED) == [S.COMPLETED, S.REJECTED, S.CANCELLED]
    for closed in (S.COMPLETED, S.REJECTED, S.CANCELLED):
        assert allowed_from(closed) == []


def test_the_org_submits_and_cancels_the_carrier_confirms_completes_and_rejects_n7() -> None:
    for (_, to), party in TRANSITIONS.items():
        expected = Party.ORG if to in (S.SUBMITTED, S.CANCELLED) else Party.CARRIER
        assert party is expected, to


@pytest.mark.parametrize(("frm", "to", "party"), [(f, t, p) for (f, t), p in TRANSITIONS.items()])
def test_every_allowed_move_passes(frm: PortInStatus, to: PortInStatus, party: Party) -> None:
    check_transition(port_in(frm), to, party)


def test_a_move_outside_the_table_is_409_naming_from_to_and_allowed_n7() -> None:
    with pytest.raises(Conflict) as refused:
        check_transition(port_in(S.SUBMITTED), S.COMPLETED, Party.CARRIER)
    problem = refused.value
    assert problem.code == "invalid_transition"
    assert problem.extra == {
        "from": "submitted",
        "to": "completed",
        "allowed": ["confirmed", "rejected"],
    }
    assert "rule N7" in problem.detail


def test_the_org_cannot_play_the_carrier_nor_the_carrier_the_org_n7() -> None:
    with pytest.raises(Conflict) as as_org:
        check_transition(port_in(S.SUBMITTED), S.CONFIRMED, Party.ORG)
    assert as_org.value.extra["allowed"] == ["cancelled"]
    with pytest.raises(Conflict):
        check_transition(port_in(S.DRAFT), S.SUBMITTED, Party.CARRIER)


def test_a_closed_port_in_allows_nothing() -> None:
    with pytest.raises(Conflict) as refused:
        check_transition(port_in(S.COMPLETED), S.CANCELLED, Party.ORG)
    assert "nothing (it is closed)" in refused.value.detail


def test_only_open_port_ins_are_open() -> None:
    assert [s for s in S if port_in(s).is_open] == [S.DRAFT, S.SUBMITTED, S.CONFIRMED]


def test_a_confirmed_port_in_is_due_once_its_completion_date_has_come_n7() -> None:
    confirmed = port_in(S.CONFIRMED, completion_date=AT)
    assert not confirmed.is_due(AT - timedelta(seconds=1))
    assert confirmed.is_due(AT)
    assert not port_in(S.SUBMITTED, completion_date=AT).is_due(AT)
    assert not port_in(S.CONFIRMED).is_due(AT)


def test_rows_are_read_back_into_enums() -> None:
    loaded = port_in(status="confirmed", kind="omni")  # type: ignore[arg-type]
    assert (loaded.status, loaded.kind) == (S.CONFIRMED, Kind.OMNI)


# --- What a request may say -----------------------------------------------------------------


def test_carrier_updates_are_confirmed_completed_or_rejected() -> None:
    assert check_carrier_target("completed") is S.COMPLETED
    for wrong in ("submitted", "cancelled", "done"):
        with pytest.raises(Invalid):
            check_carrier_target(wrong)


def test_a_date_only_with_a_confirmation_and_a_reason_only_with_a_rejection() -> None:
    check_update_fields(S.CONFIRMED, None, AT)
    check_update_fields(S.REJECTED, "no", None)
    with pytest.raises(Invalid):
        check_update_fields(S.COMPLETED, None, AT)
    with pytest.raises(Invalid):
        check_update_fields(S.CONFIRMED, "why", None)


def test_the_completion_date_needs_an_offset_and_defaults_to_tomorrow() -> None:
    assert check_completion_date(None, AT) == AT + SANDBOX_COMPLETION_DELAY
    assert check_completion_date(AT, AT) == AT
    with pytest.raises(Invalid):
        check_completion_date(datetime(2026, 11, 5, 9, 0), AT)


def test_a_rejection_needs_a_reason_n7() -> None:
    assert check_reason("  Wrong account  ") == "Wrong account"
    for missing in (None, "", "   "):
        with pytest.raises(Invalid):
            check_reason(missing)
    with pytest.raises(Invalid):
        check_reason("x" * 501)


def test_ported_numbers_are_voice_or_omni_if_asked_n7() -> None:
    assert check_port_kind(None) is Kind.VOICE
    assert check_port_kind("omni") is Kind.OMNI
    for wrong in ("sms", "masked", "fax"):
        with pytest.raises(Invalid) as refused:
            check_port_kind(wrong)
        assert refused.value.code == "kind_not_portable"


def test_texts_are_trimmed_and_required() -> None:
    assert check_text(" Old Telco ", "losing_carrier") == "Old Telco"
    with pytest.raises(Invalid):
        check_text(" ", "losing_carrier")
    with pytest.raises(Invalid):
        check_text("x" * 201, "account_ref")


def test_numbers_are_read_with_the_orgs_country_n1() -> None:
    parsed = check_port_numbers(["2125550100", "+1 212 555 0101"], "US")
    assert [p.e164 for p in parsed] == ["+12125550100", "+12125550101"]


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        ([], "list 1 to 100"),
        ([f"+1212555{i:04d}" for i in range(101)], "list 1 to 100"),
        (["+12125550100", "2125550100"], "listed twice"),
        (["+12125550100", "+442079460000"], "one country"),
        (["12"], "not a"),
    ],
)
def test_bad_number_lists_are_refused(numbers: list[str], message: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_port_numbers(numbers, "US")
    assert message in refused.value.detail


# --- Numbers that arrive and leave ------------------------------------------------------------


def test_a_submitted_port_in_brings_porting_in_numbers_owned_by_the_grantor_n3_n7() -> None:
    made = porting_number(port_in(kind=Kind.OMNI), "+12125550100", ("sponsor", "spn_1"), AT)
    assert (made.status, made.origin, made.kind) == (Status.PORTING_IN, Origin.PORTED_IN, Kind.OMNI)
    assert (made.owner_type, made.owner_id, made.mandate_id) == ("sponsor", "spn_1", "man_1")
    assert (made.area_code, made.line_type, made.order_id) == ("212", "local", "prt_1")


def test_the_owner_is_the_mandates_grantor() -> None:
    assert owner_by_mandate("org", None, "org_1") == ("org", "org_1")
    assert owner_by_mandate("sponsor", "spn_1", "org_1") == ("sponsor", "spn_1")


def test_closing_reason_keeps_the_carriers_reason() -> None:
    closed = port_in(S.REJECTED, reason="Wrong account")
    assert closing_reason(closed) == "port-in prt_1 was rejected: Wrong account"
    assert closing_reason(port_in(S.CANCELLED)) == "port-in prt_1 was cancelled"


def test_only_a_live_number_we_serve_can_port_out_n8() -> None:
    require_portable_away(number())
    require_portable_away(number(status=Status.SUSPENDED, origin=Origin.PORTED_IN))
    cases = {
        "number_not_live": number(status=Status.RELEASED),
        "number_is_masked": number(kind=Kind.MASKED, origin=Origin.MASKED),
        "number_porting_in": number(status=Status.PORTING_IN, origin=Origin.PORTED_IN),
    }
    for code, case in cases.items():
        with pytest.raises(Conflict) as refused:
            require_portable_away(case)
        assert refused.value.code == code


def test_a_port_out_notice_names_the_number_in_e164() -> None:
    assert read_e164(" +1 212 555 0100 ") == "+12125550100"
    with pytest.raises(Invalid):
        read_e164("2125550100")


def test_a_port_out_of_a_number_nobody_has_is_404_and_of_a_gone_one_409() -> None:
    assert isinstance(not_held("+12125550100", None), NotFound)
    gone = not_held("+12125550100", number(status=Status.PORTED_OUT))
    assert isinstance(gone, Conflict)
    assert "ported_out" in gone.detail

"""Domain rules of masked numbers: voice out only (N2), verified by a call's code (N6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from numberdesk.domain.errors import Conflict, Invalid
from numberdesk.domain.masking import (
    MAX_ATTEMPTS,
    Owner,
    check_code,
    check_e164,
    check_owner,
    masked_number,
    new_verification,
    next_call,
    require_waiting,
    wrong_code,
)
from numberdesk.domain.numbers import Capability, Kind, Origin, Status, require_capability
from numberdesk.domain.phones import parse_phone

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PHONE = parse_phone("+14155550123", "US")


def test_a_masked_number_starts_pending_waiting_for_its_code_n6() -> None:
    number = masked_number("org_1", PHONE, Owner("sponsor", "spn_1"), "mdt_1", AT)
    assert (number.kind, number.origin, number.status) == (
        Kind.MASKED,
        Origin.MASKED,
        Status.PENDING,
    )
    assert number.status_reason == "waiting for the verification code"
    assert (number.owner_type, number.owner_id, number.mandate_id) == ("sponsor", "spn_1", "mdt_1")
    assert (number.area_code, number.line_type) == ("415", "local")


def test_a_masked_number_can_make_calls_but_never_receive_calls_or_text_n2() -> None:
    number = masked_number("org_1", PHONE, Owner("org"), "mdt_1", AT)
    assert number.owner_id == "org_1"
    require_capability(number, Capability.VOICE_OUT, "as agent caller ID")
    for capability in (Capability.VOICE_IN, Capability.SMS_IN, Capability.SMS_OUT):
        with pytest.raises(Invalid) as refused:
            require_capability(number, capability, "for this")
        assert refused.value.code == "capability_missing"
        assert "N2" in refused.value.detail


@pytest.mark.parametrize("typed", ["123456", " 123 456 ", "000000"])
def test_a_code_is_the_six_digits_read_out(typed: str) -> None:
    assert check_code(typed) == typed.replace(" ", "").strip()


@pytest.mark.parametrize("typed", ["12345", "1234567", "12ab56", "", "١٢٣٤٥٦"])
def test_anything_but_six_digits_is_not_a_code(typed: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_code(typed)
    assert refused.value.code == "invalid_code"


def test_the_owner_is_the_org_or_one_of_its_sponsors_with_an_id() -> None:
    assert check_owner("org", None, "org_1") == Owner("org")
    assert check_owner("org", "org_1", "org_1") == Owner("org")
    assert check_owner("sponsor", "spn_1", "org_1").grantor_id == "spn_1"
    assert Owner("org").grantor_id is None
    for owner_type, owner_id, field in [
        ("org", "org_2", "owner.id"),
        ("sponsor", None, "owner.id"),
        ("partner", "x", "owner.type"),
    ]:
        with pytest.raises(Invalid) as refused:
            check_owner(owner_type, owner_id, "org_1")
        assert refused.value.errors[0].field == field


def test_a_call_can_be_answered_for_fifteen_minutes_and_five_tries_n6() -> None:
    verification = new_verification("org_1", "num_1", "vcall_1", AT)
    assert verification.state(AT + timedelta(minutes=14, seconds=59)) == "waiting"
    assert verification.state(AT + timedelta(minutes=15)) == "expired"
    used_up = replace(verification, attempts=MAX_ATTEMPTS)
    assert (used_up.state(AT), used_up.attempts_left()) == ("expired", 0)
    assert replace(verification, verified_at=AT).state(AT + timedelta(days=1)) == "verified"


def test_a_new_call_replaces_the_code_and_restarts_the_tries_n6() -> None:
    old = replace(new_verification("org_1", "num_1", "vcall_1", AT), attempts=MAX_ATTEMPTS)
    later = AT + timedelta(hours=1)
    fresh = next_call(old, "org_1", "num_1", "vcall_2", later)
    assert (fresh.id, fresh.carrier_call_id, fresh.attempts) == (old.id, "vcall_2", 0)
    assert fresh.state(later) == "waiting"


def test_a_wrong_code_says_how_many_tries_are_left_and_then_the_fix_n6() -> None:
    number = masked_number("org_1", PHONE, Owner("org"), "mdt_1", AT)
    assert wrong_code(number, 4).extra["attempts_left"] == 1
    last = wrong_code(number, MAX_ATTEMPTS)
    assert last.extra["attempts_left"] == 0
    assert f"/v1/numbers/{number.id}/verification-calls" in last.detail


def test_only_a_pending_masked_number_waits_for_a_code_n6() -> None:
    number = masked_number("org_1", PHONE, Owner("org"), "mdt_1", AT)
    require_waiting(number)
    for changed, code in [
        (replace(number, status=Status.ACTIVE), "already_verified"),
        (replace(number, status=Status.SUSPENDED), "number_not_pending"),
        (replace(number, status=Status.RELEASED), "number_not_pending"),
        (replace(number, origin=Origin.PURCHASED, kind=Kind.VOICE), "not_masked"),
    ]:
        with pytest.raises(Conflict) as refused:
            require_waiting(changed)
        assert refused.value.code == code


def test_the_operator_gives_numbers_in_e164() -> None:
    assert check_e164(" +1 415 555 0123") == "+14155550123"
    with pytest.raises(Invalid):
        check_e164("4155550123")

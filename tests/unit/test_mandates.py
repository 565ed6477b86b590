"""Domain rules of mandates: purposes, coverage, validity, signing, revoking, using (N5, C3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from numberdesk.domain.errors import Conflict, Invalid
from numberdesk.domain.mandates import (
    Mandate,
    MandateStatus,
    Purpose,
    check_coverage,
    check_purposes,
    check_valid_until,
    effective_status,
    needed_purpose,
    owner_of,
    require_usable,
    revoked,
    signed,
    suspension_reason,
    terms_hash,
)
from numberdesk.domain.numbers import Kind, Number, Origin, Status

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NUMBER = "+12127108999"


def mandate(**fields: Any) -> Mandate:
    """An active mask mandate of sponsor spn_1 for one New York number."""
    base = Mandate(
        org_id="org_1",
        id="mdt_1",
        grantor_type="sponsor",
        grantor_id="spn_1",
        purposes=["mask"],
        all_numbers=False,
        status="active",
        valid_from=AT,
        created_at=AT,
        numbers=[NUMBER],
    )
    return replace(base, **fields)


def use(m: Mandate, **overrides: Any) -> None:
    """Use the mandate to mask NUMBER as sponsor spn_1 (unless overridden)."""
    args: dict[str, Any] = {
        "purpose": "mask",
        "grantor_type": "sponsor",
        "grantor_id": "spn_1",
        "e164s": [NUMBER],
        "at": AT,
    }
    require_usable(m, **{**args, **overrides})


def test_purposes_are_known_deduplicated_and_in_a_fixed_order() -> None:
    assert check_purposes(["port", "mask", "port"]) == ["mask", "port"]


@pytest.mark.parametrize("purposes", [[], ["mask", "call"]])
def test_unknown_or_no_purpose_is_refused(purposes: list[str]) -> None:
    with pytest.raises(Invalid) as refused:
        check_purposes(purposes)
    assert "purchase, mask, port, register, brand" in refused.value.detail


def test_national_numbers_are_read_with_the_orgs_country_n1() -> None:
    assert check_coverage(["(212) 710-8999", NUMBER], None, "US") == ([NUMBER], False)
    assert check_coverage(None, True, "US") == ([], True)


@pytest.mark.parametrize(
    ("numbers", "all_numbers"), [([NUMBER], True), (None, None), (None, False), ([], None)]
)
def test_exactly_one_of_numbers_or_all_numbers(
    numbers: list[str] | None, all_numbers: bool | None
) -> None:
    with pytest.raises(Invalid):
        check_coverage(numbers, all_numbers, "US")


def test_valid_until_must_be_in_the_future_with_an_offset() -> None:
    assert check_valid_until(None, AT) is None
    assert check_valid_until(AT + timedelta(days=1), AT) == AT + timedelta(days=1)
    for bad in (AT, AT - timedelta(seconds=1), datetime(2027, 1, 1)):
        with pytest.raises(Invalid):
            check_valid_until(bad, AT)


def test_a_mandate_past_valid_until_is_expired_without_any_job_c3() -> None:
    until = AT + timedelta(days=1)
    m = mandate(valid_until=until)
    assert effective_status(m, until - timedelta(seconds=1)) is MandateStatus.ACTIVE
    assert effective_status(m, until) is MandateStatus.EXPIRED
    pending = mandate(status="pending_signature", valid_until=until)
    assert effective_status(pending, until) is MandateStatus.EXPIRED
    assert effective_status(mandate(status="revoked", valid_until=until), until).value == "revoked"


def test_signing_makes_it_active_with_who_when_and_a_hash_c3() -> None:
    pending = mandate(status="pending_signature")
    done = signed(pending, "  Maija Virtanen ", None, AT)
    assert (done.status, done.signed_by, done.signed_at) == ("active", "Maija Virtanen", AT)
    assert done.document_hash == terms_hash(pending)
    given = "AB" * 32
    assert signed(pending, "M", given, AT).document_hash == "ab" * 32
    with pytest.raises(Invalid):
        signed(pending, "M", "not-a-hash", AT)


def test_terms_hash_changes_with_the_terms() -> None:
    assert terms_hash(mandate()) == terms_hash(mandate())
    assert terms_hash(mandate()) != terms_hash(mandate(purposes=["mask", "port"]))


@pytest.mark.parametrize("status", ["active", "revoked", "expired"])
def test_only_a_pending_mandate_is_signed_c3(status: str) -> None:
    with pytest.raises(Conflict) as refused:
        signed(mandate(status=status), "M", None, AT)
    assert refused.value.code == "mandate_not_pending"


def test_a_pending_mandate_past_its_validity_cannot_be_signed() -> None:
    late = mandate(status="pending_signature", valid_until=AT - timedelta(hours=1))
    with pytest.raises(Conflict) as refused:
        signed(late, "M", None, AT)
    assert "expired" in refused.value.detail
    assert "create a new mandate" in refused.value.detail


def test_revoking_ends_an_open_mandate_once_c3() -> None:
    assert revoked(mandate(), AT).status == "revoked"
    assert revoked(mandate(status="pending_signature"), AT).revoked_at == AT
    for ended in (mandate(status="revoked"), mandate(valid_until=AT)):
        with pytest.raises(Conflict) as refused:
            revoked(ended, AT)
        assert refused.value.code == "mandate_ended"


def test_an_active_mandate_of_the_owner_with_the_purpose_covering_the_number_is_usable() -> None:
    use(mandate())
    use(mandate(all_numbers=True, numbers=[]), e164s=["+358401234567"])
    use(mandate(grantor_type="org", grantor_id=None), grantor_type="org", grantor_id="org_1")
    use(mandate(), e164s=[])


@pytest.mark.parametrize(
    ("changed", "code", "words"),
    [
        ({"status": "pending_signature"}, "mandate_not_active", "Sign it"),
        ({"status": "revoked"}, "mandate_not_active", "create a new mandate"),
        ({"valid_until": AT}, "mandate_not_active", "create a new mandate"),
        ({"purposes": ["port"]}, "mandate_purpose_missing", "does not allow mask"),
        ({"grantor_id": "spn_2"}, "mandate_wrong_grantor", "sponsor spn_1"),
        ({"grantor_type": "org", "grantor_id": None}, "mandate_wrong_grantor", "owner"),
        ({"numbers": ["+12127108998"]}, "mandate_number_not_covered", NUMBER),
    ],
)
def test_an_unusable_mandate_is_refused_naming_the_rule_and_fix_n6_c3(
    changed: dict[str, Any], code: str, words: str
) -> None:
    with pytest.raises(Invalid) as refused:
        use(mandate(**changed))
    assert refused.value.code == code
    assert words in refused.value.detail
    assert "N6" in refused.value.detail
    assert refused.value.extra["rule"] == "N6"


@pytest.mark.parametrize(
    ("purpose", "rule"), [("purchase", "N5"), ("port", "N7"), ("brand", "N9"), ("register", "N10")]
)
def test_each_purpose_names_its_rule(purpose: str, rule: str) -> None:
    with pytest.raises(Invalid) as refused:
        use(mandate(), purpose=purpose)
    assert f"rule {rule}" in refused.value.detail


def number(**fields: Any) -> Number:
    """A purchased New York number of the org."""
    base = Number(
        org_id="org_1",
        id="num_1",
        e164=NUMBER,
        country="US",
        line_type="local",
        kind=Kind.VOICE,
        origin=Origin.PURCHASED,
        status=Status.SUSPENDED,
        created_at=AT,
    )
    return replace(base, **fields)


def test_the_purpose_a_number_needs_follows_how_it_came_and_whose_it_is() -> None:
    assert needed_purpose(number()) is None
    assert needed_purpose(number(owner_type="sponsor", owner_id="spn_1")) is Purpose.PURCHASE
    assert needed_purpose(number(origin=Origin.MASKED, kind=Kind.MASKED)) is Purpose.MASK
    assert needed_purpose(number(origin=Origin.PORTED_IN)) is Purpose.PORT
    assert owner_of(number(owner_type="org", owner_id="org_1")) == ("org", None)
    assert owner_of(number(owner_type="sponsor", owner_id="spn_1")) == ("sponsor", "spn_1")


def test_the_suspension_reason_names_the_mandate_why_and_the_way_back_c3() -> None:
    reason = suspension_reason(mandate(status="expired"), "num_1", AT)
    assert "mdt_1 expired" in reason
    assert "/v1/numbers/num_1/reactivate" in reason
    assert "was revoked" in suspension_reason(mandate(status="revoked"), "num_1", AT)
    assert len(reason) <= 300

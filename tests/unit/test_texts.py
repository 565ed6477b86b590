"""The text sender decision (rules S1, S2, N2, N3, C4), without a database."""

from __future__ import annotations

import pytest

from numberdesk.domain.errors import Conflict, Forbidden, Invalid
from numberdesk.domain.numbers import Kind, Status
from numberdesk.domain.texts import (
    SenderNumber,
    TextCard,
    TextMode,
    TextRequest,
    check_mode,
    choose_sender,
)

PERSONAL = SenderNumber("num_p", "+12125550101", Kind.SMS, Status.ACTIVE)
COMPANY = SenderNumber("num_c", "+12125550102", Kind.OMNI, Status.ACTIVE)
VOICE = SenderNumber("num_v", "+12125550103", Kind.VOICE, Status.ACTIVE)


def card(**fields: object) -> TextCard:
    """A user's card with the given sender ID and numbers."""
    return TextCard("usr_1", **fields)  # type: ignore[arg-type]


def manual(requested: str | None) -> TextRequest:
    """A manual text from ``requested`` in a US org."""
    return TextRequest(TextMode.MANUAL, "US", requested)


AUTO = TextRequest(TextMode.AUTO, "US")


def test_manual_text_uses_the_personal_or_company_number_the_user_chose_s1() -> None:
    user = card(personal=PERSONAL, company=COMPANY)
    mine = choose_sender(user, manual("+12125550101"))
    assert (mine.sender, mine.number_id, mine.step) == ("+12125550101", "num_p", "manual")
    company = choose_sender(user, manual("(212) 555-0102"))
    assert (company.sender, company.number_id) == ("+12125550102", "num_c")
    assert "company number" in company.trace[0].reason


def test_manual_text_from_a_number_the_user_may_not_use_is_refused_naming_options_s1() -> None:
    with pytest.raises(Forbidden) as refused:
        choose_sender(card(personal=PERSONAL, company=COMPANY), manual("+12125550199"))
    assert refused.value.code == "sender_not_allowed"
    assert "+12125550101 (personal number)" in refused.value.detail
    assert "+12125550102 (company number)" in refused.value.detail
    assert [o["e164"] for o in refused.value.extra["options"]] == ["+12125550101", "+12125550102"]  # type: ignore[attr-defined]


def test_manual_text_from_a_voice_only_number_is_refused_n2_s1() -> None:
    with pytest.raises(Forbidden) as refused:
        choose_sender(card(personal=VOICE, company=COMPANY), manual("+12125550103"))
    assert refused.value.code == "sender_not_allowed"
    assert "voice number and cannot send texts" in refused.value.detail
    assert "+12125550102 (company number)" in refused.value.detail


def test_manual_text_without_from_lists_the_options_s1() -> None:
    with pytest.raises(Invalid) as refused:
        choose_sender(card(personal=VOICE, company=COMPANY), manual(None))
    assert refused.value.code == "sender_required"
    assert refused.value.extra["options"] == [
        {"e164": "+12125550102", "number_id": "num_c", "as": "company number"}
    ]


def test_manual_text_from_an_unparseable_number_is_invalid_n1() -> None:
    with pytest.raises(Invalid) as refused:
        choose_sender(card(personal=PERSONAL), manual("not a number"))
    assert refused.value.code == "invalid_phone_number"


def test_auto_text_uses_sender_id_then_personal_then_company_number_s2() -> None:
    named = choose_sender(card(sender_id="ACME", personal=PERSONAL, company=COMPANY), AUTO)
    assert (named.sender, named.number_id, named.step) == ("ACME", None, "sender_id")
    personal = choose_sender(card(personal=PERSONAL, company=COMPANY), AUTO)
    assert (personal.sender, personal.step) == ("+12125550101", "personal")
    assert [t.result for t in personal.trace] == ["no_match", "chosen"]
    company = choose_sender(card(company=COMPANY), AUTO)
    assert (company.sender, company.step) == ("+12125550102", "company")
    assert [t.result for t in company.trace] == ["no_match", "no_match", "chosen"]


def test_auto_text_uses_a_phone_number_sender_id_only_while_it_can_text_s2_n3() -> None:
    number = SenderNumber("num_s", "+12125550104", Kind.SMS, Status.ACTIVE)
    chosen = choose_sender(card(sender_id=number.e164, sender_number=number), AUTO)
    assert (chosen.sender, chosen.number_id, chosen.step) == (number.e164, "num_s", "sender_id")
    suspended = SenderNumber("num_s", "+12125550104", Kind.SMS, Status.SUSPENDED)
    fallback = choose_sender(
        card(sender_id=number.e164, sender_number=suspended, personal=PERSONAL), AUTO
    )
    assert fallback.step == "personal"
    assert "is suspended" in fallback.trace[0].reason
    gone = choose_sender(card(sender_id=number.e164, company=COMPANY), AUTO)
    assert "no longer one of the organisation's numbers" in gone.trace[0].reason


def test_auto_text_skips_a_voice_only_personal_number_with_the_reason_n2_s2() -> None:
    answer = choose_sender(card(personal=VOICE, company=COMPANY), AUTO)
    assert (answer.sender, answer.step) == ("+12125550102", "company")
    skipped = answer.trace[1]
    assert (skipped.step, skipped.result) == ("personal", "skipped")
    assert skipped.reason == (
        "personal number +12125550103 is a voice number and cannot send texts (rule N2)"
    )


@pytest.mark.parametrize(
    ("number", "why"),
    [
        (SenderNumber("num_m", "+12125550105", Kind.MASKED, Status.ACTIVE), "masked"),
        (SenderNumber("num_s", "+12125550106", Kind.SMS, Status.SUSPENDED), "is suspended"),
        (SenderNumber("num_r", "+12125550107", Kind.OMNI, Status.RELEASED), "is released"),
        (
            SenderNumber("num_a", "+12125550108", Kind.SMS, Status.ACTIVE, ("needs an address",)),
            "not compliant",
        ),
    ],
    ids=["masked", "suspended", "released", "non_compliant"],
)
def test_masked_suspended_released_or_non_compliant_numbers_never_send_texts_n2_n3_c4(
    number: SenderNumber, why: str
) -> None:
    answer = choose_sender(card(personal=number, company=COMPANY), AUTO)
    assert answer.step == "company"
    assert why in answer.trace[1].reason
    with pytest.raises(Forbidden, match=why):
        choose_sender(card(personal=number), manual(number.e164))


def test_auto_text_with_nothing_to_send_from_is_a_409_with_the_trace_s2() -> None:
    with pytest.raises(Conflict) as refused:
        choose_sender(card(personal=VOICE), AUTO)
    assert refused.value.code == "no_sender"
    trace = refused.value.extra["trace"]
    assert [(t["step"], t["result"]) for t in trace] == [  # type: ignore[attr-defined]
        ("sender_id", "no_match"),
        ("personal", "skipped"),
        ("company", "no_match"),
    ]


def test_auto_text_refuses_a_from_and_bad_modes_are_invalid() -> None:
    with pytest.raises(Invalid):
        choose_sender(card(personal=PERSONAL), TextRequest(TextMode.AUTO, "US", "+12125550101"))
    with pytest.raises(Invalid) as refused:
        check_mode("sometimes")
    assert refused.value.code == "unknown_mode"

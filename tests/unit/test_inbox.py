"""When a call is missed and who may act on an inbox item (rules I7, I8, I9), without a
database; who sees which item is proven through the API (``tests/integration/test_inbox``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from numberdesk.domain.errors import Conflict, Forbidden, Invalid, Problem
from numberdesk.domain.inbox import (
    ClaimAction,
    InboxItem,
    ItemStatus,
    as_of,
    check_claim,
    claim_refused,
    claimed,
)

MISSED = InboxItem(
    "org_1", "itm_1", "call_1", "num_1", "+12125550142", "voice",
    datetime(2026, 11, 2, 9, 0, tzinfo=UTC), ItemStatus.UNCLAIMED, selected=["ann", "bob"],
)  # fmt: skip


def test_a_call_still_ringing_past_the_longest_a_call_lasts_is_missed_i7_i10() -> None:
    ringing = replace(MISSED, status=ItemStatus.RINGING)
    began = ringing.at
    assert as_of(ringing, began - timedelta(seconds=1)).status is ItemStatus.RINGING
    assert as_of(ringing, began).status is ItemStatus.UNCLAIMED
    answered = replace(MISSED, status=ItemStatus.ANSWERED, owner_id="bob")
    assert as_of(answered, began + timedelta(days=1)) == answered


def test_only_selected_agents_claim_and_only_unclaimed_items_i8() -> None:
    with pytest.raises(Forbidden):
        check_claim(MISSED, "cid", ClaimAction.CALL_BACK, None)
    with pytest.raises(Conflict):
        check_claim(replace(MISSED, status=ItemStatus.CLAIMED), "bob", ClaimAction.CALL_BACK, None)
    with pytest.raises(Invalid):
        check_claim(MISSED, "bob", ClaimAction.LINK_CONTACT, None)
    check_claim(MISSED, "bob", ClaimAction.TEXT_BACK, None)


ANSWERED = replace(MISSED, status=ItemStatus.ANSWERED, owner_id="bob")
LATER = datetime(2026, 11, 2, 9, 5, tzinfo=UTC)


def refusal(item: InboxItem, agent: str, action: ClaimAction) -> tuple[int, str, str]:
    """(status, code, detail) of the refusal of ``agent``'s action on ``item``."""
    with pytest.raises(Problem) as refused:
        check_claim(item, agent, action, "crm-1")
    return refused.value.status, refused.value.code, refused.value.detail


@pytest.mark.parametrize("action", list(ClaimAction))
def test_the_answering_agent_may_take_every_follow_up_action_on_their_call_i7(
    action: ClaimAction,
) -> None:
    check_claim(ANSWERED, "bob", action, "crm-1")


def test_the_first_action_on_an_answered_call_claims_it_for_the_answering_agent_i7_i8() -> None:
    after = claimed(ANSWERED, "bob", ClaimAction.CALL_BACK, LATER)
    assert (after.status, after.owner_id, after.claim_action, after.claimed_at) == (
        ItemStatus.CLAIMED, "bob", ClaimAction.CALL_BACK, LATER,
    )  # fmt: skip


def test_a_selected_agent_is_told_another_agent_answered_the_call_i7() -> None:
    status, code, detail = refusal(ANSWERED, "ann", ClaimAction.CALL_BACK)
    assert (status, code) == (409, "already_claimed")
    assert "Another agent answered" in detail
    assert "I7" in detail


def test_an_agent_never_offered_the_answered_call_is_refused_as_not_selected_i8() -> None:
    assert refusal(ANSWERED, "cid", ClaimAction.CALL_BACK)[:2] == (403, "not_selected")


def test_an_agent_whose_claim_lost_is_told_another_followed_up_i8() -> None:
    taken = claimed(MISSED, "ann", ClaimAction.TEXT_BACK, LATER)
    status, code, detail = refusal(taken, "bob", ClaimAction.CALL_BACK)
    assert (status, code) == (409, "already_claimed")
    assert "Another agent already followed up" in detail


@pytest.mark.parametrize("action", [ClaimAction.CALL_BACK, ClaimAction.TEXT_BACK])
def test_a_repeated_call_or_text_back_is_told_the_item_is_already_yours_i8(
    action: ClaimAction,
) -> None:
    mine = claimed(ANSWERED, "bob", ClaimAction.CALL_BACK, LATER)
    status, code, detail = refusal(mine, "bob", action)
    assert (status, code) == (409, "already_claimed")
    assert "You already claimed" in detail
    assert "stays yours" in detail
    assert "Another agent" not in detail


@pytest.mark.parametrize("action", [ClaimAction.CREATE_CONTACT, ClaimAction.LINK_CONTACT])
def test_the_owner_may_still_make_the_contact_their_claim_lacks_keeping_the_claim_i8_i9(
    action: ClaimAction,
) -> None:
    mine = claimed(MISSED, "bob", ClaimAction.CALL_BACK, LATER)
    check_claim(mine, "bob", action, "crm-1")
    again = claimed(mine, "bob", action, datetime(2026, 11, 2, 10, 0, tzinfo=UTC))
    assert (again.claim_action, again.claimed_at) == (ClaimAction.CALL_BACK, LATER)


def test_a_second_contact_is_told_the_item_already_has_one_i8_i9() -> None:
    mine = replace(claimed(ANSWERED, "bob", ClaimAction.CREATE_CONTACT, LATER), contact_id="con_1")
    status, code, detail = refusal(mine, "bob", ClaimAction.LINK_CONTACT)
    assert (status, code) == (409, "already_claimed")
    assert "con_1" in detail
    assert "already made" in detail


def test_a_ringing_call_cannot_be_claimed_yet_and_says_so_i7() -> None:
    ringing = replace(MISSED, status=ItemStatus.RINGING)
    assert refusal(ringing, "ann", ClaimAction.CALL_BACK)[:2] == (409, "still_ringing")
    assert refusal(ringing, "cid", ClaimAction.CALL_BACK)[:2] == (403, "not_selected")


def test_the_owner_linking_without_a_contact_is_invalid_i8() -> None:
    with pytest.raises(Invalid):
        check_claim(ANSWERED, "bob", ClaimAction.LINK_CONTACT, None)


def test_the_refusal_after_a_lost_race_is_worded_for_the_agent_as_the_item_now_stands_i8() -> None:
    mine = claimed(ANSWERED, "bob", ClaimAction.TEXT_BACK, LATER)
    assert "You already claimed" in claim_refused(mine, "bob").detail
    assert "Another agent already followed up" in claim_refused(mine, "ann").detail

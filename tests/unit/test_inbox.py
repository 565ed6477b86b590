"""Who sees an inbox item and who may claim it (rules I7, I8), without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from numberdesk.domain.errors import Conflict, Forbidden, Invalid
from numberdesk.domain.inbox import ClaimAction, InboxItem, ItemStatus, check_claim, visible_to

MISSED = InboxItem(
    "org_1", "itm_1", "call_1", "num_1", "+12125550142", "voice",
    datetime(2026, 11, 2, 9, 0, tzinfo=UTC), ItemStatus.UNCLAIMED, selected=["ann", "bob"],
)  # fmt: skip


def test_missed_call_is_visible_to_every_selected_agent_and_nobody_else_i7() -> None:
    assert [visible_to(MISSED, a) for a in ("ann", "bob", "cid")] == [True, True, False]


def test_answered_call_is_visible_to_the_answering_agent_only_i7() -> None:
    answered = replace(MISSED, status=ItemStatus.ANSWERED, owner_id="bob")
    assert [visible_to(answered, a) for a in ("ann", "bob")] == [False, True]


def test_claimed_item_disappears_for_the_others_i8() -> None:
    claimed = replace(MISSED, status=ItemStatus.CLAIMED, owner_id="ann")
    assert [visible_to(claimed, a) for a in ("ann", "bob")] == [True, False]


def test_a_ringing_call_is_in_nobodys_inbox_yet_i7() -> None:
    assert not visible_to(replace(MISSED, status=ItemStatus.RINGING), "ann")


def test_only_selected_agents_claim_and_only_unclaimed_items_i8() -> None:
    with pytest.raises(Forbidden):
        check_claim(MISSED, "cid", ClaimAction.CALL_BACK, None)
    with pytest.raises(Conflict):
        check_claim(replace(MISSED, status=ItemStatus.CLAIMED), "bob", ClaimAction.CALL_BACK, None)
    with pytest.raises(Invalid):
        check_claim(MISSED, "bob", ClaimAction.LINK_CONTACT, None)
    check_claim(MISSED, "bob", ClaimAction.TEXT_BACK, None)

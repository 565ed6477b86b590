"""Contacts as the CRM gives them (rules I4, I9), without a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from numberdesk.domain.contacts import (
    Contact,
    check_external_id,
    check_phone_count,
    check_source,
    with_link,
)
from numberdesk.domain.errors import Invalid

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def contact(**kw: object) -> Contact:
    """A contact owned by agent usr_1."""
    values: dict[str, object] = {
        "org_id": "org_1",
        "id": "con_1",
        "external_id": "crm-1",
        "name": "Jane",
        "primary_agent_id": "usr_1",
        "created_at": NOW,
        "updated_at": NOW,
        **kw,
    }
    return Contact(**values)  # type: ignore[arg-type]


def test_linking_adds_the_numbers_source_and_tag_as_tags_and_keeps_the_source_i9() -> None:
    linked = with_link(contact(source="Referral", tags=["vip"]), "Website", "lettings")
    assert (linked.source, linked.tags) == ("Referral", ["vip", "Website", "lettings"])


def test_linking_twice_does_not_repeat_tags_i9() -> None:
    once = with_link(contact(), "Website", "lettings")
    assert with_link(once, "Website", "lettings").tags == ["Website", "lettings"]


@pytest.mark.parametrize("bad", ["", "   ", "a/b", "x" * 201])
def test_external_ids_are_the_crms_ids_without_slashes(bad: str) -> None:
    with pytest.raises(Invalid):
        check_external_id(bad)


def test_a_contact_has_one_to_twenty_phones_each_once() -> None:
    assert check_phone_count(["+1", "+1", "+2"]) == ["+1", "+2"]
    with pytest.raises(Invalid):
        check_phone_count([])
    with pytest.raises(Invalid):
        check_phone_count([f"+{n}" for n in range(21)])


def test_a_source_is_one_short_text_or_none_i9() -> None:
    assert check_source("  Website ") == "Website"
    assert check_source(None) is None
    with pytest.raises(Invalid):
        check_source(" ")

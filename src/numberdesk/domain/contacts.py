"""Contacts from the CRM (rules I4, I9): who a caller is, whose they are, and their timeline.

A contact is upserted by the CRM's own id (``external_id``); it has phones (E.164), one
primary agent, exactly one source and any number of tags (I9). Inbound calls add timeline
entries (I4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from numberdesk.domain.errors import invalid_field
from numberdesk.domain.numbers import check_tags

MAX_PHONES = 20
MAX_EXTERNAL_ID = 200
MAX_SOURCE = 100


@dataclass
class Contact:
    """A person or company the org deals with, as the CRM knows them."""

    org_id: str
    id: str
    external_id: str
    name: str
    primary_agent_id: str
    created_at: datetime
    updated_at: datetime
    source: str | None = None
    tags: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # E.164, kept in contact_phones


@dataclass(frozen=True)
class TimelineEntry:
    """Something that happened with a contact, newest last (e.g. an inbound call, I4)."""

    org_id: str
    id: str
    contact_id: str
    at: datetime
    kind: str
    text: str
    call_id: str | None = None


def check_external_id(value: str, field: str = "external_id") -> str:
    """The CRM's id of the contact: 1 to 200 characters without slashes or spaces at the ends."""
    clean = value.strip()
    if not clean or len(clean) > MAX_EXTERNAL_ID or "/" in clean:
        raise invalid_field(
            field, f"give the CRM's id of the contact, 1 to {MAX_EXTERNAL_ID} characters"
        )
    return clean


def check_source(value: str | None) -> str | None:
    """Where the contact came from (one source per contact, I9)."""
    if value is None:
        return None
    clean = value.strip()
    if not clean or len(clean) > MAX_SOURCE:
        raise invalid_field("source", f"a source is 1 to {MAX_SOURCE} characters, or null")
    return clean


def check_contact_tags(tags: list[str]) -> list[str]:
    """Tags on a contact: trimmed, non-empty, no repeats (I9)."""
    return check_tags(tags)


def check_phone_count(phones: list[str]) -> list[str]:
    """A contact has 1 to 20 phones, each once."""
    if not phones or len(phones) > MAX_PHONES:
        raise invalid_field("phones", f"give 1 to {MAX_PHONES} phone numbers")
    return list(dict.fromkeys(phones))


def with_link(contact: Contact, source: str | None, tag: str | None) -> Contact:
    """A contact linked to an unknown caller of a company number: the number's source and tag
    become tags; the contact keeps its own source (I9)."""
    extra = [t for t in (source, tag) if t]
    return Contact(
        **{**vars(contact), "tags": list(dict.fromkeys([*contact.tags, *extra]))},
    )

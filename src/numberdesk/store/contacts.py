"""Contacts, their phones and timelines in the database (I4, I9)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from numberdesk.domain.contacts import Contact, TimelineEntry
from numberdesk.store import schema as s
from numberdesk.store.db import insert_or
from numberdesk.store.records import dump, load
from numberdesk.store.repo import Repo
from numberdesk.store.uow import Transaction


class ContactRepo(Repo[Contact]):
    """Contacts with their phones (``contact_phones``)."""

    table = s.contacts
    cls = Contact
    entity = "contact"

    def by_external_id(
        self, org_id: str, external_id: str, *, lock: bool = False
    ) -> Contact | None:
        """The contact the CRM knows by this id, with its phones."""
        query = select(s.contacts).where(
            s.contacts.c.org_id == org_id, s.contacts.c.external_id == external_id
        )
        row = self.conn.execute(query.with_for_update() if lock else query).first()
        return self._with_phones(org_id, [load(Contact, row)])[0] if row else None

    def with_phone(self, org_id: str, e164: str) -> list[Contact]:
        """Every contact with this phone, oldest first (I4 matches callers by phone)."""
        p = s.contact_phones.c
        ids = select(p.contact_id).where(p.org_id == org_id, p.e164 == e164)
        query = select(s.contacts).where(s.contacts.c.org_id == org_id, s.contacts.c.id.in_(ids))
        rows = self.conn.execute(query.order_by(s.contacts.c.created_at, s.contacts.c.id))
        return self._with_phones(org_id, [load(Contact, r) for r in rows])

    def put(self, contact: Contact, *, new: bool) -> bool:
        """Insert (``new``) or overwrite the contact and replace its phones; False, and
        nothing written, when a new contact's CRM id is taken (maybe by a request of this
        very moment)."""
        if new:
            statement = (
                insert_or(self.conn.dialect.name, s.contacts)
                .values(dump(contact, s.contacts))
                .on_conflict_do_nothing(index_elements=["org_id", "external_id"])
                .returning(s.contacts.c.id)
            )
            if self.conn.execute(statement).first() is None:
                return False
        else:
            self.save(contact)
        p = s.contact_phones.c
        self.conn.execute(
            delete(s.contact_phones).where(p.org_id == contact.org_id, p.contact_id == contact.id)
        )
        rows = [
            {"org_id": contact.org_id, "contact_id": contact.id, "e164": e} for e in contact.phones
        ]
        self.conn.execute(insert(s.contact_phones), rows)
        return True

    def _with_phones(self, org_id: str, found: list[Contact]) -> list[Contact]:
        if not found:
            return found
        p = s.contact_phones.c
        query = select(p.contact_id, p.e164).where(
            p.org_id == org_id, p.contact_id.in_([c.id for c in found])
        )
        phones: dict[str, list[str]] = {}
        for contact_id, e164 in self.conn.execute(query.order_by(p.e164)):
            phones.setdefault(contact_id, []).append(e164)
        for contact in found:
            contact.phones = phones.get(contact.id, [])
        return found


class TimelineRepo(Repo[TimelineEntry]):
    """What happened with each contact."""

    table = s.timeline_entries
    cls = TimelineEntry
    entity = "timeline_entry"

    def of_contact(self, org_id: str, contact_id: str, limit: int = 100) -> list[TimelineEntry]:
        """The contact's newest entries, oldest first."""
        t = s.timeline_entries.c
        query = (
            select(s.timeline_entries)
            .where(t.org_id == org_id, t.contact_id == contact_id)
            .order_by(t.at.desc(), t.id.desc())
            .limit(limit)
        )
        return [load(TimelineEntry, r) for r in self.conn.execute(query)][::-1]


def contacts(tx: Transaction) -> ContactRepo:
    """The contacts of the transaction."""
    return ContactRepo(tx.conn)


def timelines(tx: Transaction) -> TimelineRepo:
    """The timelines of the transaction."""
    return TimelineRepo(tx.conn)

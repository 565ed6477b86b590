"""People in the organisation: creating, reading, changing, deleting; presence and numbers."""

from __future__ import annotations

import dataclasses
from typing import Any

from numberdesk.domain.errors import Conflict, Forbidden, Invalid, invalid_field
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Capability, Kind, Number, require_capability, require_live
from numberdesk.domain.orgs import Actor, Org, Role, check_name, kept, require_manager
from numberdesk.domain.phones import parse_phone
from numberdesk.domain.texts import check_sender_name
from numberdesk.domain.users import (
    Presence,
    User,
    check_business_hours,
    check_email,
    check_extension,
    duplicate_email,
)
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.services.orgs import forget_keys, issue_key
from numberdesk.services.paging import Page, page_of
from numberdesk.store.uow import Transaction

# What agents may change on their own card; everything else is for owners and admins (A2).
SELF_SERVICE = frozenset(
    {
        "name",
        "work_phone",
        "voicemail_email",
        "not_reachable_number",
        "greeting_url",
        "business_hours",
    }
)
USER_FIELDS = SELF_SERVICE | {"email", "role", "extension", "caller_id", "sender_id"}


def create_user(desk: Desk, actor: Actor, fields: dict[str, Any]) -> User:
    """Add a person to the organisation (owners and admins; only owners add owners)."""
    require_manager(actor, "add users")
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        clean = _clean(tx, org, fields)
        for required in ("name", "email", "role"):
            if required not in clean:
                raise invalid_field(required, "is required")
        _check_role_change(actor, None, clean["role"])
        _check_unique_email(tx, actor.org_id, clean["email"], None)
        user = User(
            org_id=actor.org_id,
            id=new_id("usr"),
            created_at=desk.now(),
            presence=Presence.LOGGED_OUT,
            **clean,
        )
        tx.users.add(user)
        record(tx, desk.now(), actor, "user", user.id, "create", after=user)
    return user


def list_users(desk: Desk, actor: Actor, *, cursor: str | None, limit: int) -> Page[User]:
    """List the organisation's users (owners and admins; agents see only themselves)."""
    with desk.store.transaction() as tx:
        if not actor.is_manager:
            return Page([tx.users.require(actor.org_id, actor.user_id)], None)
        return page_of(tx.users.page(actor.org_id, after=cursor, limit=limit + 1), limit)


def get_user(desk: Desk, actor: Actor, user_id: str) -> User:
    """Read one user: owners and admins read anyone, agents only themselves (A2)."""
    _require_self_or_manager(actor, user_id, "read other users")
    with desk.store.transaction() as tx:
        return tx.users.require(actor.org_id, user_id)


def update_user(desk: Desk, actor: Actor, user_id: str, changes: dict[str, Any]) -> User:
    """Change a user's card: owners and admins change anything, agents a few fields of their own."""
    _require_self_or_manager(actor, user_id, "change other users")
    if not actor.is_manager and set(changes) - SELF_SERVICE:
        raise Forbidden(
            "forbidden",
            "Agents can change only their own "
            + ", ".join(sorted(SELF_SERVICE))
            + "; ask an admin for the rest.",
        )
    with desk.store.transaction() as tx:
        org = tx.orgs.require(actor.org_id)
        # the numbers it names are held first, then the user locked: as a release takes them
        clean = _clean(tx, org, changes)
        before = tx.users.lock(actor.org_id, user_id)
        if "role" in clean:
            _check_role_change(actor, before, clean["role"])
            _check_keeps_an_owner(tx, before, clean["role"])
        if "email" in clean:
            _check_unique_email(tx, actor.org_id, clean["email"], user_id)
        after = dataclasses.replace(before, **clean)
        if after != before:
            tx.users.save(after)
            record(tx, desk.now(), actor, "user", user_id, "update", before, after)
    if after.role != before.role:
        forget_keys(desk)
    return after


def delete_user(desk: Desk, actor: Actor, user_id: str) -> None:
    """Remove a user and revoke their API keys (owners and admins; never the last owner)."""
    require_manager(actor, "remove users")
    if user_id == actor.user_id:
        raise Invalid("cannot_delete_self", "You cannot remove yourself; ask another admin.")
    with desk.store.transaction() as tx:
        before = tx.users.lock(actor.org_id, user_id)
        _check_role_change(actor, before, before.role)
        _check_keeps_an_owner(tx, before, Role.AGENT)
        after = dataclasses.replace(before, deleted_at=desk.now())
        tx.users.save(after)
        tx.api_keys.revoke_for_user(actor.org_id, user_id, desk.now())
        record(tx, desk.now(), actor, "user", user_id, "delete", before, after)
    forget_keys(desk)


def set_presence(desk: Desk, actor: Actor, user_id: str, presence: Presence) -> User:
    """Log an agent in or out, or mark them busy (themselves, or any user for owners and admins)."""
    _require_self_or_manager(actor, user_id, "change other users' presence")
    with desk.store.transaction() as tx:
        before = tx.users.lock(actor.org_id, user_id)
        after = dataclasses.replace(before, presence=Presence(presence))
        if after != before:
            tx.users.save(after)
            record(tx, desk.now(), actor, "user", user_id, "presence", before, after)
    return after


def assign_numbers(desk: Desk, actor: Actor, user_id: str, changes: dict[str, str | None]) -> User:
    """Give a user their personal number and/or company number (owners and admins)."""
    require_manager(actor, "assign numbers to users")
    with desk.store.transaction() as tx:
        personal = _assigned(tx, actor.org_id, changes, "personal_number_id")
        company = _assigned(tx, actor.org_id, changes, "company_number_id")
        before = tx.users.lock(actor.org_id, user_id)  # after the numbers: as a release takes them
        clean: dict[str, Any] = {}
        if "personal_number_id" in changes:
            if personal is not None:
                _require_not_anothers_personal_number(tx, before, personal)
            clean["personal_number_id"] = personal.id if personal else None
        if "company_number_id" in changes:
            clean["company_number_id"] = company.id if company else None
        after = dataclasses.replace(before, **clean)
        if after != before:
            tx.users.save(after)
            record(tx, desk.now(), actor, "user", user_id, "numbers", before, after)
    return after


def create_api_key(desk: Desk, actor: Actor, user_id: str) -> str:
    """Make a new API key for a user (owners and admins); the key is shown only this once."""
    require_manager(actor, "make API keys")
    with desk.store.transaction() as tx:
        user = tx.users.require(actor.org_id, user_id)
        _check_role_change(actor, user, user.role)
        return issue_key(tx, desk, actor, user)


def _require_self_or_manager(actor: Actor, user_id: str, what: str) -> None:
    if user_id != actor.user_id:
        require_manager(actor, what)


def _check_role_change(actor: Actor, before: User | None, role: Role) -> None:
    """Only owners create, change or act on owners."""
    touches_owner = role is Role.OWNER or (before is not None and before.role is Role.OWNER)
    if touches_owner and actor.role is not Role.OWNER:
        raise Forbidden("forbidden", "Only owners can add, change or remove owners.")


def _check_keeps_an_owner(tx: Transaction, before: User, role: Role) -> None:
    if before.role is Role.OWNER and role is not Role.OWNER:
        tx.orgs.lock(before.org_id)  # one owner's change at a time: never the last two at once
        owners = [u for u in tx.users.with_role(before.org_id, Role.OWNER) if u.id != before.id]
        if not owners:
            raise Conflict(
                "last_owner", "An organisation needs an owner; make someone else owner first."
            )


def _check_unique_email(tx: Transaction, org_id: str, email: str, user_id: str | None) -> None:
    other = tx.users.by_email(org_id, email)
    if other is not None and other.id != user_id:
        raise duplicate_email(email, other.id)


def _usable_number(tx: Transaction, org_id: str, number_id: str) -> Number:
    """A live number that can take the calls and texts a personal or company number gets,
    locked until the change commits: one user at a time makes it their personal number, and
    a release waits (or is waited for) rather than leaving it on a card."""
    number = tx.numbers.lock(org_id, number_id)
    require_live(number)
    if number.kind is Kind.MASKED:
        raise Invalid(
            "number_not_capable",
            f"{number.e164} is masked: it can show as caller ID but never receive calls or "
            "texts (rule N2); give a number you bought or ported in.",
        )
    return number


def _assigned(
    tx: Transaction, org_id: str, changes: dict[str, str | None], field: str
) -> Number | None:
    """The number ``changes`` gives as ``field``, usable and locked (None: none given)."""
    number_id = changes.get(field)
    return _usable_number(tx, org_id, number_id) if number_id else None


def _require_not_anothers_personal_number(tx: Transaction, user: User, number: Number) -> None:
    """A personal number belongs to one user only."""
    holders = [u for u in tx.users.holding_number(user.org_id, number.id) if u.id != user.id]
    if any(h.personal_number_id == number.id for h in holders):
        raise Conflict("number_in_use", f"{number.e164} is already another user's personal number.")


def _org_number(tx: Transaction, org: Org, field: str, raw: str, cap: Capability, use: str) -> str:
    e164 = parse_phone(raw, org.country, field=field).e164
    number = tx.numbers.live_by_e164(org.org_id, e164, hold=True)
    if number is None:
        raise invalid_field(field, f"{e164} is not one of your organisation's numbers")
    require_capability(number, cap, use)
    return e164


def _clean(tx: Transaction, org: Org, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise user fields; national numbers are read with the org's country."""
    unknown = set(fields) - USER_FIELDS
    if unknown:
        raise Invalid("unknown_field", f"Users have no fields {', '.join(sorted(unknown))}.")
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("name", "email", "role"):
            value = kept(key, value)  # null clears any other field, not one every user has
        if value is None:
            clean[key] = None
        elif key == "name":
            clean[key] = check_name(value)
        elif key in ("email", "voicemail_email"):
            clean[key] = check_email(value, key)
        elif key == "role":
            clean[key] = Role(value)
        elif key == "extension":
            clean[key] = check_extension(value)
        elif key in ("work_phone", "not_reachable_number"):
            clean[key] = parse_phone(value, org.country, field=key).e164
        elif key == "caller_id":
            clean[key] = _org_number(
                tx, org, key, value, Capability.VOICE_OUT, "as agent caller ID"
            )
        elif key == "sender_id" and any(c.isalpha() for c in value):
            clean[key] = check_sender_name(value)
        elif key == "sender_id":
            clean[key] = _org_number(tx, org, key, value, Capability.SMS_OUT, "as sender ID")
        elif key == "greeting_url":
            clean[key] = _url(value)
        elif key == "business_hours":
            clean[key] = check_business_hours(value)
    return clean


def _url(value: str) -> str:
    text = value.strip()
    if not text.startswith(("https://", "http://")) or len(text) > 1000:
        raise invalid_field("greeting_url", "must be an http(s) URL of at most 1000 characters")
    return text

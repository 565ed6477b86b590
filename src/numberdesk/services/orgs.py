"""Creating organisations and reading or changing their settings."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from numberdesk.domain.callerid import check_policy
from numberdesk.domain.errors import Invalid, Unauthenticated, invalid_field
from numberdesk.domain.groups import check_daily_cap
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Capability, require_capability
from numberdesk.domain.orgs import (
    Actor,
    Org,
    Role,
    check_name,
    check_timezone,
    kept,
    require_manager,
)
from numberdesk.domain.phones import parse_phone, supported_country
from numberdesk.domain.resting import check_spam_rest_days, check_spam_threshold
from numberdesk.domain.users import ApiKey, Presence, User, check_email
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.store.uow import Transaction

KEY_PREFIX = "nd"
MAX_KNOWN_KEYS = 10_000  # a process remembers at most this many checked keys


@dataclass(frozen=True)
class NewOrg:
    """A new organisation, its first owner and the owner's API key (shown only now)."""

    org: Org
    owner: User
    api_key: str


def hash_key(api_key: str) -> str:
    """The stored form of an API key."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def issue_key(tx: Transaction, desk: Desk, actor: Actor | None, user: User) -> str:
    """Make a new API key for ``user``; only its hash is stored."""
    clear = f"{KEY_PREFIX}.{user.org_id}.{secrets.token_urlsafe(24)}"
    key = ApiKey(user.org_id, new_id("key"), user.id, hash_key(clear), desk.now())
    tx.api_keys.add(key)
    record(tx, desk.now(), actor, "api_key", key.id, "create", after=key, org_id=user.org_id)
    return clear


def create_org(
    desk: Desk,
    *,
    name: str,
    country: str,
    timezone: str = "UTC",
    default_caller_id: str | None = None,
    owner_name: str = "Owner",
    owner_email: str | None = None,
) -> NewOrg:
    """Create an organisation with its first owner and that owner's API key."""
    country = supported_country(country)
    now = desk.now()
    org = Org(
        org_id=new_id("org"),
        name=check_name(name),
        country=country,
        timezone=check_timezone(timezone),
        created_at=now,
        default_caller_id=(
            parse_phone(default_caller_id, country, field="default_caller_id").e164
            if default_caller_id
            else None
        ),
    )
    owner = User(
        org_id=org.org_id,
        id=new_id("usr"),
        name=check_name(owner_name),
        email=check_email(owner_email or f"owner@{org.org_id}.invalid"),
        role=Role.OWNER,
        created_at=now,
        presence=Presence.LOGGED_OUT,
    )
    with desk.store.transaction() as tx:
        tx.orgs.add(org)
        tx.users.add(owner)
        owner_actor = Actor(org.org_id, owner.id, Role.OWNER)
        record(tx, now, owner_actor, "org", org.org_id, "create", after=org)
        record(tx, now, owner_actor, "user", owner.id, "create", after=owner)
        api_key = issue_key(tx, desk, owner_actor, owner)
    return NewOrg(org, owner, api_key)


def remembered_actor(desk: Desk, api_key: str) -> Actor | None:
    """The user a recently checked API key acts for, without touching the database; None
    when the key was not checked within ``key_cache_seconds`` (then ``authenticate``)."""
    return _remembered(desk, hash_key(api_key))


def _remembered(desk: Desk, digest: str) -> Actor | None:
    known = desk.known_keys.get(digest)
    return known[0] if known is not None and known[1] > time.monotonic() else None


def authenticate(desk: Desk, api_key: str) -> Actor:
    """The user an API key acts for (A1), or 401; remembered for ``key_cache_seconds``."""
    parts = api_key.split(".")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise Unauthenticated(
            "invalid_api_key", "The API key is not valid; use a key numberdesk issued."
        )
    digest = hash_key(api_key)
    known = _remembered(desk, digest)
    if known is not None:
        return known
    with desk.store.transaction() as tx:
        actor = tx.api_keys.actor_of(parts[1], digest)
    if actor is None:
        raise Unauthenticated("invalid_api_key", "The API key is not valid or was revoked.")
    if desk.settings.key_cache_seconds > 0:
        if len(desk.known_keys) >= MAX_KNOWN_KEYS:
            desk.known_keys.clear()
        desk.known_keys[digest] = (actor, time.monotonic() + desk.settings.key_cache_seconds)
    return actor


def forget_keys(desk: Desk) -> None:
    """Check every key against the database again (a key was revoked or a role changed); other
    processes follow within ``key_cache_seconds``."""
    desk.known_keys.clear()


def get_org(desk: Desk, actor: Actor) -> Org:
    """The actor's own organisation."""
    with desk.store.transaction() as tx:
        return tx.orgs.require(actor.org_id)


ORG_FIELDS = frozenset(
    {
        "name",
        "timezone",
        "default_caller_id",
        "caller_id_policy",
        "daily_cap",
        "spam_threshold",
        "spam_rest_days",
        "country",
    }
)


def update_org(desk: Desk, actor: Actor, changes: dict[str, Any]) -> Org:
    """Change the organisation's settings (owners and admins)."""
    require_manager(actor, "change the organisation's settings")
    with desk.store.transaction() as tx:
        # checked first, holding a default caller ID it names, and then the org locked: the
        # order a release of that number takes them in, so the two never deadlock
        clean = _clean_org_changes(tx, tx.orgs.require(actor.org_id), changes)
        before = tx.orgs.lock(actor.org_id)
        after = dataclasses.replace(before, **clean)
        if after != before:
            tx.orgs.save(after)
            record(tx, desk.now(), actor, "org", after.org_id, "update", before, after)
    return after


def _clean_org_changes(tx: Transaction, org: Org, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - ORG_FIELDS
    if unknown:
        raise Invalid("unknown_field", f"These settings do not exist: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            clean[key] = check_name(kept(key, value))
        elif key == "country":
            clean[key] = supported_country(kept(key, value))
        elif key == "timezone":
            clean[key] = check_timezone(kept(key, value))
        elif key == "caller_id_policy":
            clean[key] = check_policy(list(value or []))
        elif key == "default_caller_id":
            clean[key] = _default_caller_id(tx, org, value)
        elif key == "daily_cap":
            clean[key] = check_daily_cap(value)
        elif key == "spam_threshold":
            clean[key] = check_spam_threshold(value)
        elif key == "spam_rest_days":
            clean[key] = check_spam_rest_days(value)
    return clean


def _default_caller_id(tx: Transaction, org: Org, value: str | None) -> str | None:
    """The org default must be one of the org's live numbers that can make calls (O2, N2)."""
    if value is None:
        return None
    e164 = parse_phone(value, org.country, field="default_caller_id").e164
    number = tx.numbers.live_by_e164(org.org_id, e164, hold=True)
    if number is None:
        raise invalid_field(
            "default_caller_id", f"{e164} is not one of your numbers; buy, mask or port it first"
        )
    require_capability(number, Capability.VOICE_OUT, "as the organisation's caller ID")
    return e164


def find_org_by_name(desk: Desk, name: str) -> Org | None:
    """The organisation with exactly this name, if any (the operator's lookup)."""
    with desk.store.transaction() as tx:
        return tx.orgs.by_name(name)


def reissue_owner_key(desk: Desk, org_id: str) -> tuple[str, str]:
    """Revoke the first owner's keys and issue a new one (the operator's recovery path)."""
    with desk.store.transaction() as tx:
        owners = tx.users.with_role(org_id, Role.OWNER)
        if not owners:
            raise Invalid("no_owner", f"Organisation {org_id} has no owner to issue a key to.")
        owner = owners[0]
        tx.api_keys.revoke_for_user(org_id, owner.id, desk.now())
        reissued = owner.id, issue_key(tx, desk, None, owner)
    forget_keys(desk)
    return reissued

"""Organisations, users and API keys in the database."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Executable

from numberdesk.domain.errors import not_found
from numberdesk.domain.orgs import Actor, Org, Role
from numberdesk.domain.users import ApiKey, User, duplicate_email
from numberdesk.store import schema as s
from numberdesk.store.numbers import is_live_row
from numberdesk.store.pipeline import Pipeline
from numberdesk.store.records import dump, load
from numberdesk.store.repo import Repo


def config_version_of(org_id: Any) -> Any:
    """The org's call-path config version, as the statement that reads it sees it (a scalar
    subquery; ``org_id`` a value or a bound parameter)."""
    return select(s.orgs.c.config_version).where(s.orgs.c.org_id == org_id).scalar_subquery()


@cache
def _config_version() -> Executable:
    """The config version of the org bound as ``org``."""
    return select(config_version_of(bindparam("org")))


async def config_version_on_loop(pipeline: Pipeline, org_id: str) -> int | None:
    """The org's config version now, asked on the event loop's pipeline (``store/pipeline``)."""
    (rows,) = await pipeline.exchange([(_config_version(), {"org": org_id})])
    version: int | None = rows[0][0]
    return version


class OrgRepo:
    """Organisations (the table's key is ``org_id``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def config_version(self, org_id: str) -> int | None:
        """The org's call-path config version now (None: no such org); one prepared query."""
        found: int | None = self.conn.execute(_config_version(), {"org": org_id}).scalar()
        return found

    def hold_config_version(self, org_id: str) -> int | None:
        """The org's call-path config version, held until the transaction ends: its row
        share-locked, so no change to the configuration commits meanwhile (each moves the
        version, ``services/audit.record``) while the call path's records, which refer to the
        org, go on."""
        query = select(s.orgs.c.config_version).where(s.orgs.c.org_id == org_id)
        found: int | None = self.conn.execute(query.with_for_update(read=True)).scalar()
        return found

    def config_versions(self) -> dict[str, int]:
        """Every org's call-path config version now, by org id."""
        query = select(s.orgs.c.org_id, s.orgs.c.config_version)
        return {row.org_id: row.config_version for row in self.conn.execute(query)}

    def get(self, org_id: str) -> Org | None:
        """The org, or None."""
        row = self.conn.execute(select(s.orgs).where(s.orgs.c.org_id == org_id)).first()
        return None if row is None else load(Org, row)

    def require(self, org_id: str) -> Org:
        """The org, or a 404 problem."""
        org = self.get(org_id)
        if org is None:
            raise not_found("org", org_id)
        return org

    def lock(self, org_id: str) -> Org:
        """The org, its row locked until the transaction ends as ``Repo.lock`` locks, or 404:
        the call path's records, which refer to the org, are not held up."""
        query = select(s.orgs.c.org_id).where(s.orgs.c.org_id == org_id)
        self.conn.execute(query.with_for_update(key_share=True))
        return self.require(org_id)

    def add(self, org: Org) -> Org:
        """Insert a new org."""
        self.conn.execute(s.orgs.insert().values(dump(org, s.orgs)))
        return org

    def save(self, org: Org) -> Org:
        """Write every column of the org."""
        values = dump(org, s.orgs)
        self.conn.execute(update(s.orgs).where(s.orgs.c.org_id == org.org_id).values(values))
        return org

    def ids_smallest_first(self) -> list[str]:
        """Every org's id, those with the fewest live numbers first."""
        n = s.numbers.c
        live = (
            select(func.count()).where(n.org_id == s.orgs.c.org_id, is_live_row()).scalar_subquery()
        )
        query = select(s.orgs.c.org_id).order_by(live, s.orgs.c.org_id)
        return list(self.conn.execute(query).scalars())

    def by_name(self, name: str) -> Org | None:
        """The org with this exact name (the demo looks itself up this way)."""
        row = self.conn.execute(select(s.orgs).where(s.orgs.c.name == name).limit(1)).first()
        return None if row is None else load(Org, row)


class UserRepo(Repo[User]):
    """Users of an org; deleted users are kept (for the audit trail) but never listed."""

    table = s.users
    cls = User
    entity = "user"

    def add(self, entity: User) -> User:
        """Insert a new user; 409 when a concurrent request gave another live user the same
        e-mail first (the unique index on live e-mails)."""
        try:
            return super().add(entity)
        except IntegrityError:
            raise duplicate_email(entity.email, None) from None

    def save(self, entity: User) -> User:
        """Write a user's columns; 409 like ``add`` for an e-mail taken meanwhile."""
        try:
            return super().save(entity)
        except IntegrityError:
            raise duplicate_email(entity.email, None) from None

    def get(self, org_id: str, id_: str) -> User | None:
        """A user who has not been deleted."""
        user = super().get(org_id, id_)
        return None if user is None or user.deleted_at is not None else user

    def page(self, org_id: str, *, after: str | None, limit: int) -> list[User]:
        """A page of users, oldest first."""
        return self._page(org_id, s.users.c.deleted_at.is_(None), after=after, limit=limit)

    def by_email(self, org_id: str, email: str) -> User | None:
        """The live user with this e-mail."""
        return self._first(org_id, s.users.c.email == email, s.users.c.deleted_at.is_(None))

    def live(self, org_id: str) -> list[User]:
        """Every user who has not been deleted."""
        return self._all(org_id, s.users.c.deleted_at.is_(None))

    def with_role(self, org_id: str, role: Role) -> list[User]:
        """Live users with this role."""
        return self._all(org_id, s.users.c.role == role, s.users.c.deleted_at.is_(None))

    def holding_number(self, org_id: str, number_id: str) -> list[User]:
        """Users whose personal or company number is this one."""
        t = s.users.c
        return self._all(
            org_id,
            ((t.personal_number_id == number_id) | (t.company_number_id == number_id)),
            t.deleted_at.is_(None),
        )

    def showing_caller_id(self, org_id: str, e164: str) -> list[User]:
        """Users whose agent card shows this caller ID or sends texts from it."""
        t = s.users.c
        return self._all(
            org_id, ((t.caller_id == e164) | (t.sender_id == e164)), t.deleted_at.is_(None)
        )


class ApiKeyRepo(Repo[ApiKey]):
    """API keys, stored only as hashes."""

    table = s.api_keys
    cls = ApiKey
    entity = "api_key"

    def actor_of(self, org_id: str, key_hash: str) -> Actor | None:
        """The live user a live key with this hash acts for, in one query (A1)."""
        k, u = s.api_keys.c, s.users.c
        query = (
            select(u.id, u.role)
            .join_from(s.api_keys, s.users, (u.org_id == k.org_id) & (u.id == k.user_id))
            .where(
                k.org_id == org_id,
                k.key_hash == key_hash,
                k.revoked_at.is_(None),
                u.deleted_at.is_(None),
            )
        )
        row = self.conn.execute(query).first()
        return Actor(org_id, row.id, Role(row.role)) if row else None

    def revoke_for_user(self, org_id: str, user_id: str, at: datetime) -> None:
        """Revoke every key of a user (when the user is deleted)."""
        t = s.api_keys.c
        self.conn.execute(
            update(s.api_keys)
            .where(t.org_id == org_id, t.user_id == user_id, t.revoked_at.is_(None))
            .values(revoked_at=at)
        )

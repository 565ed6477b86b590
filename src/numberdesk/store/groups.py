"""Groups of numbers and campaigns in the database, with their memberships (rule N12)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol, TypeVar

from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.exc import IntegrityError

from numberdesk.domain.groups import Campaign, Group, duplicate_name
from numberdesk.store import schema as s
from numberdesk.store.repo import Repo


class Named(Protocol):
    """Anything with a name unique in its org."""

    org_id: str
    id: str
    name: str


T = TypeVar("T", bound=Named)


class _Members:
    """One membership table: (org_id, <owner column>, <member column>)."""

    def __init__(self, conn: Connection, table: Table, owner: str, member: str) -> None:
        self.conn, self.table = conn, table
        self.owner, self.member = table.c[owner], table.c[member]

    def of(self, org_id: str, owner_ids: Iterable[str]) -> dict[str, list[str]]:
        """Member ids per owner id, in creation order (ids sort by time)."""
        ids = list(owner_ids)
        found: dict[str, list[str]] = defaultdict(list)
        if not ids:
            return found
        query = (
            select(self.owner, self.member)
            .where(self.table.c.org_id == org_id, self.owner.in_(ids))
            .order_by(self.member)
        )
        for owner_id, member_id in self.conn.execute(query):
            found[owner_id].append(member_id)
        return found

    def owners_of(self, org_id: str, member_id: str) -> list[str]:
        """Ids of the owners that hold this member."""
        query = (
            select(self.owner)
            .where(self.table.c.org_id == org_id, self.member == member_id)
            .order_by(self.owner)
        )
        return [row[0] for row in self.conn.execute(query)]

    def replace(self, org_id: str, owner_id: str, member_ids: list[str]) -> None:
        """Make the owner's members exactly ``member_ids``."""
        self.clear(org_id, owner_id)
        if member_ids:
            self.conn.execute(
                self.table.insert(),
                [
                    {"org_id": org_id, self.owner.key: owner_id, self.member.key: m}
                    for m in dict.fromkeys(member_ids)
                ],
            )

    def clear(self, org_id: str, owner_id: str) -> None:
        """Remove every member of an owner."""
        self.conn.execute(
            delete(self.table).where(self.table.c.org_id == org_id, self.owner == owner_id)
        )

    def drop_member(self, org_id: str, member_id: str) -> list[str]:
        """Remove a member from every owner; the owners' ids."""
        owners = self.owners_of(org_id, member_id)
        if owners:
            self.conn.execute(
                delete(self.table).where(self.table.c.org_id == org_id, self.member == member_id)
            )
        return owners


class _Named(Repo[T]):
    """A repository whose rows have a name unique per org."""

    def by_name(self, org_id: str, name: str) -> T | None:
        """The object with exactly this name."""
        return self._filled(self._first(org_id, self.table.c.name == name))

    def _insert(self, entity: T) -> None:
        try:
            super().add(entity)
        except IntegrityError:  # the unique (org_id, name) constraint: a concurrent twin
            raise duplicate_name(self.entity, entity.name) from None

    def _update(self, entity: T) -> None:
        try:
            super().save(entity)
        except IntegrityError:
            raise duplicate_name(self.entity, entity.name) from None

    def _filled(self, entity: T | None) -> T | None:
        if entity is not None:
            self._fill([entity])
        return entity

    def _fill(self, entities: list[T]) -> list[T]:
        raise NotImplementedError


class GroupRepo(_Named[Group]):
    """Groups with their ``number_ids``."""

    table = s.groups
    cls = Group
    entity = "group"

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.numbers = _Members(conn, s.group_numbers, "group_id", "number_id")

    def get(self, org_id: str, id_: str) -> Group | None:
        """The group with its numbers, or None when it is not in this org."""
        return self._filled(super().get(org_id, id_))

    def page(self, org_id: str, *, after: str | None, limit: int) -> list[Group]:
        """A page of groups, oldest first."""
        return self._fill(self._page(org_id, after=after, limit=limit))

    def many(self, org_id: str, ids: Iterable[str]) -> list[Group]:
        """The groups of this org among ``ids``, oldest first."""
        wanted = list(dict.fromkeys(ids))
        return self._fill(self._all(org_id, s.groups.c.id.in_(wanted))) if wanted else []

    def holding(self, org_id: str, number_id: str) -> list[str]:
        """Ids of the groups that hold this number."""
        return self.numbers.owners_of(org_id, number_id)

    def add(self, entity: Group) -> Group:
        """Insert a new group and its numbers (409 ``duplicate_name`` on a name clash)."""
        self._insert(entity)
        self.numbers.replace(entity.org_id, entity.id, entity.number_ids)
        return entity

    def save(self, entity: Group) -> Group:
        """Write the group's name and replace its set of numbers."""
        self._update(entity)
        self.numbers.replace(entity.org_id, entity.id, entity.number_ids)
        return entity

    def remove(self, org_id: str, id_: str) -> None:
        """Delete a group, its memberships and its assignments to campaigns."""
        self.numbers.clear(org_id, id_)
        self.conn.execute(
            delete(s.campaign_groups).where(
                s.campaign_groups.c.org_id == org_id, s.campaign_groups.c.group_id == id_
            )
        )
        super().remove(org_id, id_)

    def remove_number(self, org_id: str, number_id: str) -> list[str]:
        """Take a number out of every group (N8); the ids of the groups it left."""
        return self.numbers.drop_member(org_id, number_id)

    def _fill(self, entities: list[Group]) -> list[Group]:
        members = self.numbers.of(entities[0].org_id, (g.id for g in entities)) if entities else {}
        for group in entities:
            group.number_ids = members.get(group.id, [])
        return entities


class CampaignRepo(_Named[Campaign]):
    """Campaigns with their directly assigned ``number_ids`` and their ``group_ids``."""

    table = s.campaigns
    cls = Campaign
    entity = "campaign"

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.numbers = _Members(conn, s.campaign_numbers, "campaign_id", "number_id")
        self.groups = _Members(conn, s.campaign_groups, "campaign_id", "group_id")

    def get(self, org_id: str, id_: str) -> Campaign | None:
        """The campaign with its numbers and groups, or None when it is not in this org."""
        return self._filled(super().get(org_id, id_))

    def page(self, org_id: str, *, after: str | None, limit: int) -> list[Campaign]:
        """A page of campaigns, oldest first."""
        return self._fill(self._page(org_id, after=after, limit=limit))

    def all(self, org_id: str) -> list[Campaign]:
        """Every campaign of the org (for the call path's index)."""
        return self._fill(self._all(org_id))

    def using_group(self, org_id: str, group_id: str) -> list[Campaign]:
        """The campaigns a group is assigned to."""
        ids = self.groups.owners_of(org_id, group_id)
        return self._fill(self._all(org_id, s.campaigns.c.id.in_(ids))) if ids else []

    def add(self, entity: Campaign) -> Campaign:
        """Insert a new campaign, its numbers and groups (409 ``duplicate_name`` on a clash)."""
        self._insert(entity)
        self._write_members(entity)
        return entity

    def save(self, entity: Campaign) -> Campaign:
        """Write the campaign and replace its numbers and groups."""
        self._update(entity)
        self._write_members(entity)
        return entity

    def remove(self, org_id: str, id_: str) -> None:
        """Delete a campaign and its assignments."""
        self.numbers.clear(org_id, id_)
        self.groups.clear(org_id, id_)
        super().remove(org_id, id_)

    def remove_number(self, org_id: str, number_id: str) -> list[str]:
        """Take a directly assigned number out of every campaign (N8); the campaigns' ids."""
        return self.numbers.drop_member(org_id, number_id)

    def remove_group(self, org_id: str, group_id: str) -> list[str]:
        """Take a group out of every campaign; the campaigns' ids."""
        return self.groups.drop_member(org_id, group_id)

    def numbers_of(self, org_id: str, campaign_id: str) -> list[str]:
        """Every number of the campaign: assigned directly, then through its groups, no repeats."""
        direct = self.numbers.of(org_id, [campaign_id]).get(campaign_id, [])
        t = s.group_numbers.c
        via_groups = (
            select(t.number_id)
            .join(
                s.campaign_groups,
                (s.campaign_groups.c.org_id == t.org_id)
                & (s.campaign_groups.c.group_id == t.group_id),
            )
            .where(t.org_id == org_id, s.campaign_groups.c.campaign_id == campaign_id)
            .order_by(t.number_id)
        )
        grouped = [row[0] for row in self.conn.execute(via_groups)]
        return list(dict.fromkeys(direct + grouped))

    def _write_members(self, entity: Campaign) -> None:
        self.numbers.replace(entity.org_id, entity.id, entity.number_ids)
        self.groups.replace(entity.org_id, entity.id, entity.group_ids)

    def _fill(self, entities: list[Campaign]) -> list[Campaign]:
        if not entities:
            return entities
        org_id, ids = entities[0].org_id, [c.id for c in entities]
        numbers, groups = self.numbers.of(org_id, ids), self.groups.of(org_id, ids)
        for campaign in entities:
            campaign.number_ids = numbers.get(campaign.id, [])
            campaign.group_ids = groups.get(campaign.id, [])
        return entities

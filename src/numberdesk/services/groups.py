"""Groups of numbers and outbound campaigns (rules N2, N12, O3): create, read, change, delete."""

from __future__ import annotations

import dataclasses
from typing import Any

from numberdesk.domain.callerid import check_policy
from numberdesk.domain.errors import Invalid, invalid_field, not_found
from numberdesk.domain.groups import (
    Campaign,
    Group,
    check_daily_cap,
    check_ids,
    duplicate_name,
    require_caller_id,
)
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Number
from numberdesk.domain.orgs import Actor, check_name, require_manager
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import live_numbers
from numberdesk.services.paging import Page, page_of
from numberdesk.store.uow import Transaction

GROUP_FIELDS = frozenset({"name", "number_ids"})
CAMPAIGN_FIELDS = frozenset(
    {"name", "number_ids", "group_ids", "caller_id_policy", "daily_cap", "sticky"}
)


# Groups ----------------------------------------------------------------------------------


def create_group(desk: Desk, actor: Actor, fields: dict[str, Any]) -> Group:
    """Make a named set of numbers (owners and admins; N12)."""
    require_manager(actor, "create groups")
    _refuse_unknown(fields, GROUP_FIELDS)
    if "name" not in fields:
        raise invalid_field("name", "is required")
    with desk.store.transaction() as tx:
        group = Group(actor.org_id, new_id("grp"), "", desk.now())
        group = _changed_group(tx, group, {"number_ids": [], **fields})
        tx.groups.add(group)
        record(tx, desk.now(), actor, "group", group.id, "create", after=group)
    return group


def list_groups(desk: Desk, actor: Actor, *, cursor: str | None, limit: int) -> Page[Group]:
    """List the organisation's groups, oldest first (any user)."""
    with desk.store.transaction() as tx:
        return page_of(tx.groups.page(actor.org_id, after=cursor, limit=limit + 1), limit)


def get_group(desk: Desk, actor: Actor, group_id: str) -> Group:
    """Read one group (any user)."""
    with desk.store.transaction() as tx:
        return tx.groups.require(actor.org_id, group_id)


def update_group(desk: Desk, actor: Actor, group_id: str, changes: dict[str, Any]) -> Group:
    """Rename a group or replace its set of numbers (owners and admins)."""
    require_manager(actor, "change groups")
    _refuse_unknown(changes, GROUP_FIELDS)
    with desk.store.transaction() as tx:
        before = tx.groups.lock(actor.org_id, group_id)
        after = _changed_group(tx, before, changes)
        if after != before:
            tx.groups.save(after)
            record(tx, desk.now(), actor, "group", group_id, "update", before, after)
    return after


def delete_group(desk: Desk, actor: Actor, group_id: str) -> None:
    """Delete a group; campaigns that used it lose it in the same transaction (owners, admins)."""
    require_manager(actor, "delete groups")
    with desk.store.transaction() as tx:
        group = tx.groups.lock(actor.org_id, group_id)
        for before in tx.campaigns.using_group(actor.org_id, group_id):
            after = dataclasses.replace(
                before, group_ids=[g for g in before.group_ids if g != group_id]
            )
            tx.campaigns.save(after)
            record(tx, desk.now(), actor, "campaign", after.id, "update", before, after)
        tx.groups.remove(actor.org_id, group_id)
        record(tx, desk.now(), actor, "group", group_id, "delete", before=group)


def _changed_group(tx: Transaction, group: Group, changes: dict[str, Any]) -> Group:
    """The group with ``changes`` applied, every rule checked."""
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = _unique_name(tx, group, changes["name"])
    if "number_ids" in changes:
        numbers = _live_numbers(tx, group.org_id, changes["number_ids"], "number_ids")
        # A group already used by campaigns lends its numbers to them as caller IDs (N2).
        for campaign in tx.campaigns.using_group(group.org_id, group.id):
            for number in numbers:
                require_caller_id(number, campaign.name, group)
        clean["number_ids"] = [n.id for n in numbers]
    return dataclasses.replace(group, **clean)


# Campaigns -------------------------------------------------------------------------------


def create_campaign(desk: Desk, actor: Actor, fields: dict[str, Any]) -> Campaign:
    """Start an outbound campaign with numbers, groups and a caller-ID policy (N12, O3)."""
    require_manager(actor, "create campaigns")
    _refuse_unknown(fields, CAMPAIGN_FIELDS)
    if "name" not in fields:
        raise invalid_field("name", "is required")
    with desk.store.transaction() as tx:
        campaign = Campaign(actor.org_id, new_id("cmp"), "", desk.now())
        campaign = _changed_campaign(tx, campaign, {"number_ids": [], "group_ids": [], **fields})
        tx.campaigns.add(campaign)
        record(tx, desk.now(), actor, "campaign", campaign.id, "create", after=campaign)
    return campaign


def list_campaigns(desk: Desk, actor: Actor, *, cursor: str | None, limit: int) -> Page[Campaign]:
    """List the organisation's campaigns, oldest first (any user)."""
    with desk.store.transaction() as tx:
        return page_of(tx.campaigns.page(actor.org_id, after=cursor, limit=limit + 1), limit)


def get_campaign(desk: Desk, actor: Actor, campaign_id: str) -> Campaign:
    """Read one campaign (any user)."""
    with desk.store.transaction() as tx:
        return tx.campaigns.require(actor.org_id, campaign_id)


def update_campaign(
    desk: Desk, actor: Actor, campaign_id: str, changes: dict[str, Any]
) -> Campaign:
    """Change a campaign; ``number_ids`` and ``group_ids`` replace the sets (owners, admins)."""
    require_manager(actor, "change campaigns")
    _refuse_unknown(changes, CAMPAIGN_FIELDS)
    with desk.store.transaction() as tx:
        before = tx.campaigns.lock(actor.org_id, campaign_id)
        after = _changed_campaign(tx, before, changes)
        if after != before:
            tx.campaigns.save(after)
            record(tx, desk.now(), actor, "campaign", campaign_id, "update", before, after)
    return after


def delete_campaign(desk: Desk, actor: Actor, campaign_id: str) -> None:
    """Delete a campaign; its numbers and groups stay (owners and admins)."""
    require_manager(actor, "delete campaigns")
    with desk.store.transaction() as tx:
        campaign = tx.campaigns.lock(actor.org_id, campaign_id)
        tx.campaigns.remove(actor.org_id, campaign_id)
        record(tx, desk.now(), actor, "campaign", campaign_id, "delete", before=campaign)


def _changed_campaign(tx: Transaction, campaign: Campaign, changes: dict[str, Any]) -> Campaign:
    """The campaign with ``changes`` applied, every rule checked."""
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = _unique_name(tx, campaign, changes["name"])
    if "caller_id_policy" in changes:
        policy = changes["caller_id_policy"]
        clean["caller_id_policy"] = None if policy is None else check_policy(_strings(policy))
    if "daily_cap" in changes:
        clean["daily_cap"] = check_daily_cap(changes["daily_cap"])
    if "sticky" in changes:
        if not isinstance(changes["sticky"], bool):
            raise invalid_field("sticky", "must be true or false")
        clean["sticky"] = changes["sticky"]
    name = clean.get("name", campaign.name)
    if "number_ids" in changes:
        numbers = _live_numbers(tx, campaign.org_id, changes["number_ids"], "number_ids")
        for number in numbers:
            require_caller_id(number, name)
        clean["number_ids"] = [n.id for n in numbers]
    if "group_ids" in changes:
        clean["group_ids"] = _caller_id_groups(tx, campaign.org_id, changes["group_ids"], name)
    return dataclasses.replace(campaign, **clean)


def _caller_id_groups(tx: Transaction, org_id: str, value: object, campaign: str) -> list[str]:
    """Groups of the org whose every number can be a caller ID (N2)."""
    ids = check_ids(value, "group_ids")
    groups = {g.id: g for g in tx.groups.many(org_id, ids)}
    for group_id in ids:
        if group_id not in groups:
            raise not_found("group", group_id)
        group = groups[group_id]
        for number in _live_numbers(tx, org_id, group.number_ids, "group_ids"):
            require_caller_id(number, campaign, group, field="group_ids")
    return ids


# Shared ----------------------------------------------------------------------------------


def _live_numbers(tx: Transaction, org_id: str, value: object, field: str) -> list[Number]:
    """The org's numbers for these ids (``numbers.live_numbers``), the ids checked first."""
    return live_numbers(tx, org_id, check_ids(value, field))


def _unique_name(tx: Transaction, entity: Group | Campaign, value: object) -> str:
    """A valid name no other group (or campaign) of the org has (409 ``duplicate_name``)."""
    if not isinstance(value, str):
        raise invalid_field("name", "must be text")
    name = check_name(value)
    repo = tx.groups if isinstance(entity, Group) else tx.campaigns
    other = repo.by_name(entity.org_id, name)
    if other is not None and other.id != entity.id:
        raise duplicate_name(repo.entity, name)
    return name


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_field("caller_id_policy", "give a list of steps, or null for the org default")
    return value


def _refuse_unknown(fields: dict[str, Any], known: frozenset[str]) -> None:
    unknown = set(fields) - known
    if unknown:
        raise Invalid(
            "unknown_field",
            f"These fields do not exist: {', '.join(sorted(unknown))};"
            f" use some of {', '.join(sorted(known))}.",
        )

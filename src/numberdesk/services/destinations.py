"""Inbound queues and custom destinations (named SIP URIs): create, read, change, delete."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from numberdesk.domain.destinations import Destination, Queue
from numberdesk.domain.errors import Invalid, invalid_field
from numberdesk.domain.groups import duplicate_name
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, check_name, require_manager
from numberdesk.domain.users import check_uri
from numberdesk.services.audit import record
from numberdesk.services.desk import Desk
from numberdesk.services.paging import Page, page_of
from numberdesk.store.destinations import NamedRepo
from numberdesk.store.uow import Transaction

T = TypeVar("T", Queue, Destination)
FIELDS = frozenset({"name", "uri"})


# Queues ----------------------------------------------------------------------------------


def create_queue(desk: Desk, actor: Actor, fields: dict[str, Any]) -> Queue:
    """Add an inbound queue, optionally with the SIP URI it rings (owners and admins)."""
    require_manager(actor, "create queues")
    with desk.store.transaction() as tx:
        queue = Queue(actor.org_id, new_id("que"), "", desk.now())
        queue = _changed(tx.queues, queue, _required(fields, "name"))
        tx.queues.add(queue)
        record(tx, desk.now(), actor, "queue", queue.id, "create", after=queue)
    return queue


def list_queues(desk: Desk, actor: Actor, *, cursor: str | None, limit: int) -> Page[Queue]:
    """List the organisation's queues, oldest first (any user)."""
    with desk.store.transaction() as tx:
        return page_of(tx.queues.page(actor.org_id, after=cursor, limit=limit + 1), limit)


def get_queue(desk: Desk, actor: Actor, queue_id: str) -> Queue:
    """Read one queue (any user)."""
    with desk.store.transaction() as tx:
        return tx.queues.require(actor.org_id, queue_id)


def update_queue(desk: Desk, actor: Actor, queue_id: str, changes: dict[str, Any]) -> Queue:
    """Rename a queue or change its SIP URI (owners and admins)."""
    require_manager(actor, "change queues")
    with desk.store.transaction() as tx:
        return _update(tx, desk, actor, tx.queues, queue_id, changes)


def delete_queue(desk: Desk, actor: Actor, queue_id: str) -> None:
    """Delete a queue (owners and admins)."""
    require_manager(actor, "delete queues")
    with desk.store.transaction() as tx:
        _delete(tx, desk, actor, tx.queues, queue_id)


# Custom destinations ---------------------------------------------------------------------


def create_destination(desk: Desk, actor: Actor, fields: dict[str, Any]) -> Destination:
    """Add a custom destination: a named SIP URI (owners and admins)."""
    require_manager(actor, "create custom destinations")
    with desk.store.transaction() as tx:
        destination = Destination(actor.org_id, new_id("dst"), "", "", desk.now())
        clean = _required(_required(fields, "name"), "uri")
        destination = _changed(tx.destinations, destination, clean)
        tx.destinations.add(destination)
        record(tx, desk.now(), actor, "destination", destination.id, "create", after=destination)
    return destination


def list_destinations(
    desk: Desk, actor: Actor, *, cursor: str | None, limit: int
) -> Page[Destination]:
    """List the organisation's custom destinations, oldest first (any user)."""
    with desk.store.transaction() as tx:
        return page_of(tx.destinations.page(actor.org_id, after=cursor, limit=limit + 1), limit)


def get_destination(desk: Desk, actor: Actor, destination_id: str) -> Destination:
    """Read one custom destination (any user)."""
    with desk.store.transaction() as tx:
        return tx.destinations.require(actor.org_id, destination_id)


def update_destination(
    desk: Desk, actor: Actor, destination_id: str, changes: dict[str, Any]
) -> Destination:
    """Rename a custom destination or change its SIP URI (owners and admins)."""
    require_manager(actor, "change custom destinations")
    with desk.store.transaction() as tx:
        return _update(tx, desk, actor, tx.destinations, destination_id, changes)


def delete_destination(desk: Desk, actor: Actor, destination_id: str) -> None:
    """Delete a custom destination (owners and admins)."""
    require_manager(actor, "delete custom destinations")
    with desk.store.transaction() as tx:
        _delete(tx, desk, actor, tx.destinations, destination_id)


# Shared ----------------------------------------------------------------------------------


def _update(
    tx: Transaction,
    desk: Desk,
    actor: Actor,
    repo: NamedRepo[T],
    id_: str,
    changes: dict[str, Any],
) -> T:
    before = repo.lock(actor.org_id, id_)
    after = _changed(repo, before, changes)
    if after != before:
        repo.save(after)
        record(tx, desk.now(), actor, repo.entity, id_, "update", before, after)
    return after


def _delete(tx: Transaction, desk: Desk, actor: Actor, repo: NamedRepo[T], id_: str) -> None:
    before = repo.lock(actor.org_id, id_)
    repo.remove(actor.org_id, id_)
    record(tx, desk.now(), actor, repo.entity, id_, "delete", before=before)


def _changed(repo: NamedRepo[T], entity: T, changes: dict[str, Any]) -> T:
    """The object with ``changes`` applied: a unique name, a SIP URI."""
    unknown = set(changes) - FIELDS
    if unknown:
        raise Invalid("unknown_field", f"These fields do not exist: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = _text(changes["name"], "name", check_name)
        other = repo.by_name(entity.org_id, clean["name"])
        if other is not None and other.id != entity.id:
            raise duplicate_name(repo.entity, clean["name"])
    if "uri" in changes:
        uri = changes["uri"]
        if uri is None and isinstance(entity, Queue):
            clean["uri"] = None
        else:
            clean["uri"] = _text(uri, "uri", check_uri)
    return dataclasses.replace(entity, **clean)


def _text(value: object, field: str, check: Callable[[str, str], str]) -> str:
    if not isinstance(value, str):
        raise invalid_field(field, "must be text")
    return check(value, field)


def _required(fields: dict[str, Any], name: str) -> dict[str, Any]:
    if fields.get(name) is None:
        raise invalid_field(name, "is required")
    return fields

"""Proof of address (C1, C2): addresses, linking them to numbers, and the requirement data."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from numberdesk.domain.addresses import (
    Address,
    RequirementRule,
    clean_address_fields,
    rule_for,
    rules_of_country,
)
from numberdesk.domain.compliance import Mismatch, failure, mismatch, where_needed
from numberdesk.domain.errors import Conflict, FieldError, Invalid, invalid_field
from numberdesk.domain.groups import check_ids, duplicate_name
from numberdesk.domain.ids import new_id
from numberdesk.domain.numbers import Number
from numberdesk.domain.orgs import Actor, require_manager
from numberdesk.services.audit import picture, record
from numberdesk.services.desk import Desk
from numberdesk.services.numbers import NumberView, live_numbers, views_of
from numberdesk.services.paging import Page, page_of
from numberdesk.store.addresses import AddressRepo, addresses_in
from numberdesk.store.uow import Transaction

MAX_LINK = 1000


@dataclass(frozen=True)
class AddressView:
    """An address and how many live numbers it proves."""

    address: Address
    number_count: int

    @property
    def id(self) -> str:
        """The address's id (pages are cut by it)."""
        return self.address.id


@dataclass(frozen=True)
class Unproven:
    """A linked number the address no longer proves, and why."""

    number: Number
    mismatch: Mismatch


@dataclass(frozen=True)
class AddressChange:
    """A changed address and the linked numbers it stopped proving (now ``address_not_valid``)."""

    view: AddressView
    no_longer_valid: list[Unproven]


@dataclass(frozen=True)
class Linked:
    """The address and the numbers it now proves, in the order asked."""

    view: AddressView
    numbers: list[NumberView]


def create_address(desk: Desk, actor: Actor, fields: dict[str, Any]) -> AddressView:
    """Add a named postal address to the organisation (owners and admins)."""
    require_manager(actor, "create addresses")
    clean = clean_address_fields(fields, creating=True)
    with desk.store.transaction() as tx:
        repo = addresses_in(tx)
        _require_free_name(repo, actor.org_id, clean["name"], None)
        address = Address(org_id=actor.org_id, id=new_id("adr"), created_at=desk.now(), **clean)
        repo.add(address)
        record(tx, desk.now(), actor, "address", address.id, "create", after=address)
    return AddressView(address, 0)


def list_addresses(
    desk: Desk, actor: Actor, *, cursor: str | None = None, limit: int = 50
) -> Page[AddressView]:
    """List the organisation's addresses, oldest first (any user)."""
    with desk.store.transaction() as tx:
        repo = addresses_in(tx)
        rows = repo.page(actor.org_id, after=cursor, limit=limit + 1)
        counts = repo.linked_counts(actor.org_id, (a.id for a in rows))
    return page_of([AddressView(a, counts.get(a.id, 0)) for a in rows], limit)


def get_address(desk: Desk, actor: Actor, address_id: str) -> AddressView:
    """Read one address (any user)."""
    with desk.store.transaction() as tx:
        repo = addresses_in(tx)
        return _view(repo, repo.require(actor.org_id, address_id))


def update_address(
    desk: Desk, actor: Actor, address_id: str, changes: dict[str, Any]
) -> AddressChange:
    """Correct an address; reports the linked numbers it no longer proves (owners and admins)."""
    require_manager(actor, "change addresses")
    clean = clean_address_fields(changes, creating=False)
    with desk.store.transaction() as tx:
        repo = addresses_in(tx)
        before = repo.lock(actor.org_id, address_id)
        if "name" in clean:
            _require_free_name(repo, actor.org_id, clean["name"], address_id)
        after = dataclasses.replace(before, **clean)
        if after != before:
            repo.save(after)
            record(tx, desk.now(), actor, "address", address_id, "update", before, after)
        linked = repo.linked_numbers(actor.org_id, address_id)
    unproven = [
        Unproven(n, found)
        for n in linked
        if (found := mismatch(n, after, rule_for(n.country, n.line_type))) is not None
    ]
    return AddressChange(AddressView(after, len(linked)), unproven)


def delete_address(desk: Desk, actor: Actor, address_id: str) -> None:
    """Delete an address no live number is linked to (owners and admins)."""
    require_manager(actor, "delete addresses")
    with desk.store.transaction() as tx:
        repo = addresses_in(tx)
        address = repo.lock(actor.org_id, address_id)
        linked = repo.linked_numbers(actor.org_id, address_id)
        if linked:
            raise _in_use(address, linked)
        repo.remove(actor.org_id, address_id)
        record(tx, desk.now(), actor, "address", address_id, "delete", before=address)


def _in_use(address: Address, linked: list[Number]) -> Conflict:
    count = f"{len(linked)} number{'s are' if len(linked) != 1 else ' is'}"
    return Conflict(
        "address_in_use",
        f"{count} linked to the address {address.name!r}, so it cannot be deleted; link "
        "them to another address (POST /v1/addresses/{id}/numbers) or unlink them "
        '(PATCH /v1/numbers/{id} {"address_id": null}) first',
        extra={"linked_numbers": len(linked), "number_ids": [n.id for n in linked[:100]]},
    )


def link_numbers(desk: Desk, actor: Actor, address_id: str, number_ids: object) -> Linked:
    """Link an address to many numbers at once: all of them, or none if any fails its rule (C2)."""
    require_manager(actor, "link addresses to numbers")
    ids = check_ids(number_ids, "number_ids", MAX_LINK)
    if not ids:
        raise invalid_field("number_ids", "give the ids of the numbers this address proves")
    with desk.store.transaction() as tx:
        repo = addresses_in(tx)
        address = repo.lock(actor.org_id, address_id, share=True)
        numbers = live_numbers(tx, actor.org_id, ids)
        _require_all_linkable(address, numbers)
        linked = _link(tx, desk, actor, address, numbers)
        views = views_of(tx, actor.org_id, linked)
        view = _view(repo, address)
    return Linked(view, views)


def _require_all_linkable(address: Address, numbers: list[Number]) -> None:
    """Refuse the whole request, naming every number the address does not prove (C2)."""
    failing = [
        (i, n, found)
        for i, n in enumerate(numbers)
        if (found := mismatch(n, address, rule_for(n.country, n.line_type))) is not None
    ]
    if not failing:
        return
    reasons = "; ".join(
        f"{n.e164}: {found.what}, it needs an address in "
        f"{where_needed(n, rule_for(n.country, n.line_type))}"
        for _, n, found in failing
    )
    raise Invalid(
        "address_rule_not_met",
        f"{len(failing)} of {len(numbers)} numbers cannot be proven by the address "
        f"{address.name!r}, so nothing was linked (rule C2): {reasons}. `failures` gives "
        "each number's rule and its source.",
        errors=[FieldError(f"number_ids[{i}]", f"{n.e164}: {f.reason}") for i, n, f in failing],
        extra={"failures": [failure(n, found) for _, n, found in failing]},
    )


def _link(
    tx: Transaction, desk: Desk, actor: Actor, address: Address, numbers: list[Number]
) -> list[Number]:
    mapped = tx.area_codes.of_numbers(actor.org_id, (n.id for n in numbers))
    linked = []
    for number in numbers:
        after = dataclasses.replace(number, address_id=address.id)
        if after != number:
            tx.numbers.save(after)
            codes = mapped.get(number.id, [])
            change = picture(number, codes), picture(after, codes)
            record(tx, desk.now(), actor, "number", number.id, "link_address", *change)
        linked.append(after)
    return linked


def _view(repo: AddressRepo, address: Address) -> AddressView:
    counts = repo.linked_counts(address.org_id, [address.id])
    return AddressView(address, counts.get(address.id, 0))


def _require_free_name(repo: AddressRepo, org_id: str, name: str, own_id: str | None) -> None:
    other = repo.by_name(org_id, name)
    if other is not None and other.id != own_id:
        raise duplicate_name("address", name)


def list_requirements(country: str) -> list[RequirementRule]:
    """The address requirement of every line type of a country, with its source (C1)."""
    return rules_of_country(country)

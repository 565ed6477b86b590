"""Contacts from the CRM through the API (rules I4, I9, A1, A2)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from numberdesk.domain.contacts import Contact
from numberdesk.domain.ids import new_id
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services.contacts import put_contact
from numberdesk.services.desk import Desk
from numberdesk.store.contacts import contacts
from numberdesk.store.uow import Transaction
from tests.conftest import Api


def put(api: Api, key: str, external_id: str, **body: Any) -> Any:
    """Upsert a contact."""
    return api.call("PUT", f"/v1/contacts/{external_id}", key, json=body)


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """A US org with an agent."""
    key = api.new_org("Lofty", "US")["api_key"]
    agent, agent_key = api.new_user(key)
    return {"key": key, "agent": agent, "agent_key": agent_key}


def test_crm_upserts_a_contact_by_its_own_id_reading_phones_nationally_i9(
    api: Api, org: dict[str, Any]
) -> None:
    key, agent = org["key"], org["agent"]["id"]
    body = {"name": "Jane", "phones": ["(212) 555-0142"], "primary_agent_id": agent}
    created = put(api, key, "crm-1", **body, source="Website", tags=["buyer"])
    assert created.status_code == 201, created.text
    assert created.json()["phones"] == ["+12125550142"]
    again = put(api, key, "crm-1", **{**body, "name": "Jane Doe"})
    assert again.status_code == 200
    read = api.call("GET", "/v1/contacts/crm-1", org["agent_key"]).json()
    assert (read["id"], read["name"]) == (created.json()["id"], "Jane Doe")
    assert (read["source"], read["tags"], read["timeline"]) == ("Website", ["buyer"], [])


def test_contacts_are_found_by_phone_oldest_first_i4(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    put(api, key, "a", name="A", phones=["+12125550142"], primary_agent_id=agent)
    put(api, key, "b", name="B", phones=["+12125550199", "2125550142"], primary_agent_id=agent)
    put(api, key, "c", name="C", phones=["+13125550100"], primary_agent_id=agent)
    found = api.call("GET", "/v1/contacts?phone=212-555-0142", org["agent_key"]).json()
    assert [c["external_id"] for c in found["items"]] == ["a", "b"]


def test_bad_contacts_are_refused_and_change_nothing(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    other_agent, _ = api.new_user(api.new_org("Other")["api_key"])
    cases = [
        {"name": "X", "phones": ["12"], "primary_agent_id": agent},
        {"name": "X", "phones": [], "primary_agent_id": agent},
        {"name": " ", "phones": ["+12125550142"], "primary_agent_id": agent},
        {"name": "X", "phones": ["+12125550142"], "primary_agent_id": other_agent["id"]},
        {"name": "X", "phones": ["+12125550142"]},
        {"name": "X", "phones": ["+12125550142"], "primary_agent_id": agent, "colour": "red"},
    ]
    for body in cases:
        assert put(api, key, "crm-9", **body).status_code == 422, body
    assert api.call("GET", "/v1/contacts/crm-9", key).status_code == 404


def test_agents_read_contacts_but_only_owners_and_admins_change_them_a2(
    api: Api, org: dict[str, Any]
) -> None:
    body = {"name": "X", "phones": ["+12125550142"], "primary_agent_id": org["agent"]["id"]}
    assert put(api, org["agent_key"], "crm-2", **body).status_code == 403


def test_another_orgs_contact_is_404_a1(api: Api, org: dict[str, Any]) -> None:
    put(
        api,
        org["key"],
        "crm-3",
        name="X",
        phones=["+12125550142"],
        primary_agent_id=org["agent"]["id"],
    )
    other = api.new_org("Other")["api_key"]
    assert api.call("GET", "/v1/contacts/crm-3", other).status_code == 404
    assert api.call("GET", "/v1/contacts?phone=+12125550142", other).json()["items"] == []


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_crm_syncs_creating_one_contact_at_once_give_one_contact_both_applied_i9(
    api: Api, desk: Desk
) -> None:
    """The second create waits on the first's uncommitted row, then is made as a change of
    the contact the first created (it used to be a 409 asking to send again): one contact,
    with the first's id and the second's fields."""
    created = api.new_org("Sync", "US")
    actor = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    now, phones = desk.now(), ["+12125550142"]
    owner = actor.user_id
    first = Contact(actor.org_id, new_id("con"), "crm-9", "First", owner, now, now, phones=phones)
    with ThreadPoolExecutor(max_workers=1) as pool:
        with desk.store.transaction() as tx:
            assert contacts(tx).put(first, new=True)  # not committed yet
            body = {"name": "Second", "phones": phones, "primary_agent_id": owner}
            second = pool.submit(put_contact, desk, actor, "crm-9", body)
            deadline = time.monotonic() + 10
            while not _blocked_by(desk, tx):
                assert not second.done(), second.result()
                assert time.monotonic() < deadline, "the second create never waited"
                time.sleep(0.01)
        view, was_created = second.result()  # once the first committed
    assert (view.contact.id, view.contact.name, was_created) == (first.id, "Second", False)
    read = api.call("GET", "/v1/contacts/crm-9", created["api_key"]).json()
    assert (read["id"], read["name"]) == (first.id, "Second")
    found = api.call("GET", "/v1/contacts?phone=+12125550142", created["api_key"]).json()
    assert [c["id"] for c in found["items"]] == [first.id]


def _blocked_by(desk: Desk, holding: Transaction) -> bool:
    """Whether a session waits on a lock that ``holding``'s session holds."""
    pid = holding.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    with desk.store.engine.connect() as conn:
        waiting = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (pid,),
        )
        return bool(waiting.scalar())

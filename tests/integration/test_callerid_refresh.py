"""After a change, a process refreshes its call-path indexes from the changes the audit trail
names past their version (rules O3, I1, A3) instead of reading every number again (half a
minute at a million numbers); what it then holds is what a whole build would make."""

from __future__ import annotations

from typing import Any

import pytest

from numberdesk.domain.errors import Conflict
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import callerid, inbound, index_changes
from numberdesk.services.callerid_index import Indexed, build_index
from numberdesk.services.desk import Desk
from numberdesk.services.inbound_index import InboundIndex, key_of
from numberdesk.services.inbound_index import build_index as build_inbound_index
from numberdesk.store.callerid import CallerIdRepo
from numberdesk.store.inbound import InboundRepo
from numberdesk.store.numbers import NumberRepo
from tests.conftest import Api
from tests.integration.helpers import post
from tests.integration.inbound_helpers import buy


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """An org with numbers in three area codes, an agent showing the San Francisco one, a
    campaign and an org default."""
    created = api.new_org("Lenders", "US")
    key = created["api_key"]
    ny, ny2, sf, chi = (buy(api, key, area_code=a) for a in ("212", "212", "415", "312"))
    api.call("PATCH", "/v1/org", key, json={"default_caller_id": chi["e164"]})
    agent, _ = api.new_user(key, caller_id=sf["e164"])
    campaign = post(api, key, "/v1/campaigns", {"name": "Spring", "number_ids": [ny2["id"]]})
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    return {
        "key": key,
        "owner": owner,
        "agent": agent["id"],
        "campaign": campaign["id"],
        "ny": ny,
        "ny2": ny2,
        "sf": sf,
        "chi": chi,
    }


@pytest.fixture
def whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The org ids every number of which was read (a whole build), from now on."""
    reads: list[str] = []
    live_pages = NumberRepo.live_pages

    def counted(repo: NumberRepo, org_id: str) -> Any:
        reads.append(org_id)
        return live_pages(repo, org_id)

    monkeypatch.setattr(NumberRepo, "live_pages", counted)
    return reads


def decide_both(desk: Desk, org: dict[str, Any]) -> None:
    """A dry-run outbound and inbound decision: each makes its index current."""
    owner, agent = org["owner"], org["agent"]
    callerid.decide_outbound(desk, owner, agent_id=agent, to="+12125550100", dry_run=True)
    inbound.decide_inbound(desk, owner, to=org["ny"]["e164"], caller="+13055550100", dry_run=True)


def assert_held_indexes_are_whole_builds(desk: Desk, org_id: str) -> None:
    """The indexes the process holds are what whole builds would make now."""
    outbound, incoming = desk.snapshots[org_id], desk.snapshots[key_of(org_id)]
    assert isinstance(outbound, Indexed)
    assert isinstance(incoming, InboundIndex)
    with desk.store.transaction() as tx:
        org = tx.orgs.require(org_id)
        assert outbound.version == incoming.version == org.config_version
        assert outbound == build_index(tx, org, desk.now())
        assert incoming == build_inbound_index(tx, InboundRepo(tx.conn), org)


def test_number_user_campaign_and_org_changes_refresh_the_indexes_without_reading_all_numbers_o3_i1(
    api: Api, desk: Desk, org: dict[str, Any], whole_reads: list[str]
) -> None:
    key, org_id = org["key"], org["owner"].org_id
    decide_both(desk, org)
    assert whole_reads == [org_id, org_id]  # the process's first indexes are built whole
    changes = [
        ("POST", f"/v1/numbers/{org['ny']['id']}/rest", {}),
        ("PATCH", f"/v1/numbers/{org['chi']['id']}", {"area_codes": ["646", "718"]}),
        (
            "POST",
            "/v1/number-orders",
            {"country": "US", "area_code": "917", "kind": "voice", "quantity": 2},
        ),
        ("DELETE", f"/v1/numbers/{org['sf']['id']}", None),  # the agent's caller ID
        ("PATCH", f"/v1/users/{org['agent']}", {"caller_id": org["chi"]["e164"]}),
        ("PATCH", f"/v1/campaigns/{org['campaign']}", {"number_ids": [org["ny"]["id"]]}),
        ("PATCH", "/v1/org", {"caller_id_policy": ["campaign", "local_presence", "organisation"]}),
        ("POST", f"/v1/numbers/{org['ny']['id']}/wake", {}),
        (
            "PUT",
            f"/v1/numbers/{org['ny']['id']}/route",
            {"type": "agent", "agent_id": org["agent"]},
        ),
    ]
    for method, path, body in changes:
        changed = api.call(method, path, key, json=body)
        assert changed.status_code < 300, (path, changed.text)
        decide_both(desk, org)
        assert_held_indexes_are_whole_builds(desk, org_id)
    assert whole_reads.count(org_id) == 2 + 2 * len(changes)  # only the tests' whole builds


def test_the_refreshed_index_decides_as_the_change_says_o3_o6(
    api: Api, desk: Desk, org: dict[str, Any]
) -> None:
    """A number rested, a new one bought and the agent's caller ID released: each call after
    the change shows what the change means."""
    key, agent = org["key"], org["agent"]

    def shown(to: str) -> tuple[str, str]:
        answer = callerid.decide_outbound(desk, org["owner"], agent_id=agent, to=to, dry_run=True)
        return answer.number.e164, answer.step

    assert shown("+13055550100") == (org["sf"]["e164"], "agent")
    for number in (org["ny"], org["ny2"]):
        api.call("POST", f"/v1/numbers/{number['id']}/rest", key, json={})
    assert shown("+12125550100") == (org["sf"]["e164"], "agent")  # no New York number to show
    ordered = buy(api, key, area_code="212")
    assert shown("+12125550100") == (ordered["e164"], "local_presence")
    assert api.call("DELETE", f"/v1/numbers/{org['sf']['id']}", key).status_code < 300
    assert shown("+13055550100") == (org["chi"]["e164"], "organisation")


def test_an_address_moved_away_leaves_its_numbers_unusable_in_the_refreshed_index_c4_o4(
    api: Api, desk: Desk, whole_reads: list[str]
) -> None:
    """A Berlin number's proof of address moved to Munich: the number is no longer compliant
    (C4), and the index, refreshed with the numbers linked to the address, no longer offers it."""
    created = api.new_org("Kanzlei", "DE")
    key, org_id = created["api_key"], created["org_id"]
    owner = Actor(org_id, created["owner_user_id"], Role.OWNER)
    berlin = buy(api, key, area_code="30", country="DE")
    berlin_address = {"street": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117"}
    address = post(api, key, "/v1/addresses", {"name": "HQ", "country": "DE", **berlin_address})
    path = f"/v1/addresses/{address['id']}/numbers"
    linked = api.call("POST", path, key, json={"number_ids": [berlin["id"]]})
    assert linked.status_code == 200, linked.text

    def shown() -> str | None:
        answer = callerid.decide_outbound(
            desk, owner, agent_id=owner.user_id, to="+4930901820", dry_run=True
        )
        return answer.number.e164

    assert shown() == berlin["e164"]
    whole_reads.clear()
    munich = {"street": "Marienplatz 1", "city": "München", "postal_code": "80331"}
    moved = api.call("PATCH", f"/v1/addresses/{address['id']}", key, json=munich)
    assert [n["number_id"] for n in moved.json()["no_longer_valid"]] == [berlin["id"]]
    with pytest.raises(Conflict) as refused:
        shown()
    assert refused.value.code == "no_caller_id"
    assert whole_reads == []
    held = desk.snapshots[org_id]
    assert isinstance(held, Indexed)
    assert (held.snapshot.numbers[berlin["id"]].unusable or "").startswith("is not compliant")
    with desk.store.transaction() as tx:
        assert held == build_index(tx, tx.orgs.require(org_id), desk.now())


def test_more_changes_at_once_than_a_refresh_takes_build_the_indexes_whole_o3_i1(
    api: Api,
    desk: Desk,
    org: dict[str, Any],
    whole_reads: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(index_changes, "MOST", 2)
    decide_both(desk, org)
    whole_reads.clear()
    for number in ("ny", "ny2", "sf"):
        api.call("POST", f"/v1/numbers/{org[number]['id']}/rest", org["key"], json={})
    decide_both(desk, org)
    assert whole_reads == [org["owner"].org_id] * 2
    assert_held_indexes_are_whole_builds(desk, org["owner"].org_id)


def test_a_version_that_names_no_change_builds_the_indexes_whole_o3_i1(
    desk: Desk, org: dict[str, Any], whole_reads: list[str]
) -> None:
    """Were the version moved by a writer that leaves no audit entry (a restore, a hand-made
    fix), the refresh could not know what changed: both indexes are built whole."""
    org_id = org["owner"].org_id
    decide_both(desk, org)
    whole_reads.clear()
    with desk.store.transaction() as tx:
        CallerIdRepo(tx.conn).bump_config_version(org_id)
    decide_both(desk, org)
    assert whole_reads == [org_id, org_id]
    assert_held_indexes_are_whole_builds(desk, org_id)


def test_whole_builds_read_the_numbers_a_page_at_a_time_and_miss_none_o3_i1(
    api: Api, desk: Desk, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole build holds one page of number rows at a time (not a million); pages of two
    make the same indexes as one page, released numbers left out of both."""
    org_id = org["owner"].org_id
    api.call("DELETE", f"/v1/numbers/{org['ny2']['id']}", org["key"])
    live = {org[name]["id"] for name in ("ny", "sf", "chi")}

    def both_built() -> tuple[Indexed, InboundIndex]:
        with desk.store.transaction() as tx:
            row = tx.orgs.require(org_id)
            return build_index(tx, row, desk.now()), build_inbound_index(
                tx, InboundRepo(tx.conn), row
            )

    one_page = both_built()
    with desk.store.transaction() as tx:
        pages = [[n.id for n in page] for page in tx.numbers.live_pages(org_id, size=2)]
    assert [len(page) for page in pages] == [2, 1]
    assert set(pages[0] + pages[1]) == live
    whole = NumberRepo.live_pages
    monkeypatch.setattr(NumberRepo, "live_pages", lambda repo, org: whole(repo, org, size=2))
    assert both_built() == one_page
    outbound, incoming = one_page
    assert set(outbound.snapshot.numbers) == live
    assert {n.id for n in incoming.numbers.values()} == live

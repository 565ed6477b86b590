"""Decisions while the configuration changes under them (``services/snapshots``): a decision
whose index turned out out of date is made again holding the config version, so changes that
keep coming (an admin's script, several admins) never make a call fail (O7, I1)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

import pytest

from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import callerid, inbound
from numberdesk.services.desk import Desk
from numberdesk.store.callerid import CallerIdRepo
from numberdesk.store.inbound import InboundRepo
from tests.conftest import Api
from tests.integration.inbound_helpers import agent, buy, set_route

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]
SETTLE = 0.5  # s given a change made meanwhile to commit; past it, it is taken as waiting


@contextmanager
def changed_during_each_write(
    monkeypatch: pytest.MonkeyPatch, repo: type, write: str, change: Callable[[], Any]
) -> Iterator[list[float]]:
    """Before each call of ``repo.write`` (a decision's write), ``change`` is made on another
    thread, given ``SETTLE`` s to commit; yields how long each change waited to commit."""
    waited: list[float] = []
    changes: list[threading.Thread] = []
    original = getattr(repo, write)

    def timed(started: float) -> None:
        change()
        waited.append(time.monotonic() - started)

    def meanwhile(*args: Any, **kwargs: Any) -> Any:
        changes.append(threading.Thread(target=timed, args=(time.monotonic(),)))
        changes[-1].start()
        changes[-1].join(SETTLE)
        return original(*args, **kwargs)

    monkeypatch.setattr(repo, write, meanwhile)
    yield waited
    for made in changes:
        made.join()


def retagging(api: Api, key: str, number_id: str) -> Callable[[], None]:
    """A change of the configuration, made each time it is called: the number gets new tags
    (an audited change of a number, which moves the org's config version)."""
    tags = count()

    def retag() -> None:
        tagged = api.call(
            "PATCH", f"/v1/numbers/{number_id}", key, json={"tags": [f"t{next(tags)}"]}
        )
        assert tagged.status_code == 200, tagged.text

    return retag


def test_a_call_is_decided_though_the_configuration_changes_during_each_try_o7(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write of the decision finds the version moved by a change committed meanwhile:
    the retry that holds the version makes the change wait instead, and the call is answered
    (it was a 503 ``configuration_changing`` after three tries)."""
    created = api.new_org("Churn", "US")
    key = created["api_key"]
    local, other = buy(api, key), buy(api, key, area_code="415")
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    retag = retagging(api, key, other["id"])
    callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to="+12125550100")  # index
    with changed_during_each_write(monkeypatch, CallerIdRepo, "count_call", retag) as waited:
        answer = callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to="+12125550199")
    assert answer.number.e164 == local["e164"]
    assert len(waited) == 2  # the first try's change committed; the second's waited for it
    assert waited[0] < SETTLE <= waited[1]
    audit = api.call("GET", "/v1/audit?entity=number", key).json()["items"]
    assert sum(entry["action"] == "update" for entry in audit) == 2  # both changes made


def test_an_inbound_call_is_routed_though_the_configuration_changes_during_each_try_i1(
    api: Api, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api.new_org("Churn", "US")
    key = created["api_key"]
    dialled, other = buy(api, key), buy(api, key, area_code="415")
    agent_id, _ = agent(api, key)
    set_route(api, key, dialled["id"], {"type": "agent", "agent_id": agent_id})
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    retag = retagging(api, key, other["id"])
    inbound.decide_inbound(desk, owner, to=dialled["e164"], caller="+13055550100")  # index
    with changed_during_each_write(monkeypatch, InboundRepo, "record", retag) as waited:
        answer = inbound.decide_inbound(desk, owner, to=dialled["e164"], caller="+13055550101")
    assert [target.agent_id for target in answer.decision.targets] == [agent_id]
    assert len(waited) == 2
    assert waited[0] < SETTLE <= waited[1]


def test_calls_to_a_company_number_being_changed_are_all_answered_i10(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    """Admins change a company number (its row locked, then the version moved) over and over
    while calls to it are decided in two processes: each call is answered, none waits on a
    deadlock (the retry that holds the version locks the number first, as a change does)."""
    created = api.new_org("Churn", "US")
    key = created["api_key"]
    dialled = buy(api, key)
    set_route(api, key, dialled["id"], {"type": "company"})
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    stop = time.monotonic() + 3
    statuses: Counter[str] = Counter()

    def change(n: int) -> None:
        while time.monotonic() < stop:
            body = {"area_codes": [("212", "415", "312", "305", "718")[n % 5]]}
            n += 1
            answer = api.call("PATCH", f"/v1/numbers/{dialled['id']}", key, json=body)
            statuses[f"change {answer.status_code}"] += 1

    def calls(n: int) -> None:
        process = (desk, other_process)[n % 2]
        while time.monotonic() < stop:
            n += 10
            try:
                made = inbound.decide_inbound(
                    process, owner, to=dialled["e164"], caller=f"+1305555{n:04d}"
                )
            except Exception as failed:  # counted, then asserted on
                statuses[f"call {type(failed).__name__}: {failed}"[:200]] += 1
                continue
            statuses["call answered"] += 1
            api.call("POST", f"/v1/calls/{made.call_id}/events", key, json={"type": "ended"})

    workers = [threading.Thread(target=change, args=(n,)) for n in range(2)]
    workers += [threading.Thread(target=calls, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    failed = {what: n for what, n in statuses.items() if not what.endswith((" 200", "answered"))}
    assert not failed, statuses
    assert statuses["call answered"] > 20, statuses
    assert statuses["change 200"] > 20, statuses

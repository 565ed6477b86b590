"""Outbound caller ID through the API, as a PBX asks it once per call (rules O1-O7)."""

from __future__ import annotations

import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import OperationalError

from numberdesk.domain.callerid import Candidate, Pool
from numberdesk.domain.callerid_picks import Use, least_used
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import callerid
from numberdesk.services.desk import Desk
from numberdesk.store import callerid_sql
from numberdesk.store.callerid import Attempt, CallerIdRepo, When
from numberdesk.store.db import on_postgresql
from numberdesk.store.schema import number_usage, outbound_calls
from tests.conftest import Api, Clock
from tests.integration.helpers import builds_of_concurrent_calls, post

OUTBOUND = "/v1/decisions/outbound"


def buy(
    api: Api, key: str, area_code: str, quantity: int = 1, country: str = "US"
) -> list[dict[str, Any]]:
    """Buy voice numbers in an area code; the new numbers."""
    body = {"country": country, "area_code": area_code, "kind": "voice", "quantity": quantity}
    numbers: list[dict[str, Any]] = post(api, key, "/v1/number-orders", body)["numbers"]
    return numbers


def decide(api: Api, key: str, **body: Any) -> Any:
    """Ask for a caller ID."""
    return api.call("POST", OUTBOUND, key, json=body)


@pytest.fixture
def org(api: Api) -> dict[str, Any]:
    """An org with a New York number (local presence), a San Francisco number on the agent's
    card, and a Chicago number as the org default."""
    created = api.new_org("Lenders", "US")
    key = created["api_key"]
    ny, sf, chi = buy(api, key, "212")[0], buy(api, key, "415")[0], buy(api, key, "312")[0]
    api.call("PATCH", "/v1/org", key, json={"default_caller_id": chi["e164"]})
    agent, _ = api.new_user(key, caller_id=sf["e164"])
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    return {"key": key, "owner": owner, "agent": agent, "ny": ny, "sf": sf, "chi": chi}


def test_borrower_sees_local_number_then_agent_caller_id_then_org_number_insellerate_o3(
    api: Api, org: dict[str, Any]
) -> None:
    key, agent = org["key"], org["agent"]["id"]
    local = decide(api, key, agent_id=agent, to="+12125550142").json()
    assert (local["caller_id"], local["step"]) == (org["ny"]["e164"], "local_presence")
    elsewhere = decide(api, key, agent_id=agent, to="(305) 555-0142").json()
    assert (elsewhere["caller_id"], elsewhere["step"]) == (org["sf"]["e164"], "agent")
    bare, _ = api.new_user(key)
    fallback = decide(api, key, agent_id=bare["id"], to="+13055550142").json()
    assert (fallback["caller_id"], fallback["step"]) == (org["chi"]["e164"], "organisation")
    assert fallback["attestation"] == "A"
    assert [t["result"] for t in fallback["trace"]] == [
        "no_match",
        "no_match",
        "no_match",
        "chosen",
    ]


def test_nearby_finds_a_number_in_the_callees_state_when_the_policy_asks_o3(
    api: Api, org: dict[str, Any]
) -> None:
    """Brooklyn (718) has no number of ours, but New York State has one (212): a policy with
    ``nearby`` shows it, and says where; the default policy, without ``nearby``, does not."""
    key, agent = org["key"], org["agent"]["id"]
    moved = api.call("PATCH", "/v1/org", key, json={"caller_id_policy": ["nearby", "organisation"]})
    assert moved.status_code == 200, moved.text
    near = decide(api, key, agent_id=agent, to="+17185550142").json()
    assert (near["caller_id"], near["step"]) == (org["ny"]["e164"], "nearby")
    assert "in NY" in near["trace"][0]["reason"]
    default = ["local_presence", "agent", "campaign", "organisation"]
    back = api.call("PATCH", "/v1/org", key, json={"caller_id_policy": default})
    assert back.status_code == 200, back.text
    far = decide(api, key, agent_id=agent, to="+17185550143").json()
    assert (far["caller_id"], far["step"]) == (org["sf"]["e164"], "agent")


def test_agent_card_overrides_campaign_numbers_leaddesk_o3(api: Api, org: dict[str, Any]) -> None:
    key = org["key"]
    campaign = api.call(
        "POST", "/v1/campaigns", key, json={"name": "Renewals", "number_ids": [org["chi"]["id"]]}
    )
    body = {
        "agent_id": org["agent"]["id"],
        "to": "+13055550142",
        "campaign_id": campaign.json()["id"],
    }
    assert decide(api, key, **body).json()["step"] == "agent"
    api.call("PATCH", f"/v1/users/{org['agent']['id']}", key, json={"caller_id": None})
    answer = decide(api, key, **body).json()
    assert (answer["caller_id"], answer["step"]) == (org["chi"]["e164"], "campaign")


def test_new_local_number_is_used_as_soon_as_it_is_bought(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    assert decide(api, key, agent_id=agent, to="+17185550100").json()["step"] == "agent"
    brooklyn = buy(api, key, "718")[0]
    answer = decide(api, key, agent_id=agent, to="+17185550100").json()
    assert (answer["caller_id"], answer["step"]) == (brooklyn["e164"], "local_presence")


def test_callee_sees_the_same_number_again_o5_o7(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    buy(api, key, "212", 3)
    first = decide(api, key, agent_id=agent, to="+12125550199").json()["caller_id"]
    others = {
        decide(api, key, agent_id=agent, to=f"+1212555{n:04d}").json()["caller_id"]
        for n in range(3)
    }
    assert len(others) == 3  # rotation among the four local numbers
    assert decide(api, key, agent_id=agent, to="+12125550199").json()["caller_id"] == first


def test_a_new_callee_sees_the_number_used_least_today_and_least_recently_o5(
    api: Api, clock: Clock
) -> None:
    created = api.new_org("Rotation", "US")
    key, agent = created["api_key"], created["owner_user_id"]
    buy(api, key, "212", 3)

    def shown(to: str) -> str:
        clock.at += timedelta(minutes=1)
        answer = decide(api, key, agent_id=agent, to=to)
        assert answer.status_code == 200, answer.text
        caller_id: str = answer.json()["caller_id"]
        return caller_id

    first = shown("+12125550100")
    assert {shown("+12125550100") for _ in range(5)} == {first}  # sticky: 6 calls today
    second, third = shown("+12125550101"), shown("+12125550102")  # then 1 call each
    assert len({first, second, third}) == 3
    # Least used today: the second and the third (once each); of those, the second was used
    # longer ago.
    assert shown("+12125550103") == second  # second: 2 calls
    assert [shown("+12125550102"), shown("+12125550102")] == [third, third]  # third: 3 calls
    assert shown("+12125550101") == second  # second: 3 calls, used after the third
    # Tied again, and now the third was used longer ago: whichever has the lower id, the
    # rule's order picks the other way round from before.
    assert shown("+12125550104") == third


def test_daily_cap_moves_calls_to_the_next_step_o6(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    api.call("PATCH", "/v1/org", key, json={"daily_cap": 2})
    steps = [
        decide(api, key, agent_id=agent, to=f"+1212555{n:04d}").json()["step"] for n in range(3)
    ]
    assert steps == ["local_presence", "local_presence", "agent"]


def test_nothing_eligible_is_409_with_the_trace_o7(api: Api) -> None:
    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    response = decide(api, key, agent_id=agent["id"], to="+12125550100")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no_caller_id"
    assert [t["step"] for t in body["trace"]] == [
        "local_presence",
        "agent",
        "campaign",
        "organisation",
    ]


def test_requested_caller_id_is_checked_o2(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    allowed = decide(
        api, key, agent_id=agent, to="+12125550100", caller_id=org["chi"]["e164"]
    ).json()
    assert (allowed["caller_id"], allowed["step"]) == (org["chi"]["e164"], "requested")
    refused = decide(api, key, agent_id=agent, to="+12125550100", caller_id=org["ny"]["e164"])
    assert refused.status_code == 403
    assert refused.json()["code"] == "caller_id_not_allowed"


def test_bad_requests_are_refused_and_record_nothing(
    api: Api, org: dict[str, Any], desk: Desk
) -> None:
    key, agent = org["key"], org["agent"]["id"]
    other = api.new_org("Other")["api_key"]
    foreign_agent, _ = api.new_user(other)
    cases = [
        ({"agent_id": "usr_nobody", "to": "+12125550100"}, 404),
        ({"agent_id": foreign_agent["id"], "to": "+12125550100"}, 404),
        ({"agent_id": agent, "to": "12"}, 422),
        ({"agent_id": agent, "to": "+12125550100", "campaign_id": "cmp_nope"}, 404),
        ({"agent_id": agent, "to": "+12125550100", "caller_id": "+13125550100"}, 403),
        ({"agent_id": agent, "to": "+12125550100", "caller_id": "+19995550100"}, 422),
        ({"agent_id": agent, "to": "+1 212 555 0100" + " " * 64}, 422),  # not a number's length
    ]
    for body, status in cases:
        assert decide(api, key, **body).status_code == status, body
    first = decide(api, key, agent_id=agent, to="+12125550100").json()
    assert first["caller_id"] == org["ny"]["e164"]  # nothing above was counted as a call


def test_agent_decides_only_for_their_own_calls_a2(api: Api, org: dict[str, Any]) -> None:
    me, my_key = api.new_user(org["key"])
    assert decide(api, my_key, agent_id=me["id"], to="+12125550100").status_code == 200
    assert decide(api, my_key, agent_id=org["agent"]["id"], to="+12125550100").status_code == 403


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_rotation_stays_even_under_1000_concurrent_decisions_o5(
    api: Api, desk: Desk, other_process: Desk
) -> None:
    """Two desks stand for two API processes: each has its own index, only the database is shared."""
    created = api.new_org("Rotation", "US")
    numbers = buy(api, created["api_key"], "212", 10)
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)

    def one(n: int) -> str:
        answer = callerid.decide_outbound(
            (desk, other_process)[n % 2], owner, agent_id=owner.user_id, to=f"+1212555{n:04d}"
        )
        return answer.number.e164

    with ThreadPoolExecutor(max_workers=16) as pool:
        shown = Counter(pool.map(one, range(1000)))
    assert set(shown) == {n["e164"] for n in numbers}
    assert all(99 <= count <= 101 for count in shown.values()), shown


def test_try_a_call_prints_the_trace_and_records_nothing_o1(
    api: Api, org: dict[str, Any], database_url: str
) -> None:
    from tests.integration.test_cli import run

    key, agent = org["key"], org["agent"]
    code, output = run(
        database_url,
        "decide",
        "outbound",
        "--agent",
        agent["email"],
        "--to",
        "(305) 555-0142",
        NUMBERDESK_API_KEY=key,
    )
    assert code == 0, output
    assert org["sf"]["e164"] in output
    assert "agent" in output
    assert "no_match" in output
    assert "dry run" in output
    api.call("PATCH", "/v1/org", key, json={"daily_cap": 1})
    for _ in range(2):  # a dry run counts nothing against the cap of one call a day
        code, output = run(
            database_url,
            "decide",
            "outbound",
            "--agent",
            agent["id"],
            "--to",
            "+12125550100",
            NUMBERDESK_API_KEY=key,
        )
        assert org["ny"]["e164"] in output
        assert "local_presence" in output
    code, output = run(
        database_url,
        "decide",
        "outbound",
        "--agent",
        agent["id"],
        "--to",
        "+12125550100",
        "--campaign",
        "cmp_nope",
        NUMBERDESK_API_KEY=key,
    )
    assert code == 2
    assert "not_found" in output


def test_try_a_call_with_nothing_eligible_shows_why_o7(api: Api, database_url: str) -> None:
    from tests.integration.test_cli import run

    key = api.new_org()["api_key"]
    agent, _ = api.new_user(key)
    code, output = run(
        database_url,
        "decide",
        "outbound",
        "--agent",
        agent["id"],
        "--to",
        "+12125550100",
        NUMBERDESK_API_KEY=key,
    )
    assert code == 2
    assert "no_caller_id" in output
    assert "the organisation has no default caller ID" in output


def test_the_databases_pick_is_the_number_used_least_today_then_least_recently_o5(
    api: Api, desk: Desk
) -> None:
    """The store's indexed pick against the rule as written (``least_used``), over random use
    (none, yesterday's, today's), a resting number, a cap, and calls counted outside the pool
    (a sticky or requested caller ID)."""
    created = api.new_org("Picks", "US")
    org_id = created["org_id"]
    bought = buy(api, created["api_key"], "212", 8)
    numbers = [Candidate(n["id"], n["e164"], "US", ("212",), "NY", masked=False) for n in bought]
    start = desk.now()
    today = start.date().isoformat()
    midnight = datetime.combine(start.date(), time(), UTC)
    rng = random.Random(5)
    calls = (Attempt(f"call_{n}", created["owner_user_id"], None, "+1212555") for n in count())
    for round_ in range(12):
        cap = rng.choice([None, 3, 4])
        resting = rng.randrange(len(numbers))
        pool = Pool(
            tuple(
                replace(c, rested_until=start + timedelta(hours=1)) if i == resting else c
                for i, c in enumerate(numbers)
            )
        )
        uses = _random_uses(desk, org_id, numbers, rng, start)
        with desk.store.call_path() as tx:
            repo = CallerIdRepo(tx.conn)
            version = tx.orgs.config_version(org_id)
            assert version is not None
            for step in range(6):
                moment = start + timedelta(seconds=step)
                when = When(org_id, moment, today, midnight, cap, version)
                counts = step % 2 == 1  # a dry run's pick counts nothing
                expected = least_used(pool, uses, cap, when.now)
                attempt = next(calls) if counts else None
                taken = repo.pick(f"round:{round_}", pool, when, attempt, "local_presence")
                picked = taken.number_id
                assert picked == (expected.id if expected else None), (round_, step, uses)
                if picked and counts:
                    uses[picked] = Use(uses[picked].calls_today + 1, when.now)
                outside = rng.choice(numbers).id  # a sticky or requested caller ID
                under_cap = cap is None or uses[outside].calls_today < cap
                counted = repo.count_call(outside, when, next(calls), "agent").number_id
                assert (counted == outside) is under_cap
                if under_cap:
                    uses[outside] = Use(uses[outside].calls_today + 1, when.now)


def _random_uses(
    desk: Desk, org_id: str, numbers: list[Candidate], rng: random.Random, now: datetime
) -> dict[str, Use]:
    """Give each number a random use in the database (none, yesterday's, today's); returns
    that use as O5 reads it."""
    uses: dict[str, Use] = {}
    u = number_usage.c
    with desk.store.transaction() as tx:
        for number in numbers:
            ago = rng.choice([None, timedelta(days=1), timedelta(minutes=1)])
            at = now - ago * rng.randint(1, 300) / 300 if ago else None
            day = at.date().isoformat() if at else ""
            calls = rng.randint(1, 3) if at else 0
            tx.conn.execute(
                delete(number_usage).where(u.org_id == org_id, u.number_id == number.id)
            )
            tx.conn.execute(
                insert(number_usage).values(
                    org_id=org_id, number_id=number.id, day=day, calls=calls, last_used_at=at
                )
            )
            today = day == now.date().isoformat()
            uses[number.id] = Use(calls if today else 0, at)
    return uses


def test_a_call_id_sent_twice_is_refused_and_counted_once_o7(api: Api, org: dict[str, Any]) -> None:
    key, agent = org["key"], org["agent"]["id"]
    api.call("PATCH", "/v1/org", key, json={"daily_cap": 2})
    first = decide(api, key, agent_id=agent, to="+12125550100", call_id="pbx-1")
    assert first.json()["caller_id"] == org["ny"]["e164"]
    again = decide(api, key, agent_id=agent, to="+12125550101", call_id="pbx-1")
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "call_exists"
    # The refused retry counted nothing: the New York number still has its second call.
    assert decide(api, key, agent_id=agent, to="+12125550102").json()["step"] == "local_presence"
    assert decide(api, key, agent_id=agent, to="+12125550103").json()["step"] == "agent"
    buy(api, key, "212", 2)  # now a pool of three picks the number
    pooled = decide(api, key, agent_id=agent, to="+12125550104", call_id="pbx-2")
    assert pooled.status_code == 200, pooled.text
    again = decide(api, key, agent_id=agent, to="+12125550105", call_id="pbx-2")
    assert (again.status_code, again.json()["code"]) == (409, "call_exists")
    # The refused retry counted nothing on the pool either: New York is at its cap, the two
    # new numbers have 1 and 0 calls of 2, so three more calls stay local (on the same
    # connection the refusal used), then the agent's caller ID.
    steps = [
        decide(api, key, agent_id=agent, to=f"+1212555020{n}").json()["step"] for n in range(4)
    ]
    assert steps == ["local_presence"] * 3 + ["agent"]


def test_a_decision_inside_a_callers_transaction_is_undone_with_it_o7(api: Api, desk: Desk) -> None:
    """A pool's pick opens and commits a transaction of its own only on the call path's
    autocommit connection; inside a caller's transaction it is part of that transaction."""
    created = api.new_org("Undo", "US")
    buy(api, created["api_key"], "212", 3)
    owner = Actor(created["org_id"], created["owner_user_id"], Role.OWNER)
    callerid.decide_outbound(desk, owner, agent_id=owner.user_id, to="+12125550100")

    undone: list[str] = []

    def decide_then_give_up() -> None:
        with desk.store.transaction():
            answer = callerid.decide_outbound(
                desk, owner, agent_id=owner.user_id, to="+12125550101", call_id="undone"
            )
            undone.append(answer.number.id)
            raise RuntimeError("the caller gives up")

    with pytest.raises(RuntimeError, match="gives up"):
        decide_then_give_up()
    again = callerid.decide_outbound(
        desk, owner, agent_id=owner.user_id, to="+12125550102", call_id="undone"
    )
    # Nothing of the undone decision was kept: its call id is free, and its number was not
    # counted, so it is still the one used least (O5).
    assert (again.call_id, again.number.id) == ("undone", undone[0])


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_connection_lost_under_a_pick_or_a_count_is_unavailable_not_a_crash_o5(
    api: Api, desk: Desk
) -> None:
    """The pick and the count go to the driver's connection directly; when the server dropped
    it, they raise what SQLAlchemy would (which the store turns into a 503), and the next
    decision gets a new connection."""
    created = api.new_org("Outage", "US")
    org_id, agent = created["org_id"], created["owner_user_id"]
    bought = buy(api, created["api_key"], "212", 3)
    pool = Pool(tuple(Candidate(n["id"], n["e164"], "US", ("212",), "NY", False) for n in bought))
    now = desk.now()
    with desk.store.call_path() as tx:
        version = tx.orgs.config_version(org_id)
    assert version is not None
    midnight = datetime.combine(now, time(), UTC)
    when = When(org_id, now, now.date().isoformat(), midnight, None, version)
    attempts = (Attempt(f"call_{n}", agent, None, "+12125550100") for n in count())
    with desk.store.call_path() as tx:  # copies the pool
        taken = CallerIdRepo(tx.conn).pick("lost", pool, when, next(attempts), "local_presence")
        assert taken.number_id

    def pick(repo: CallerIdRepo) -> object:
        return repo.pick("lost", pool, when, next(attempts), "local_presence")

    def count_call(repo: CallerIdRepo) -> object:
        return repo.count_call(bought[0]["id"], when, next(attempts), "agent")

    for lose in (pick, count_call):
        with desk.store.call_path() as tx:
            pid = tx.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with desk.store.engine.connect() as other:
                other.exec_driver_sql(f"SELECT pg_terminate_backend({pid}, 5000)")  # gone on return
            with pytest.raises(OperationalError) as lost:
                lose(CallerIdRepo(tx.conn))
            assert lost.value.connection_invalidated  # the pool will not hand it out again
    answer = callerid.decide_outbound(
        desk, Actor(org_id, agent, Role.OWNER), agent_id=agent, to="+12125550101"
    )
    assert answer.number.id in {n["id"] for n in bought}


def test_a_process_with_an_older_index_decides_on_the_configuration_of_now_o3_o7(
    api: Api, desk: Desk, other_process: Desk, org: dict[str, Any]
) -> None:
    """Another API process built its index before the configuration changed: its next decision
    reads the version first and decides on the new configuration (a new agent, a new default
    caller ID), and what it records is the new answer."""
    key, agent = org["key"], org["agent"]["id"]

    def decide_there(agent_id: str, call_id: str) -> str:  # in the other process
        answer = callerid.decide_outbound(
            other_process, org["owner"], agent_id=agent_id, to="+13055550100", call_id=call_id
        )
        return answer.number.e164

    assert decide_there(agent, "first") == org["sf"]["e164"]  # builds its index
    bare, _ = api.new_user(key)  # not in that index
    assert decide_there(bare["id"], "new-agent") == org["chi"]["e164"]
    moved = api.call("PATCH", "/v1/org", key, json={"default_caller_id": org["ny"]["e164"]})
    assert moved.status_code == 200, moved.text
    assert decide_there(bare["id"], "new-default") == org["ny"]["e164"]
    with desk.store.transaction() as tx:
        shown = tx.conn.execute(
            select(outbound_calls.c.id, outbound_calls.c.caller_id).where(
                outbound_calls.c.id.in_(["new-agent", "new-default"])
            )
        )
        assert dict(shown.all()) == {
            "new-agent": org["chi"]["e164"],
            "new-default": org["ny"]["e164"],
        }


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_calls_arriving_while_the_index_is_rebuilt_wait_for_that_one_build_o3(
    api: Api, desk: Desk, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a configuration change a process rebuilds its index (a minute at 1M numbers): the
    first call builds it and the calls that arrive meanwhile use it, instead of each building
    its own; all of them decide on the new configuration. (On SQLite the calls queue on the
    database's one write lock before they look at the index, so only PostgreSQL can show it.)"""
    key, agent = org["key"], org["agent"]["id"]
    actor = Actor(org["owner"].org_id, agent, Role.AGENT)  # the agent, for their own call

    def try_a_call() -> str:
        answer = callerid.decide_outbound(
            desk, actor, agent_id=agent, to="+13055550100", dry_run=True
        )
        return answer.number.e164

    builds, shown = builds_of_concurrent_calls(monkeypatch, callerid, try_a_call)
    assert (builds, set(shown)) == (1, {org["sf"]["e164"]})  # the first index of the process
    cleared = api.call("PATCH", f"/v1/users/{agent}", key, json={"caller_id": None})
    assert cleared.status_code == 200, cleared.text
    builds, shown = builds_of_concurrent_calls(monkeypatch, callerid, try_a_call)
    assert (builds, set(shown)) == (1, {org["chi"]["e164"]})  # one rebuild for the change


def test_call_path_statements_are_parsed_once_by_the_driver_o5() -> None:
    """psycopg caches how it reads a statement's placeholders only for statements up to
    ``MAX_CACHED_STATEMENT_LENGTH`` characters sent with at most ``MAX_CACHED_STATEMENT_PARAMS``
    values; any other is read again on every decision (0.3 ms of the process's time). Every
    statement an outbound decision sends on PostgreSQL stays under both."""
    from psycopg import _queries as psycopg_queries  # psycopg's own limits, where they live

    sent = [
        *callerid_sql.lock_and_count(),
        on_postgresql(callerid_sql.count_and_record(choose="sticky")),
        on_postgresql(callerid_sql.count_and_record()),
    ]
    for statement, parameters in sent:  # ``db.bound`` sends exactly these parameters
        assert len(statement.encode()) <= psycopg_queries.MAX_CACHED_STATEMENT_LENGTH
        assert len(parameters) <= psycopg_queries.MAX_CACHED_STATEMENT_PARAMS

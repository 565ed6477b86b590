"""Inbound decisions: how fast, in process and over HTTP, from 1k to 1M numbers.

The sibling of ``bench/decisions.py``, whose org it reuses: for each size it loads the same
org (numbers over ten countries' area codes, agents, campaigns, recorded outbound calls, all
with COPY, in its own database ``numberdesk_bench_inbound``), then gives it an inbound
configuration as a contact centre has one:

* numbers routed to an agent (most), to the last agent who called the caller (many; from
  this number or any of ours, some with a fallback), to a queue, a custom destination or an
  external number; some not assigned, 1% forwarding every call (N11), 30% able to take texts;
* company numbers (one in 200, at least 20) with unknown-caller rules: the default rule a
  user, a blast to 2-5 agents or a bridge number, and 0-6 custom rules (office hours,
  evenings, nights across midnight, weekends...), some with a higher call limit;
* agents with presence (60% available, 25% busy, 15% logged out), extensions, work phones,
  voicemail or a not-reachable number, and business hours;
* contacts with primary agents for half the people the org called (8% of their phones
  shared by two contacts, I4), and more contacts up to half the number count;

and a mix of inbound calls and texts: callbacks to the number that called the person (half
of all), strangers calling any number, known and unknown callers on company numbers,
withheld callers, numbers that are not ours. Then it measures

* the pure ``decide()`` of ``domain/inbound.py`` over snapshots built as the service builds
  them (its ``_snapshot`` and the live-call count, I10),
* the full ``decide_inbound`` service call in this process (PostgreSQL included),
* ``POST /v1/decisions/inbound`` with wrk (keep-alive, 2 uvicorn workers on port 8766), and,
  in the same run, ``POST /bench/stub-inbound``: same body and answer shape, no work,

and prints the same figures, summary table and goals as ``bench/decisions.py``. Calls are
admitted against their company number's limit (I10) and never ended by the load, so while
measuring a thread plays the PBX's ``ended``: a call stops counting after about a second.
It prints figures and never asserts timings. Run from the repository root, beside the
outbound benchmark if need be (its own database and port):

    .venv/bin/python bench/inbound.py            # or: make bench (after the outbound one)
    .venv/bin/python bench/inbound.py --quick    # a smoke run (1k and 10k numbers)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import decisions
import psycopg
from decisions import SEED, Figures, OrgData, Result, Wrk
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.domain.company import check_company_settings
from numberdesk.domain.errors import Problem
from numberdesk.domain.inbound import InboundCall, Snapshot, decide
from numberdesk.domain.inbound_input import counts_against_limit, read_caller, read_channel, read_to
from numberdesk.domain.orgs import Actor, Role
from numberdesk.domain.routes import Ring, Route, RouteType, Scope
from numberdesk.services.desk import Desk
from numberdesk.services.inbound import _snapshot as service_snapshot  # as the service builds it
from numberdesk.services.inbound import decide_inbound
from numberdesk.services.inbound_index import InboundIndex, current_index, key_of
from numberdesk.store.db import normalise_url
from numberdesk.store.inbound import InboundRepo
from numberdesk.store.migrate import upgrade

DATABASE = "numberdesk_bench_inbound"
PORT = 8766
PATH = "/v1/decisions/inbound"
STUB = "/bench/stub-inbound"
SCRIPT = "bench/inbound.lua"
HOLD = 1.0  # seconds an admitted call counts against its number's limit while measuring

# What arrives: (share, kind). Callbacks go to the number that called the person.
MIX = (
    (0.45, "callback"),
    (0.05, "callback_text"),
    (0.03, "called_elsewhere"),  # someone we called, on another of our numbers
    (0.15, "company"),
    (0.02, "company_text"),
    (0.25, "stranger"),
    (0.03, "withheld"),
    (0.02, "not_ours"),
)

# Custom rules a company number picks some of (windows in the org's time zone; no overlaps).
RULES = (
    ("Office hours", ["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "blast"),
    ("Evenings", ["mon", "tue", "wed", "thu", "fri"], "17:00", "22:00", "user"),
    ("Nights", ["mon", "tue", "wed", "thu", "fri"], "22:00", "06:00", "number"),
    ("Saturday", ["sat"], "09:00", "14:00", "blast"),
    ("Saturday night", ["sat"], "22:00", "02:00", "user"),
    ("Sunday", ["sun"], "10:00", "16:00", "user"),
)
HOURS = (
    [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}],
    [{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "12:00", "end": "20:00"}],
    [{"days": ["sun", "mon", "tue", "wed", "thu"], "start": "22:00", "end": "06:00"}],
    None,  # always
)


# --- The inbound configuration ---------------------------------------------------------------


@dataclass
class Inbound:
    """What the bench knows of the org's inbound configuration and of who calls in."""

    company: list[str] = field(default_factory=list)  # company numbers (E.164)
    callbacks: list[tuple[str, str]] = field(default_factory=list)  # (caller, our number)
    known: list[str] = field(default_factory=list)  # callers who are contacts
    strangers: list[str] = field(default_factory=list)  # callers nobody here knows
    foreign: list[str] = field(default_factory=list)  # numbers that are not ours
    routes: Counter[str] = field(default_factory=Counter)  # numbers by route type
    seconds: float = 0.0


def _valid_numbers(org: OrgData, count: int, rng: random.Random, avoid: set[str]) -> list[str]:
    """``count`` valid local numbers of the org's areas (as its numbers are spread), none
    of ``avoid`` nor the org's own."""
    live = [i for i, n in enumerate(org.counts) if n > 0]
    weights = [org.areas[i].weight for i in live]
    ours = set(org.e164s)
    found: list[str] = []
    while len(found) < count:
        e164 = decisions.random_number(org.areas[rng.choices(live, weights)[0]], rng)
        if e164 and e164 not in avoid and e164 not in ours:
            avoid.add(e164)
            found.append(e164)
    return found


def _route(rng: random.Random, org: OrgData, queues: list[str], dests: list[str]) -> Route | None:
    """One number's route, of the mix the module docstring describes (None: not assigned)."""
    ring = Ring.WORK_PHONE if rng.random() < 0.2 else Ring.EXTENSION
    roll = rng.random()
    if roll < 0.42:
        return Route(RouteType.AGENT, agent_id=rng.choice(org.agents), ring=ring)
    if roll < 0.77:
        scope = Scope.NUMBER if rng.random() < 0.7 else Scope.ANY
        pick = rng.random()
        fallback = (
            Route(RouteType.AGENT, agent_id=rng.choice(org.agents))
            if pick < 0.5
            else Route(RouteType.QUEUE, queue_id=rng.choice(queues))
            if pick < 0.7
            else Route(RouteType.FORWARD, forward_to=rng.choice(org.callees))
            if pick < 0.8
            else None
        )
        return Route(RouteType.LAST_CALLER, scope=scope, ring=ring, fallback=fallback)
    if roll < 0.83:
        return Route(RouteType.QUEUE, queue_id=rng.choice(queues))
    if roll < 0.86:
        return Route(RouteType.CUSTOM, destination_id=rng.choice(dests))
    if roll < 0.89:
        return Route(RouteType.FORWARD, forward_to=rng.choice(org.callees))
    return None


def _company_settings(rng: random.Random, org: OrgData) -> dict[str, object]:
    """A company number's settings: default rule, 0-6 custom rules, sometimes a higher limit."""

    def rule(action: str) -> dict[str, object]:
        if action == "blast":
            return {"action": "blast", "agent_ids": rng.sample(org.agents, rng.randint(2, 5))}
        if action == "user":
            return {"action": "user", "agent_id": rng.choice(org.agents)}
        return {"action": "number", "number": rng.choice(org.callees)}

    roll = rng.random()
    default = rule("user" if roll < 0.55 else "blast" if roll < 0.95 else "number")
    chosen = [] if rng.random() < 0.3 else rng.sample(RULES, rng.randint(1, len(RULES)))
    custom = [
        {"name": name, "days": days, "start": start, "end": end, **rule(action)}
        for name, days, start, end, action in chosen
    ]
    settings: dict[str, object] = {
        "source": rng.choice(["Website", "Google Ads", "Zillow"]),
        "tag": "inbound-lead",
        "default_rule": default,
        "custom_rules": custom,
    }
    if rng.random() < 0.2:
        settings["max_concurrent_calls"] = 100
    return check_company_settings(settings, country="US", agents=set(org.agents)).to_json()


def configure_inbound(url: str, org: OrgData, size: int, now: datetime) -> Inbound:
    """Give the loaded org its inbound configuration and contacts (COPY, and one UPDATE of
    the numbers), and pick who calls in; bumps the org's config version."""
    started = time.perf_counter()
    rng = random.Random(f"{SEED}:inbound:{size}")
    inbound = Inbound()
    millis = int(now.timestamp() * 1000)
    engine = create_engine(normalise_url(url))
    copy = decisions._copy_rows

    queues = decisions._ids("que", max(3, size // 20_000), millis)
    dests = decisions._ids("dst", max(3, size // 50_000), millis)
    rows: list[tuple[object, ...]] = [
        (org.org_id, q, f"Queue {n}", f"sip:queue{n}@pbx.bench.invalid", now)
        for n, q in enumerate(queues)
    ]
    copy(engine, "COPY queues (org_id, id, name, uri, created_at) FROM STDIN", iter(rows))
    rows = [
        (org.org_id, d, f"Desk {n}", f"sip:desk{n}@pbx.bench.invalid", now)
        for n, d in enumerate(dests)
    ]
    copy(engine, "COPY destinations (org_id, id, name, uri, created_at) FROM STDIN", iter(rows))

    # Agents: presence, phones, voicemail and business hours.
    avoid = set(org.callees)
    phones = iter(_valid_numbers(org, 2 * len(org.agents), rng, avoid))
    agent_rows = []
    for n, agent_id in enumerate(org.agents):
        roll, reach = rng.random(), rng.random()
        agent_rows.append(
            (
                "available" if roll < 0.6 else "busy" if roll < 0.85 else "logged_out",
                f"sip:{1000 + n}@pbx.bench.invalid" if rng.random() < 0.9 else None,
                next(phones) if rng.random() < 0.7 else None,
                f"agent{n}@bench.invalid" if reach < 0.7 else None,
                next(phones) if 0.7 <= reach < 0.9 else None,
                f"https://bench.invalid/greetings/{n}.mp3" if reach < 0.7 else None,
                json.dumps(hours) if (hours := rng.choice(HOURS)) else None,
                org.org_id,
                agent_id,
            )
        )

    # Numbers: a route each (company numbers too), 30% omni, 1% forwarding every call (N11).
    count = len(org.number_ids)
    company = set(rng.sample(range(count), min(count, max(20, size // 200))))
    companies: list[tuple[object, ...]] = []

    def number_rows() -> Iterator[tuple[object, ...]]:
        for i, number_id in enumerate(org.number_ids):
            if i in company:
                ring = Ring.WORK_PHONE if rng.random() < 0.2 else Ring.EXTENSION
                route: Route | None = Route(RouteType.COMPANY, ring=ring)
                settings = _company_settings(rng, org)
                companies.append((org.org_id, number_id, json.dumps(settings), now))
                inbound.company.append(org.e164s[i])
                kind = "omni"
            else:
                route = _route(rng, org, queues, dests)
                kind = "omni" if rng.random() < 0.3 else "voice"
            inbound.routes[route.type.value if route else "not_assigned"] += 1
            forward = rng.choice(org.callees) if rng.random() < 0.01 else None
            text = json.dumps(route.to_json()) if route else None
            yield number_id, kind, text, forward

    raw = engine.raw_connection()
    try:
        conn = cast("psycopg.Connection[Any]", raw.driver_connection)
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            cur.executemany(
                "UPDATE users SET presence = %s, extension = %s, work_phone = %s, "
                "voicemail_email = %s, not_reachable_number = %s, greeting_url = %s, "
                "business_hours = %s::jsonb WHERE org_id = %s AND id = %s",
                agent_rows,
            )
            cur.execute(
                "CREATE TEMP TABLE bench_routes (id text PRIMARY KEY, kind text, route jsonb, "
                "forward_to text) ON COMMIT DROP"
            )
            with cur.copy("COPY bench_routes (id, kind, route, forward_to) FROM STDIN") as rows_in:
                for row in number_rows():
                    rows_in.write_row(row)
            cur.execute(
                "UPDATE numbers n SET kind = b.kind, route = b.route, forward_to = b.forward_to "
                "FROM bench_routes b WHERE n.org_id = %s AND n.id = b.id",
                (org.org_id,),
            )
        conn.commit()
    finally:
        raw.close()
    copy(
        engine,
        "COPY company_numbers (org_id, number_id, settings, updated_at) FROM STDIN",
        iter(companies),
    )

    # Contacts: half the people the org called (8% of phones on two contacts), then more
    # contacts with made-up phones up to half the number count; 1% owned by someone gone.
    people = list(org.callees)
    rng.shuffle(people)
    inbound.known = people[: len(people) // 2]
    contact_rows: list[tuple[object, ...]] = []
    phone_rows: list[tuple[object, ...]] = []

    def contact(e164: str, agent: str | None = None) -> str:
        n = len(contact_rows)
        contact_id = f"con_{millis:012x}{n:012x}"
        if agent is None:
            agent = rng.choice(org.agents) if rng.random() >= 0.01 else "usr_gone"
        created = now - timedelta(seconds=rng.randrange(730 * 86400))
        contact_rows.append(
            (org.org_id, contact_id, f"crm-{n}", f"Contact {n}", agent, "CRM", "[]", created, now)
        )
        phone_rows.append((org.org_id, contact_id, e164))
        return agent

    for e164 in inbound.known:
        agent = contact(e164)
        if rng.random() < 0.08:
            contact(e164, agent if rng.random() < 0.5 else rng.choice(org.agents))
    live = [i for i, n in enumerate(org.counts) if n > 0]
    weights = [org.areas[i].weight for i in live]
    for index in rng.choices(live, weights, k=max(0, size // 2 - len(contact_rows))):
        area = org.areas[index]
        national = area.code + str(rng.randrange(10**area.width)).zfill(area.width)
        contact(f"+{area.calling_code}{national}")
    copy(
        engine,
        "COPY contacts (org_id, id, external_id, name, primary_agent_id, source, tags, "
        "created_at, updated_at) FROM STDIN",
        iter(contact_rows),
    )
    copy(engine, "COPY contact_phones (org_id, contact_id, e164) FROM STDIN", iter(phone_rows))

    # Who calls in: people the org called back to the number that called them, strangers,
    # and numbers that are not ours.
    sample = rng.sample(org.callees, min(5_000, len(org.callees)))
    e164_of = dict(zip(org.number_ids, org.e164s, strict=True))
    with engine.connect() as conn_:
        found = conn_.exec_driver_sql(
            "SELECT callee, number_id FROM outbound_calls WHERE org_id = %(org)s "
            "AND callee = ANY(%(callees)s) ORDER BY callee, at",
            {"org": org.org_id, "callees": sample},
        ).all()
    inbound.callbacks = [(str(c), e164_of[str(n)]) for c, n in found]
    inbound.strangers = _valid_numbers(org, 3_000, rng, avoid)
    inbound.foreign = [c for c, a in zip(org.callees, org.callee_area, strict=True) if a < 0]

    with engine.begin() as conn_:
        conn_.exec_driver_sql(
            "UPDATE orgs SET config_version = config_version + 1 WHERE org_id = %(org)s",
            {"org": org.org_id},
        )
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("VACUUM (ANALYZE) numbers, users, contacts, contact_phones")
        admin.execute("ANALYZE company_numbers, queues, destinations")
    inbound.seconds = time.perf_counter() - started
    print(
        f"  inbound configuration: {len(queues)} queues, {len(dests)} destinations, "
        f"{len(inbound.company):,} company numbers, {len(contact_rows):,} contacts, "
        f"{len(inbound.callbacks):,} callbacks to pick from, in {inbound.seconds:.1f} s",
        flush=True,
    )
    return inbound


# --- What arrives ------------------------------------------------------------------------------


def requests_of(org: OrgData, inbound: Inbound, count: int, seed: str) -> list[dict[str, str]]:
    """Inbound calls and texts of the MIX, as ``POST /v1/decisions/inbound`` bodies (a
    withheld caller: ``anonymous`` or no ``from`` at all)."""
    rng = random.Random(seed)
    shares = [s for s, _ in MIX]
    kinds = [k for _, k in MIX]
    out: list[dict[str, str]] = []
    for kind in rng.choices(kinds, shares, k=count):
        body: dict[str, str]
        if kind.startswith("callback"):
            caller, to = rng.choice(inbound.callbacks)
            body = {"to": to, "from": caller}
        elif kind == "called_elsewhere":
            body = {"to": rng.choice(org.e164s), "from": rng.choice(inbound.callbacks)[0]}
        elif kind.startswith("company"):
            roll = rng.random()
            body = {"to": rng.choice(inbound.company)}
            if roll < 0.5:
                body["from"] = rng.choice(inbound.known)
            elif roll < 0.9 or kind == "company_text":
                body["from"] = rng.choice(inbound.strangers)
            elif roll < 0.95:
                body["from"] = "anonymous"
        elif kind == "stranger":
            body = {"to": rng.choice(org.e164s), "from": rng.choice(inbound.strangers)}
        elif kind == "withheld":
            body = {"to": rng.choice(org.e164s)}
            if rng.random() < 0.5:
                body["from"] = "anonymous"
        else:
            body = {"to": rng.choice(inbound.foreign), "from": rng.choice(inbound.strangers)}
        if kind.endswith("_text"):
            body["channel"] = "sms"
        out.append(body)
    return out


def _share(counts: Counter[str], most: int = 12) -> str:
    total = sum(counts.values()) or 1

    def percent(count: int) -> str:
        share = 100 * count / total
        return f"{share:.0f}%" if share >= 1 else f"{share:.1f}%"

    top = ", ".join(f"{k} {percent(v)}" for k, v in counts.most_common(most))
    rest = len(counts) - most
    return top + (f", {rest} more" if rest > 0 else "")


# --- Measuring ---------------------------------------------------------------------------------


def measure_pure(
    desk: Desk, org: OrgData, inbound: Inbound, count: int, budget: float, rounds: int = 3
) -> tuple[Figures, str]:
    """The pure ``decide()`` over per-call snapshots built as ``decide_inbound`` builds them
    (the index, the caller's last callers, contacts and the agents' presence, the number's
    live calls), one call at a time. The snapshots are built first (not timed); the same
    calls run in up to ``rounds`` rounds while the budget lasts, and the round with the
    lowest p50 is reported, as ``bench/decisions.py`` does."""
    now = desk.now()
    cases: list[tuple[Snapshot, InboundCall]] = []
    with desk.store.transaction() as tx:
        repo = InboundRepo(tx.conn)
        index = current_index(desk, tx, repo, org.org_id)
        for body in requests_of(org, inbound, count, f"{SEED}:inbound:pure"):
            call = InboundCall(
                read_to(body["to"], index.country),
                read_caller(body.get("from"), index.country),
                read_channel(body.get("channel", "voice")),
            )
            number = index.numbers.get(call.to)
            snapshot = service_snapshot(repo, index, org.org_id, number, call, now)
            if number is not None and counts_against_limit(number, call.channel):
                live, _ = repo.live_calls(org.org_id, number.id, now)
                snapshot = replace(snapshot, active_calls=live)
            cases.append((snapshot, call))
    routes: Counter[str] = Counter()
    answers: Counter[str] = Counter()
    for snapshot, call in cases:  # what the decisions are (not timed)
        decision = decide(snapshot, call)
        routes[snapshot.number.route.type.value if snapshot.number else "not ours"] += 1
        answers[f"{decision.action.value}/{decision.reason.value}"] += 1
    best: Figures | None = None
    deadline = time.perf_counter() + budget
    clock = time.perf_counter_ns
    for _ in range(rounds):
        gc.collect()
        decisions.wait_quiet()
        watch = decisions.OtherLoad()
        samples: list[float] = []
        for snapshot, call in cases:
            started = clock()
            decide(snapshot, call)
            samples.append((clock() - started) / 1e9)
            if time.perf_counter() > deadline:
                break
        figures = Figures(samples, others=watch.cores())
        if best is None or figures.p50 < best.p50:
            best = figures
        if time.perf_counter() > deadline:
            break
    assert best is not None
    local = now.astimezone(index.timezone)
    best.note = (
        f"at {local:%a %H:%M} in the org; dialled routes {_share(routes)}\n"
        f"    answers {_share(answers)}"
    )
    return best, best.note


def measure_service(
    desk: Desk, org: OrgData, inbound: Inbound, count: int, budget: float
) -> Figures:
    """The full ``decide_inbound`` (PostgreSQL included, recorded), one call at a time."""
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)
    samples: list[float] = []
    errors = 0
    decisions.wait_quiet()
    watch = decisions.OtherLoad()
    deadline = time.perf_counter() + budget
    for body in requests_of(org, inbound, count, f"{SEED}:inbound:service"):
        started = time.perf_counter()
        try:
            decide_inbound(
                desk,
                actor,
                to=body["to"],
                caller=body.get("from"),
                channel=body.get("channel", "voice"),
            )
        except Problem:
            errors += 1
        samples.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return Figures(samples, errors, others=watch.cores())


class CallEnder:
    """Plays the PBX's ``ended`` events while measuring: every quarter second, the calls
    admitted more than ``HOLD`` s ago stop counting against their number's limit (I10), so a
    company number carries a steady few live calls instead of filling up to its limit and
    answering ``busy`` (capacity) to the rest of the run. Starts with no live calls."""

    def __init__(self, url: str, org_id: str, max_call_minutes: int) -> None:
        self.url, self.org_id, self.minutes = url, org_id, max_call_minutes
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CallEnder:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DELETE FROM inbound_active_calls WHERE org_id = %s", (self.org_id,))
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.wait(0.25):
                conn.execute(
                    "DELETE FROM inbound_active_calls WHERE org_id = %s AND expires_at < "
                    "now() + make_interval(mins => %s) - make_interval(secs => %s)",
                    (self.org_id, self.minutes, HOLD),
                )


def answers_since(url: str, org_id: str, since: datetime) -> Counter[str]:
    """What the recorded inbound decisions since ``since`` answered (action/reason)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT action || '/' || reason, count(*) FROM inbound_calls "
            "WHERE org_id = %s AND at >= %s GROUP BY 1",
            (org_id, since),
        ).fetchall()
    return Counter({str(k): int(v) for k, v in rows})


def measure_http(
    org: OrgData,
    inbound: Inbound,
    url: str,
    args: argparse.Namespace,
    version: int,
    max_call_minutes: int,
) -> tuple[Wrk, Wrk, Counter[str]]:
    """Decisions and the stub over HTTP, with wrk, against 2 uvicorn workers."""
    bodies = [
        json.dumps(b, separators=(",", ":"))
        for b in requests_of(org, inbound, 20_000, f"{SEED}:inbound:http")
    ]
    folder = Path(tempfile.mkdtemp(prefix="numberdesk-bench-inbound-"))
    (folder / "bodies.jsonl").write_text("\n".join(bodies) + "\n")
    env = dict(os.environ, BENCH_BODIES=str(folder / "bodies.jsonl"), BENCH_API_KEY=org.api_key)
    server = decisions.start_server(url)
    try:
        with CallEnder(url, org.org_id, max_call_minutes):
            decisions.warm_up(
                org, [b.encode() for b in bodies], version, path=PATH, index="inbound"
            )
            stub = decisions.run_wrk(STUB, args.http_seconds, args.connections, env, SCRIPT)
            since = datetime.now(UTC)
            found = decisions.run_wrk(PATH, args.http_seconds, args.connections, env, SCRIPT)
        answers = answers_since(url, org.org_id, since)
    finally:
        decisions.stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)
    return found, stub, answers


# --- One size ----------------------------------------------------------------------------------


def run_size(
    size: int,
    calls: int,
    args: argparse.Namespace,
    areas: list[decisions.Area],
    uncovered: dict[str, list[decisions.Area]],
) -> tuple[Result, str]:
    """Load one org of ``size`` numbers, configure its inbound routing and measure."""
    org, url, _, load_seconds = decisions.build_org(size, calls, args, areas, uncovered)
    upgrade(url)  # the tree may have gained a migration meanwhile
    inbound = configure_inbound(url, org, size, datetime.now(UTC))
    load_seconds += inbound.seconds
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT config_version FROM orgs WHERE org_id = %s", (org.org_id,)
        ).fetchone()
        assert row is not None
        version = int(row[0])

    desk = build_desk(Settings(database_url=url))
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)
    started = time.perf_counter()
    first = requests_of(org, inbound, 1, f"{SEED}:inbound:first")[0]
    channel = first.get("channel", "voice")
    decide_inbound(
        desk, actor, to=first["to"], caller=first.get("from"), channel=channel, dry_run=True
    )
    index_seconds = time.perf_counter() - started
    print(f"  first decide_inbound (builds the index): {index_seconds:.2f} s", flush=True)
    index = desk.snapshots[key_of(org.org_id)]
    assert isinstance(index, InboundIndex)
    indexed = Counter(n.route.type.value for n in index.numbers.values())
    if indexed != inbound.routes:
        print(f"  WARNING: the index read other routes than were loaded: {dict(indexed)}")

    pure, note = measure_pure(desk, org, inbound, args.pure_calls, args.budget)
    print(
        f"  pure decide():       {len(pure.samples):>6} calls  {pure.per_second:>10,.0f}/s  "
        f"p50 {pure.p50 * 1e6:8.1f} us  p99 {pure.p99 * 1e6:8.1f} us  "
        f"(others used {pure.others:.2f} cores)\n    {note}",
        flush=True,
    )
    minutes = desk.settings.max_call_minutes
    with CallEnder(url, org.org_id, minutes):
        service = measure_service(desk, org, inbound, args.service_calls, args.budget)
    print(
        f"  decide_inbound():    {len(service.samples):>6} calls  {service.per_second:>10,.0f}/s  "
        f"p50 {service.p50 * 1e3:8.2f} ms  p99 {service.p99 * 1e3:8.2f} ms  "
        f"errors {service.errors}  (others used {service.others:.2f} cores)",
        flush=True,
    )
    desk.store.engine.dispose()
    http_figures = stub = None
    if args.http_seconds > 0:
        try:
            http_figures, stub, answers = measure_http(org, inbound, url, args, version, minutes)
            print(f"  HTTP answers: {_share(answers)}", flush=True)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            print(f"  HTTP measurement failed: {exc}", flush=True)
    if http_figures and stub:
        for name, w in (("HTTP decisions", http_figures), ("HTTP stub", stub)):
            print(
                f"  {name:<15} {w.requests:>7} requests {w.per_second:>9,.0f}/s  "
                f"p50 {w.p50 * 1e3:7.2f} ms  p99 {w.p99 * 1e3:7.2f} ms  "
                f"non-2xx {w.non_2xx}  {w.errors}(others used {w.others:.2f} cores)",
                flush=True,
            )
        print(f"  ratio to the stub: {http_figures.per_second / stub.per_second:.2f}")
    routes = _share(inbound.routes)
    result = Result(
        size,
        calls,
        decisions.area_summary(org.counts),
        float("nan"),  # outbound only: the caller-ID pool
        load_seconds,
        index_seconds,
        pure,
        service,
        http_figures,
        stub,
    )
    return result, f"numbers by route: {routes}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--calls", type=int, default=10_000_000, help="at the largest size")
    parser.add_argument("--http-seconds", type=int, help="10 (3 with --quick); 0: no HTTP")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pure-calls", type=int, default=20_000)
    parser.add_argument("--service-calls", type=int, default=2_000)
    parser.add_argument("--budget", type=float, default=120, help="at most seconds per loop")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=180,
        help="at most seconds to wait for a quiet machine before each measurement",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "NUMBERDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--quick", action="store_true", help="1k and 10k numbers, a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the last size's database")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.calls = "1000,10000", 100_000
        args.pure_calls, args.service_calls = 5_000, 500
    if args.http_seconds is None:
        args.http_seconds = 3 if args.quick else 10
    if args.http_seconds > 0 and shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk, or pass --http-seconds 0")
    decisions.configure(database=DATABASE, port=PORT, quiet_wait=args.quiet_wait)
    sizes = [int(s) for s in args.sizes.split(",")]
    os.chdir(decisions.ROOT)
    started = time.perf_counter()
    areas, uncovered = decisions.plan_areas()
    print(
        f"{len(areas)} area codes the org may cover in {len(decisions.PLAN)} countries, "
        f"{sum(len(a) for a in uncovered.values())} elsewhere for callees "
        f"({time.perf_counter() - started:.1f} s)"
    )
    results: list[Result] = []
    notes: list[str] = []
    for size in sizes:
        calls = args.calls if size == max(sizes) else 10 * size
        result, note = run_size(size, calls, args, areas, uncovered)
        results.append(result)
        notes.append(note)
    if not args.keep:
        base = make_url(normalise_url(args.postgres_url))
        admin = base.set(drivername="postgresql", database="postgres").render_as_string(False)
        decisions.recreate_database(admin, drop_only=True)
    print("\nInbound decisions:")
    decisions.print_table(results)
    print()
    for r, note in zip(results, notes, strict=True):
        print(f"  {r.size:>9,}: {note}")
    decisions.print_goals(results)
    print(f"\nwhole run: {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()

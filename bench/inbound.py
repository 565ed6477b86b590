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

and prints the same figures, summary table and goals as ``bench/decisions.py``, whose shared
part (measuring, the server, wrk, the report, the loop over sizes) it runs with. Calls are
admitted against their company number's limit (I10) and never ended by the load, so while
measuring a thread plays the PBX's ``ended``: a call stops counting after about a second.
It prints figures and never asserts timings. Run from the repository root, beside the
outbound benchmark if need be (its own database and port):

    .venv/bin/python bench/inbound.py            # or: make bench (after the outbound one)
    .venv/bin/python bench/inbound.py --quick    # a smoke run (1k and 10k numbers)
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

import decisions
import psycopg
from decisions import SEED, Figures, OrgData, Plan, Result
from sqlalchemy import create_engine

from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.domain.company import check_company_settings
from numberdesk.domain.inbound import InboundCall, Snapshot, decide
from numberdesk.domain.inbound_input import counts_against_limit, read_caller, read_channel, read_to
from numberdesk.domain.orgs import Actor, Role
from numberdesk.domain.routes import Ring, Route, RouteType, Scope
from numberdesk.services.desk import Desk
from numberdesk.services.inbound import decide_inbound
from numberdesk.services.inbound_index import InboundIndex, current_index, key_of
from numberdesk.services.inbound_snapshot import snapshot_of  # as the service builds it
from numberdesk.store.db import normalise_url
from numberdesk.store.inbound import InboundRepo

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
    version: int = 0  # the org's config version once configured
    seconds: float = 0.0  # how long configuring took


def _valid_numbers(org: OrgData, count: int, rng: random.Random, avoid: set[str]) -> list[str]:
    """``count`` valid local numbers of the org's areas (as its numbers are spread), none
    of ``avoid`` nor the org's own."""
    live, weights = org.weighted_areas()
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
    copy = decisions.copy_rows

    queues = decisions.new_ids("que", max(3, size // 20_000), millis)
    dests = decisions.new_ids("dst", max(3, size // 50_000), millis)
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

    with decisions.bulk_cursor(engine) as cur:
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
        cur.connection.commit()
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
    live, weights = org.weighted_areas()
    for index in rng.choices(live, weights, k=max(0, size // 2 - len(contact_rows))):
        area = org.areas[index]
        contact(f"+{area.calling_code}{decisions.random_national(area, rng)}")
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
        inbound.version = conn_.exec_driver_sql(
            "UPDATE orgs SET config_version = config_version + 1 WHERE org_id = %(org)s "
            "RETURNING config_version",
            {"org": org.org_id},
        ).scalar_one()
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


def measure_pure(desk: Desk, org: OrgData, inbound: Inbound, count: int, budget: float) -> Figures:
    """The pure ``decide()`` over per-call snapshots built as ``decide_inbound`` builds them
    (the index, the caller's last callers, contacts and the agents' presence, the number's
    live calls), one call at a time, best of 3 rounds. The snapshots are built first (not
    timed)."""
    now = desk.now()
    cases: list[tuple[Snapshot, InboundCall]] = []
    with desk.store.transaction() as tx:
        repo = InboundRepo(tx.conn)
        index = desk.snapshots.rebuilt(
            key_of(org.org_id),
            InboundIndex,
            partial(tx.orgs.require, org.org_id),
            partial(current_index, tx, repo),
        )
        for body in requests_of(org, inbound, count, f"{SEED}:inbound:pure"):
            call = InboundCall(
                read_to(body["to"], index.country),
                read_caller(body.get("from"), index.country),
                read_channel(body.get("channel", "voice")),
            )
            number = index.numbers.get(call.to)
            snapshot = snapshot_of(repo, index, org.org_id, number, call, now)
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
    local = now.astimezone(index.timezone)
    note = (
        f"at {local:%a %H:%M} in the org; dialled routes {_share(routes)}\n"
        f"    answers {_share(answers)}"
    )
    return decisions.measure(
        "pure decide():", decide, cases, budget, rounds=3, unit="us", note=note
    )


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


# --- One size ----------------------------------------------------------------------------------


def run_size(size: int, calls: int, args: argparse.Namespace, plan: Plan) -> Result:
    """Load one org of ``size`` numbers, configure its inbound routing and measure."""
    org, url, _, load_seconds = decisions.build_org(size, calls, args, plan)
    inbound = configure_inbound(url, org, size, datetime.now(UTC))
    load_seconds += inbound.seconds

    desk = build_desk(Settings(database_url=url))
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)

    def decide_one(body: dict[str, str], dry_run: bool = False) -> object:
        channel = body.get("channel", "voice")
        caller = body.get("from")
        return decide_inbound(
            desk, actor, to=body["to"], caller=caller, channel=channel, dry_run=dry_run
        )

    first = requests_of(org, inbound, 1, f"{SEED}:inbound:first")[0]
    index_seconds = decisions.time_first("decide_inbound", lambda: decide_one(first, True))
    index = desk.snapshots[key_of(org.org_id)]
    assert isinstance(index, InboundIndex)
    indexed = Counter(n.route.type.value for n in index.numbers.values())
    if indexed != inbound.routes:
        print(f"  WARNING: the index read other routes than were loaded: {dict(indexed)}")

    pure = measure_pure(desk, org, inbound, args.pure_calls, args.budget)
    minutes = desk.settings.max_call_minutes
    bodies = requests_of(org, inbound, args.service_calls, f"{SEED}:inbound:service")
    with CallEnder(url, org.org_id, minutes):
        service = decisions.measure(
            "decide_inbound():", decide_one, [(b,) for b in bodies], args.budget
        )
    desk.close()
    http = decisions.measure_http(
        org,
        url,
        requests_of(org, inbound, 20_000, f"{SEED}:inbound:http"),
        args,
        inbound.version,
        path="/v1/decisions/inbound",
        stub="/bench/stub-inbound",
        index="inbound",
        around=CallEnder(url, org.org_id, minutes),
    )
    if http:
        print(f"  HTTP answers: {_share(answers_since(url, org.org_id, http.started))}", flush=True)
    note = f"numbers by route: {_share(inbound.routes)}"
    return Result(size, calls, load_seconds, index_seconds, pure, service, http, note)


def main(argv: Sequence[str] | None = None) -> None:
    decisions.run(
        run_size,
        doc=__doc__,
        database="numberdesk_bench_inbound",
        port=8766,
        title="Inbound decisions:",
        argv=argv,
    )


if __name__ == "__main__":
    main()

"""Outbound caller-ID decisions: how fast, in process and over HTTP, from 1k to 1M numbers.

For each size this builds a fresh PostgreSQL database with one org: numbers spread over the
area codes of ten countries, agents, campaigns and recorded calls (10 per number; ``--calls``
at the largest size), all bulk-loaded with COPY. Then it measures

* the pure ``decide()`` over the org's built snapshot (what the 200 us goal is about),
* the full ``decide_outbound`` service call in this process (PostgreSQL included),
* ``POST /v1/decisions/outbound`` with wrk (keep-alive, 2 uvicorn workers), and, in the same
  run, ``POST /bench/stub`` of the same app: same body and answer, no work (the ceiling),

and prints decisions/s, p50 and p99 for each, a summary table and the goals met or not.
It prints figures and never asserts timings. Run from the repository root:

    .venv/bin/python bench/decisions.py            # or: make bench
    .venv/bin/python bench/decisions.py --quick    # a smoke run (1k and 10k numbers)

Everything but the outbound part at the end (the org, its load, measuring, the server, wrk
with ``bench/decide.lua``, the report and ``run``, the loop over sizes) is shared with
``bench/inbound.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import phonenumbers
import psycopg
from phonenumbers import PhoneNumberType
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex

from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.domain.areacodes import area_codes, candidate_numbers
from numberdesk.domain.callerid import (
    Call,
    Decision,
    Picked,
    Snapshot,
    Tier,
    Usage,
    answered,
    decide,
    deciding,
)
from numberdesk.domain.compliance import area_names
from numberdesk.domain.errors import Problem
from numberdesk.domain.orgs import Actor, Role
from numberdesk.domain.phones import area_code_of
from numberdesk.services.callerid import decide_outbound
from numberdesk.services.callerid_choice import callee_of
from numberdesk.services.callerid_index import Indexed
from numberdesk.services.desk import Desk
from numberdesk.services.orgs import create_org
from numberdesk.store.db import normalise_url
from numberdesk.store.migrate import upgrade
from numberdesk.store.schema import outbound_calls

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "bench/decide.lua"  # wrk's script, for both benchmarks
WORKERS = 2  # uvicorn workers
TIMEZONE = "America/New_York"
SEED = 20240601

# Set by ``run`` for the benchmark running: its database, its server's port, and at most how
# many seconds to wait for a quiet machine before each measurement (``--quiet-wait``).
DATABASE = "numberdesk_bench"
PORT = 8765
QUIET_WAIT = 180.0


# --- The org's geography -------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """Where the org has numbers: its share of them, how many of the country's area codes
    it covers, and how unevenly they are spread (a Zipf exponent over the area codes)."""

    code: str
    share: float
    take: int | None  # None: every area code of the country
    skew: float
    shuffle: bool  # NANP: no size order in the codes; Europe: shorter codes, bigger cities


# A US contact centre with European operations. NANP area codes were cut for similar
# demand, so their spread is mild (skew 0.5); European plans give big cities short codes
# and villages long ones, so there the org covers the shortest codes, skewed 0.8.
PLAN = (
    Country("US", 0.57, None, 0.5, True),
    Country("CA", 0.07, None, 0.5, True),
    Country("GB", 0.09, 150, 0.8, False),
    Country("DE", 0.09, 300, 0.8, False),
    Country("IT", 0.04, 80, 0.8, False),
    Country("ES", 0.04, 50, 0.8, False),
    Country("NL", 0.03, 40, 0.8, False),
    Country("SE", 0.03, 60, 0.8, False),
    Country("AT", 0.02, 60, 0.8, False),
    Country("FI", 0.02, None, 0.8, False),
)
ELSEWHERE = ("FR", "AU", "IE", "PL", "BE", "CH", "NO", "DK")  # callees, never the org's numbers
LOCAL_TYPES = frozenset({PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# The calls' index by callee, dropped for their COPY and built again after it.
BY_CALLEE = next(i for i in outbound_calls.indexes if i.name == "ix_outbound_calls_org_callee_at")
PER_BLOCK = 500  # numbers the org holds in one thousands-block (carriers assign 1000 at a time)


@dataclass(frozen=True)
class Area:
    """One area code: its country, calling code, subscriber digits after it, and weight."""

    country: str
    code: str
    calling_code: str
    width: int
    weight: float


# The area codes the org covers, weighted; and by country, area codes it does not cover.
Plan = tuple[list[Area], dict[str, list[Area]]]


def _width(country: str, code: str) -> int | None:
    """Subscriber digits after the area code, from a valid local number of it."""
    sample = candidate_numbers(country, code, "voice", 1)
    if not sample:
        return None
    calling_code = str(phonenumbers.country_code_for_region(country))
    return len(sample[0].e164) - 1 - len(calling_code) - len(code)


def plan_areas() -> Plan:
    """The area codes the org covers, weighted, and (by country) area codes it does not."""
    covered: list[Area] = []
    uncovered: dict[str, list[Area]] = {}
    for country in PLAN:
        codes = list(area_codes(country.code))
        if country.shuffle:
            random.Random(f"{SEED}:{country.code}").shuffle(codes)
        else:
            codes.sort(key=lambda c: (len(c), c))
        chosen = codes[: country.take] if country.take else codes
        calling_code = str(phonenumbers.country_code_for_region(country.code))
        areas = [
            Area(country.code, code, calling_code, width, 1 / (rank + 1) ** country.skew)
            for rank, code in enumerate(chosen)
            if (width := _width(country.code, code)) is not None
        ]
        total = sum(a.weight for a in areas)
        covered += [replace(a, weight=country.share * a.weight / total) for a in areas]
        uncovered[country.code] = _areas(country.code, codes[len(chosen) :])
    for code in ELSEWHERE:
        uncovered[code] = _areas(code, list(area_codes(code)))
    return covered, {c: a for c, a in uncovered.items() if a}


def _areas(country: str, codes: list[str], most: int = 40) -> list[Area]:
    """Up to ``most`` of these area codes (seeded pick), for callees outside the org's areas."""
    picked = random.Random(f"{SEED}:elsewhere:{country}").sample(codes, min(most, len(codes)))
    calling_code = str(phonenumbers.country_code_for_region(country))
    areas = []
    for code in picked:
        width = _width(country, code)
        if width is not None:
            areas.append(Area(country, code, calling_code, width, 1.0))
    return areas


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` numbers over the areas in proportion to their weights (largest remainder)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _parsed(calling_code: str, national: str) -> phonenumbers.PhoneNumber:
    zeros = len(national) - len(national.lstrip("0"))
    return phonenumbers.PhoneNumber(
        country_code=int(calling_code),
        national_number=int(national),
        italian_leading_zero=True if zeros else None,
        number_of_leading_zeros=zeros if zeros > 1 else None,
    )


def random_national(area: Area, rng: random.Random) -> str:
    """A national number of the area code's length (not checked: maybe not a valid one)."""
    return area.code + str(rng.randrange(10**area.width)).zfill(area.width)


def is_local(area: Area, national: str) -> bool:
    """Whether the national number is a valid local number of exactly this area code."""
    number = _parsed(area.calling_code, national)
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.region_code_for_number(number) == area.country
        and phonenumbers.number_type(number) in LOCAL_TYPES
        and area_code_of(number) == area.code
    )


def numbers_of_area(area: Area, count: int, rng: random.Random) -> list[str]:
    """``count`` distinct valid national numbers of the area code.

    Long numbers come in thousands-blocks (the org holds up to PER_BLOCK of each block); a
    block is used when its first, a middle and its last number are all valid local numbers of
    the area. Short numbers are drawn and checked one by one."""
    found: list[str] = []
    tries = 0
    if area.width >= 6:
        head = area.width - 3
        blocks: set[str] = set()
        while len(found) < count:
            tries += 1
            if tries > 200_000:
                raise RuntimeError(f"{area.country} {area.code}: no room for {count} numbers")
            block = area.code + str(rng.randrange(10**head)).zfill(head)
            if block in blocks:
                continue
            blocks.add(block)
            if not all(is_local(area, block + end) for end in ("000", "537", "999")):
                continue
            take = min(count - len(found), PER_BLOCK)
            found += [f"{block}{end:03d}" for end in rng.sample(range(1000), take)]
        return found
    seen: set[str] = set()
    while len(found) < count:
        tries += 1
        if tries > 50 * count + 10_000:
            raise RuntimeError(f"{area.country} {area.code}: no room for {count} numbers")
        national = random_national(area, rng)
        if national not in seen:
            seen.add(national)
            if is_local(area, national):
                found.append(national)
    return found


def random_number(area: Area, rng: random.Random) -> str | None:
    """One random valid local E.164 number of the area code (None if none found quickly)."""
    for _ in range(200):
        national = random_national(area, rng)
        if is_local(area, national):
            return f"+{area.calling_code}{national}"
    return None


# --- The org's data --------------------------------------------------------------------------


@dataclass
class OrgData:
    """What the bench knows of the org it loaded."""

    org_id: str
    owner_id: str
    api_key: str
    areas: list[Area]
    counts: list[int]
    number_ids: list[str] = field(default_factory=list)
    e164s: list[str] = field(default_factory=list)
    ranges: list[tuple[int, int]] = field(default_factory=list)  # per area: numbers [a, b)
    agents: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    callees: list[str] = field(default_factory=list)  # valid numbers the bench calls
    callee_area: list[int] = field(default_factory=list)  # index into areas, -1: elsewhere

    def weighted_areas(self) -> tuple[list[int], list[float]]:
        """The areas the org has numbers in (indexes into ``areas``) and their weights."""
        live = [i for i, n in enumerate(self.counts) if n > 0]
        return live, [self.areas[i].weight for i in live]


def new_ids(prefix: str, count: int, millis: int) -> list[str]:
    """``count`` ids of the kind ``prefix`` (num, usr...), unique to a load at ``millis``."""
    return [f"{prefix}_{millis:012x}{i:012x}" for i in range(count)]


def generate_callees(org: OrgData, uncovered: dict[str, list[Area]], count: int) -> None:
    """Callees: 80% in area codes the org covers (as its numbers are spread), 20% elsewhere
    (other area codes of its countries, and countries it has no number in)."""
    rng = random.Random(f"{SEED}:callees:0")  # ":0": the callees of the runs measured so far
    live, weights = org.weighted_areas()
    countries = sorted(uncovered)
    while len(org.callees) < count:
        if rng.random() < 0.8:
            index = rng.choices(live, weights)[0]
            area = org.areas[index]
        else:
            index = -1
            area = rng.choice(uncovered[rng.choice(countries)])
        e164 = random_number(area, rng)
        if e164 is not None:
            org.callees.append(e164)
            org.callee_area.append(index)


@contextlib.contextmanager
def bulk_cursor(engine: Engine) -> Iterator[psycopg.Cursor[Any]]:
    """A cursor on a psycopg connection of ``engine``, ``synchronous_commit`` off, for bulk
    writes (commit with ``cur.connection.commit()``)."""
    raw = engine.raw_connection()
    try:
        conn = cast("psycopg.Connection[Any]", raw.driver_connection)
        with conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
            yield cur
    finally:
        raw.close()


def copy_rows(engine: Engine, sql: str, rows: Iterator[tuple[object, ...]]) -> int:
    """COPY the rows in (``sql``: the COPY ... FROM STDIN) and commit; how many there were."""
    count = 0
    with bulk_cursor(engine) as cur:
        with cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        cur.connection.commit()
    return count


def _timed(what: str, started: float, rows: int) -> None:
    seconds = time.perf_counter() - started
    print(f"  loaded {rows:>11,} {what:<17} in {seconds:7.1f} s", flush=True)


def load(engine: Engine, org: OrgData, size: int, calls: int, now: datetime) -> int:
    """Bulk-load the org's numbers, usage, agents, campaigns and recorded calls (COPY); the
    org's config version after it."""
    rng = random.Random(f"{SEED}:load:{size}")
    millis = int(now.timestamp() * 1000)
    created = now - timedelta(days=90)
    started = time.perf_counter()
    nationals: list[tuple[int, str]] = []  # (area index, national number)
    for index, (area, count) in enumerate(zip(org.areas, org.counts, strict=True)):
        start = len(nationals)
        nationals += [(index, n) for n in numbers_of_area(area, count, rng)]
        org.ranges.append((start, len(nationals)))
    org.number_ids = new_ids("num", len(nationals), millis)
    org.e164s = [f"+{org.areas[i].calling_code}{n}" for i, n in nationals]
    _timed("numbers generated", started, len(nationals))
    check = rng.sample(range(len(nationals)), min(2000, len(nationals)))
    invalid = sum(not is_local(org.areas[nationals[i][0]], nationals[i][1]) for i in check)
    print(f"  re-checked {len(check)} numbers with libphonenumber: {invalid} not valid")

    # Proof of address (C1, C2): one address per country that asks for one in the country,
    # and in Germany, which asks for one inside the area, one per place the geocoder names
    # (an area code may cover several: 621 is Mannheim and Ludwigshafen).
    started = time.perf_counter()
    address_of: dict[tuple[str, str], str] = {}
    number_address: list[str | None] = []
    rows: list[tuple[object, ...]] = []
    for i, (index, _national) in enumerate(nationals):
        country = org.areas[index].country
        if country in ("US", "CA"):
            number_address.append(None)
            continue
        names = area_names(org.e164s[i]) if country == "DE" else ()
        key = (country, names[0] if names else "")
        if key not in address_of:
            address_of[key] = f"adr_{millis:012x}{len(rows):012x}"
            city = key[1] or f"Capital of {country}"
            name = f"Office {country} {city}"
            street, postal = "Main street 1", "10000"
            rows.append((org.org_id, address_of[key], name, street, city, postal, country, now))
        number_address.append(address_of[key])
    copied = copy_rows(
        engine,
        "COPY addresses (org_id, id, name, street, city, postal_code, country, created_at) "
        "FROM STDIN",
        iter(rows),
    )
    _timed("addresses", started, copied)

    # 1% of the numbers suspended and 1% resting after spam reports, as in a live org.
    started = time.perf_counter()
    rested = now + timedelta(days=3)

    def number_rows() -> Iterator[tuple[object, ...]]:
        for i, (index, _national) in enumerate(nationals):
            area = org.areas[index]
            roll = rng.random()
            yield (
                org.org_id,
                org.number_ids[i],
                org.e164s[i],
                area.country,
                area.code,
                "local",
                "voice",
                "purchased",
                "suspended" if roll < 0.01 else "active",
                "unpaid invoice" if roll < 0.01 else None,
                rested if 0.01 <= roll < 0.02 else None,
                "org",
                number_address[i],
                "[]",
                created,
            )

    copied = copy_rows(
        engine,
        "COPY numbers (org_id, id, e164, country, area_code, line_type, kind, origin, status, "
        "status_reason, rested_until, owner_type, address_id, tags, created_at) FROM STDIN",
        number_rows(),
    )
    _timed("numbers", started, copied)

    started = time.perf_counter()
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(TIMEZONE))
    so_far = max(1, int((now - midnight).total_seconds()))

    def usage_rows() -> Iterator[tuple[object, ...]]:
        for number_id in org.number_ids:
            if rng.random() < 0.3:  # not used today (yet): yesterday's count
                yield (org.org_id, number_id, (today - timedelta(days=1)).isoformat(), 9, None)
            else:
                used = midnight + timedelta(seconds=rng.randrange(so_far))
                yield (org.org_id, number_id, today.isoformat(), rng.randint(1, 12), used)

    copied = copy_rows(
        engine,
        "COPY number_usage (org_id, number_id, day, calls, last_used_at) FROM STDIN",
        usage_rows(),
    )
    _timed("number_usage", started, copied)

    # Agents: max(20, N/1000), a third with a (US) caller ID on their card.
    started = time.perf_counter()
    org.agents = new_ids("usr", max(20, size // 1000), millis)
    us = [i for i, a in enumerate(org.areas) if a.country == "US" and org.counts[i]]
    agent_rows = []
    for n, agent_id in enumerate(org.agents):
        caller_id = None
        if n % 3 == 0 and us:
            first, end = org.ranges[rng.choice(us)]
            caller_id = org.e164s[rng.randrange(first, end)]
        agent_rows.append(
            (
                org.org_id,
                agent_id,
                f"Agent {n}",
                f"agent{n}@bench.invalid",
                "agent",
                "available",
                caller_id,
                now,
            )
        )
    copied = copy_rows(
        engine,
        "COPY users (org_id, id, name, email, role, presence, caller_id, created_at) FROM STDIN",
        iter(agent_rows),
    )
    _timed("agents", started, copied)

    # Campaigns: max(5, N/10000), each with 20 numbers from 4 area codes (a regional list).
    started = time.perf_counter()
    org.campaigns = new_ids("cmp", max(5, size // 10_000), millis)
    live, weights = org.weighted_areas()
    members: list[tuple[object, ...]] = []
    for campaign_id in org.campaigns:
        chosen: set[str] = set()
        for index in rng.choices(live, weights, k=4):
            first, end = org.ranges[index]
            picks = rng.sample(range(first, end), min(5, end - first))
            chosen.update(org.number_ids[p] for p in picks)
        members += [(org.org_id, campaign_id, number_id) for number_id in sorted(chosen)]
    campaign_rows = [
        (org.org_id, c, f"Campaign {n}", True, now) for n, c in enumerate(org.campaigns)
    ]
    copied = copy_rows(
        engine,
        "COPY campaigns (org_id, id, name, sticky, created_at) FROM STDIN",
        iter(campaign_rows),
    )
    copied += copy_rows(
        engine,
        "COPY campaign_numbers (org_id, campaign_id, number_id) FROM STDIN",
        iter(members),
    )
    _timed("campaigns", started, copied)

    started = time.perf_counter()
    load_calls(engine, org, calls, now, rng)
    _timed("outbound_calls", started, calls)

    started = time.perf_counter()
    default = org.e164s[org.ranges[us[0]][0]] if us else org.e164s[0]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))  # as autovacuum leaves calls of days ago
    with engine.begin() as conn:
        version = conn.execute(
            text(
                "UPDATE orgs SET default_caller_id = :default, "
                "config_version = config_version + 1 WHERE org_id = :org "
                "RETURNING config_version"
            ),
            {"default": default, "org": org.org_id},
        ).scalar_one()
    _timed("VACUUM (ANALYZE)", started, 0)
    return int(version)


def load_calls(engine: Engine, org: OrgData, calls: int, now: datetime, rng: random.Random) -> None:
    """Recorded calls over the last 30 days, streamed to COPY in chunks. The indexes are built
    after the load, as a restore does. Callees: the bench's own (so sticky caller IDs exist)
    and made-up numbers of the same areas, about 4 calls per callee."""
    synthetic = max(0, calls // 4 - len(org.callees))
    live, weights = org.weighted_areas()
    people = list(zip(org.callees, org.callee_area, strict=True))
    for index in rng.choices(live, weights, k=synthetic):
        area = org.areas[index]
        people.append((f"+{area.calling_code}{random_national(area, rng)}", index))
    stamps = [
        (now - timedelta(seconds=rng.randrange(30 * 86400))).isoformat() for _ in range(100_000)
    ]
    agents, campaigns, ids, e164s = org.agents, org.campaigns, org.number_ids, org.e164s
    ranges = org.ranges
    with bulk_cursor(engine) as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("ALTER TABLE outbound_calls DROP CONSTRAINT pk_outbound_calls")
        cur.execute(f"DROP INDEX {BY_CALLEE.name}")
        cur.connection.commit()
        started = time.perf_counter()
        with cur.copy(
            "COPY outbound_calls (org_id, id, at, agent_id, campaign_id, number_id, "
            "caller_id, callee, step) FROM STDIN"
        ) as copy:
            chunk = 50_000
            for first in range(0, calls, chunk):
                k = min(chunk, calls - first)
                lines = []
                for n, (callee, index), at, agent, roll in zip(
                    range(first, first + k),
                    rng.choices(people, k=k),
                    rng.choices(stamps, k=k),
                    rng.choices(agents, k=k),
                    [rng.random() for _ in range(k)],
                    strict=True,
                ):
                    if index >= 0:
                        low, high = ranges[index]
                        number = rng.randrange(low, high)
                        step = "local_presence"
                    else:
                        number = rng.randrange(len(ids))
                        step = "organisation"
                    campaign = rng.choice(campaigns) if roll < 0.3 else "\\N"
                    lines.append(
                        f"{org.org_id}\tcall_{n:016x}\t{at}\t{agent}\t{campaign}\t"
                        f"{ids[number]}\t{e164s[number]}\t{callee}\t{step}\n"
                    )
                copy.write("".join(lines))
        cur.connection.commit()
        print(f"    COPY of calls {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        cur.execute(
            "ALTER TABLE outbound_calls ADD CONSTRAINT pk_outbound_calls PRIMARY KEY (org_id, id)"
        )
        cur.execute(str(CreateIndex(BY_CALLEE).compile(dialect=engine.dialect)))
        cur.connection.commit()
        print(f"    indexes of calls {time.perf_counter() - started:.1f} s", flush=True)


# --- Measuring ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """Latencies of one way of deciding, in seconds."""

    samples: list[float]
    errors: int
    others: float  # cores other processes used meanwhile

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return self.quantile(0.50)

    @property
    def p99(self) -> float:
        return self.quantile(0.99)

    @property
    def per_second(self) -> float:
        """Decisions per second, one after the other on one core."""
        total = sum(self.samples)
        return len(self.samples) / total if total else float("nan")


@dataclass
class Wrk:
    """What wrk measured."""

    per_second: float
    p50: float
    p99: float
    requests: int
    non_2xx: int
    errors: str
    others: float  # cores other processes used meanwhile
    split: list[int]  # wrk's connections per server process


@dataclass
class Http:
    """The decisions, the stub and the stub with one round trip over HTTP, and when the
    decisions' run began."""

    decisions: Wrk
    stub: Wrk
    round_trip: Wrk  # the stub plus one database round trip
    started: datetime

    @property
    def ratio(self) -> float:
        return self.decisions.per_second / self.stub.per_second


@dataclass
class Result:
    """Every figure of one size, and a line about its org for the summary."""

    size: int
    calls: int
    load_seconds: float
    index_seconds: float
    pure: Figures
    service: Figures
    http: Http | None
    note: str


def time_first(name: str, first: Callable[[], object]) -> float:
    """Seconds of the org's first decision, which builds its index; says so."""
    started = time.perf_counter()
    first()
    seconds = time.perf_counter() - started
    print(f"  first {name} (builds the index): {seconds:.2f} s", flush=True)
    return seconds


def measure(
    label: str,
    run_one: Callable[..., object],
    cases: Sequence[tuple[Any, ...]],
    budget: float,
    *,
    rounds: int = 1,
    unit: str = "ms",
    note: str = "",
) -> Figures:
    """``run_one(*case)`` for each case, one call at a time (a Problem counts as an error);
    prints the figures (in ``unit``, us or ms), then ``note``.

    The same calls run in up to ``rounds`` rounds while the budget (seconds) lasts; the round
    with the lowest p50 is reported, the one least disturbed by the rest of the machine."""
    best: Figures | None = None
    deadline = time.perf_counter() + budget
    clock = time.perf_counter_ns
    for _ in range(rounds):
        gc.collect()
        wait_quiet()
        watch = OtherLoad()
        samples: list[float] = []
        errors = 0
        for case in cases:
            started = clock()
            try:
                run_one(*case)
            except Problem:
                errors += 1
            samples.append((clock() - started) / 1e9)
            if time.perf_counter() > deadline:
                break
        figures = Figures(samples, errors, watch.cores())
        if best is None or figures.p50 < best.p50:
            best = figures
        if time.perf_counter() > deadline:
            break
    assert best is not None
    scale, digits = {"us": (1e6, 1), "ms": (1e3, 2)}[unit]
    print(
        f"  {label:<21}{len(best.samples):>6} calls  {best.per_second:>10,.0f}/s  "
        f"p50 {best.p50 * scale:8.{digits}f} {unit}  p99 {best.p99 * scale:8.{digits}f} {unit}  "
        f"errors {best.errors}  (others used {best.others:.2f} cores)"
        + (f"\n    {note}" if note else ""),
        flush=True,
    )
    return best


# --- Other load on the machine ---------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _busy_ticks() -> int:
    """CPU ticks spent busy on every core since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return user + nice + system + irq + softirq + steal


def _our_ticks() -> dict[int, int]:
    """CPU ticks of the benchmark's own processes: this one, its descendants (uvicorn and its
    workers, wrk) and the PostgreSQL backends connected to its database."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    backends: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        pid, rest = int(entry.name), stat.rsplit(")", 1)[1].split()
        parents[pid], ticks[pid] = int(rest[1]), int(rest[11]) + int(rest[12])
        if f" {DATABASE} ".encode() in command:
            backends.add(pid)
    me = os.getpid()

    def ours(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            if pid == me:
                return True
            pid, seen = parents.get(pid, 0), seen + 1
        return False

    return {pid: t for pid, t in ticks.items() if pid in backends or ours(pid)}


class OtherLoad:
    """How many cores other processes (other people's tests, say) used while we measured:
    all busy CPU time of the machine minus the benchmark's own processes'."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.busy = _busy_ticks()
        self.ours = _our_ticks()

    def cores(self) -> float:
        """Cores used by other processes since this watch started."""
        elapsed = time.perf_counter() - self.started
        busy, ours = _busy_ticks() - self.busy, _our_ticks()
        mine = sum(t - self.ours.get(pid, 0) for pid, t in ours.items())
        return max(0.0, (busy - mine) / TICKS / elapsed) if elapsed > 0 else 0.0


def wait_quiet() -> None:
    """Wait (at most ``QUIET_WAIT`` s) for a 2 s window in which other processes use < 0.15
    cores, so their load disturbs the figures less; say so if it never came."""
    started = time.perf_counter()
    while True:
        watch = OtherLoad()
        time.sleep(2)
        load = watch.cores()
        if load < 0.15:
            return
        if time.perf_counter() - started > QUIET_WAIT:
            print(f"  (the machine stayed busy: others use {load:.2f} cores; measuring anyway)")
            return


# --- HTTP --------------------------------------------------------------------------------------


def post(conn: http.client.HTTPConnection, path: str, body: bytes, key: str) -> int:
    """POST ``body`` (JSON) to ``path`` with the API key ``key``; the answer's status."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


def _state(index: str) -> tuple[int, dict[str, int]]:
    """The answering worker's pid and its indexes' versions by org (``indexed``: caller ID,
    ``inbound``: inbound routing)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    try:
        conn.request("GET", "/bench/state")
        payload = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    return int(payload["pid"]), {str(k): int(v) for k, v in payload[index].items()}


def start_server(database_url: str) -> subprocess.Popen[bytes]:
    """uvicorn with ``WORKERS`` workers of the bench's app on this org's database; waits for
    /healthz. Migrates first: the tree may have gained a migration since the database was
    made."""
    upgrade(database_url)
    server = launch_server(database_url, "bench.app:make", WORKERS)
    try:
        answered_200(server, "/healthz", within=120)
    except RuntimeError:
        stop_server(server)
        raise
    return server


def launch_server(database_url: str, app: str, workers: int, **env: str) -> subprocess.Popen[bytes]:
    """uvicorn serving the factory ``app`` with ``workers`` workers on ``PORT``, on this
    database, with ``env`` added to the environment (no waiting: see ``answered_200``)."""
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    command = [uvicorn, app, "--factory", "--workers", str(workers), "--port", str(PORT)]
    return launch([*command, "--log-level", "warning"], database_url, **env)


def launch(command: list[str], database_url: str, **env: str) -> subprocess.Popen[bytes]:
    """``command`` (a server) in a process group of its own, on this database, with ``env``
    added to the environment (``stop_server`` stops the group)."""
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=dict(os.environ, NUMBERDESK_DATABASE_URL=database_url, **env),
        start_new_session=True,
    )


def answered_200(server: subprocess.Popen[bytes], path: str, within: float) -> float:
    """When (``perf_counter``) the server we started first answered ``GET path`` with 200,
    asked every 0.1 s; RuntimeError when it stops first or has not within ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped with {server.returncode}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return time.perf_counter()
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer {path} in {within:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop the uvicorn we started (its own process group) and wait for it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def warm_up(org: OrgData, bodies: list[bytes], version: int, path: str, index: str) -> None:
    """Build the index in every worker, then settle: one decision at a time on a new
    connection each (so a worker builds its index once, not once per concurrent request)
    until every worker reports the org's index (``index`` of ``/bench/state``) at
    ``version``; then, on 8 connections, every body once (the first decision over a pool
    copies its numbers, once per configuration, O5) and 3 s more. Decisions are posted to
    ``path``."""
    rng = random.Random(f"{SEED}:warm-up")
    codes: Counter[int] = Counter()
    started = time.perf_counter()
    ready: dict[int, int] = {}
    while list(ready.values()).count(version) < WORKERS:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=3600)
        codes[post(conn, path, rng.choice(bodies), org.api_key)] += 1
        conn.close()
        with contextlib.suppress(OSError, ValueError, KeyError):
            pid, indexed = _state(index)
            ready[pid] = indexed.get(org.org_id, -1)
        if time.perf_counter() - started > 3600:
            raise RuntimeError(f"the workers did not build their index in an hour: {ready}")
    built = time.perf_counter() - started

    stop = threading.Event()
    latencies: list[float] = []
    unsent = list(bodies)  # each body once first: every pool it reads is then copied (O5)

    def send(seed: int) -> None:
        pick = random.Random(seed)
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=600)
            for _ in range(50):
                if stop.is_set():
                    break
                began = time.perf_counter()
                try:
                    body = unsent.pop()
                except IndexError:  # every body was sent once
                    body = pick.choice(bodies)
                codes[post(conn, path, body, org.api_key)] += 1
                latencies.append(time.perf_counter() - began)
            conn.close()

    threads = [threading.Thread(target=send, args=(n,), daemon=True) for n in range(8)]
    for thread in threads:
        thread.start()
    while unsent:
        time.sleep(0.1)
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    settled = sorted(latencies[-200:]) or [float("nan")]
    print(
        f"  warm-up: both workers built the index after {built:.1f} s; "
        f"then {len(latencies)} decisions on 8 connections (every body once, then 3 s); "
        f"answers {dict(codes)}, "
        f"last 200 p50 {settled[len(settled) // 2] * 1e3:.1f} ms",
        flush=True,
    )


_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def _seconds(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not found:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(found[1]) * _UNITS[found[2]]


def connections_per_worker() -> list[int]:
    """How many of wrk's connections each server process holds (``ss``), most first; empty
    when ``ss`` (iproute2) is missing."""
    if shutil.which("ss") is None:
        return []
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{PORT} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return sorted(Counter(re.findall(r"pid=(\d+)", out)).values(), reverse=True)


def run_wrk(path: str, seconds: int, connections: int, env: dict[str, str]) -> Wrk:
    """wrk -t2 -c<connections> with ``SCRIPT`` against ``path``. The workers share one
    listening socket and whichever wakes first may accept every connection, leaving the other
    idle (half the throughput): a run whose split leaves a worker under a quarter of the
    connections is stopped and started again, up to 5 times."""
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--latency", "--timeout", "60s", "-s", SCRIPT, f"http://127.0.0.1:{PORT}"]
    command += ["--", path]
    for attempt in range(5):
        wait_quiet()
        watch = OtherLoad()
        wrk = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        time.sleep(min(1.0, seconds / 3))
        split = connections_per_worker()
        unknown = not split or connections < WORKERS  # no ss, or a worker must go without
        balanced = unknown or (len(split) == WORKERS and min(split) * 4 >= connections)
        if balanced or attempt == 4:
            break
        wrk.kill()
        wrk.wait()
        print(f"  (connections per worker {split}: started again)", flush=True)
    out, _ = wrk.communicate()
    if wrk.returncode:
        raise subprocess.CalledProcessError(wrk.returncode, command, out)
    others = watch.cores()
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    per_second = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if not (per_second and requests and "50" in latency and "99" in latency):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return Wrk(
        float(per_second[1]),
        _seconds(latency["50"]),
        _seconds(latency["99"]),
        int(requests[1]),
        int(non_2xx[1]) if non_2xx else 0,
        errors[1] if errors else "",
        others,
        split,
    )


def measure_http(
    org: OrgData,
    url: str,
    bodies: Sequence[dict[str, str]],
    args: argparse.Namespace,
    version: int,
    *,
    path: str,
    stub: str,
    index: str,
    around: AbstractContextManager[object] | None = None,
) -> Http | None:
    """The stub (``stub``), then the decisions (``path``) over HTTP, with wrk, against the
    uvicorn workers once they warmed up the org's ``index`` at ``version``, all inside
    ``around``; prints the figures. None when ``--http-seconds`` is 0 or it failed."""
    if args.http_seconds <= 0:
        return None
    lines = [json.dumps(b, separators=(",", ":")) for b in bodies]
    folder = Path(tempfile.mkdtemp(prefix="numberdesk-bench-"))
    (folder / "bodies.jsonl").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, BENCH_BODIES=str(folder / "bodies.jsonl"), BENCH_API_KEY=org.api_key)
    try:
        server = start_server(url)
        try:
            with around or contextlib.nullcontext():
                warm_up(org, [line.encode() for line in lines], version, path, index)
                stub_figures = run_wrk(stub, args.http_seconds, args.connections, env)
                trip_figures = run_wrk(
                    f"{stub}-round-trip", args.http_seconds, args.connections, env
                )
                started = datetime.now(UTC)
                figures = run_wrk(path, args.http_seconds, args.connections, env)
        finally:
            stop_server(server)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        print(f"  HTTP measurement failed: {exc}", flush=True)
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = Http(figures, stub_figures, trip_figures, started)
    for name, w in (
        ("HTTP decisions", figures),
        ("HTTP stub", stub_figures),
        ("stub+round trip", trip_figures),
    ):
        print(
            f"  {name:<15} {w.requests:>7} requests {w.per_second:>9,.0f}/s  "
            f"p50 {w.p50 * 1e3:7.2f} ms  p99 {w.p99 * 1e3:7.2f} ms  "
            f"non-2xx {w.non_2xx}  {w.errors}(connections per worker {w.split}, "
            f"others used {w.others:.2f} cores)",
            flush=True,
        )
    print(f"  ratio to the stub: {result.ratio:.2f}")
    return result


# --- One size ----------------------------------------------------------------------------------


def database_url(postgres_url: str, database: str) -> str:
    """The URL of ``database`` on the server of ``postgres_url``, for psycopg."""
    base = make_url(normalise_url(postgres_url))
    return base.set(drivername="postgresql", database=database).render_as_string(False)


def recreate_database(postgres_url: str, drop_only: bool = False) -> None:
    """Drop ``DATABASE`` (and create it again unless ``drop_only``)."""
    with psycopg.connect(database_url(postgres_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DATABASE}")


def area_summary(counts: list[int]) -> str:
    """How many numbers each covered area code has: min / median / mean / p90 / max."""
    held = sorted(c for c in counts if c)
    if not held:
        return "no numbers"
    mean = sum(held) / len(held)
    median, p90 = held[len(held) // 2], held[min(len(held) - 1, int(0.9 * len(held)))]
    return (
        f"{len(held)} area codes; per area code min {held[0]}, median {median}, "
        f"mean {mean:.0f}, p90 {p90}, max {held[-1]}"
    )


def build_org(
    size: int, calls: int, args: argparse.Namespace, plan: Plan
) -> tuple[OrgData, str, int, float]:
    """A fresh database ``DATABASE`` with one org of ``size`` numbers, bulk-loaded: the org,
    the database's URL, the org's config version, and the seconds the load took."""
    areas, uncovered = plan
    print(f"\n=== {size:,} numbers, {calls:,} recorded calls ===", flush=True)
    url = database_url(args.postgres_url, DATABASE)
    recreate_database(args.postgres_url)
    started = time.perf_counter()
    upgrade(url)
    desk = build_desk(Settings(database_url=url))
    new = create_org(desk, name="Bench contact centre", country="US", timezone=TIMEZONE)
    desk.close()
    counts = allocate(size, [a.weight for a in areas])
    org = OrgData(new.org.org_id, new.owner.id, new.api_key, areas, counts)
    print(f"  {area_summary(counts)}", flush=True)
    engine = create_engine(normalise_url(url))
    generate_callees(org, uncovered, 20_000 if not args.quick else 5_000)
    version = load(engine, org, size, calls, datetime.now(UTC))
    engine.dispose()
    load_seconds = time.perf_counter() - started
    print(f"  load: {load_seconds:.1f} s in all", flush=True)
    return org, url, version, load_seconds


# --- Report ------------------------------------------------------------------------------------


def print_summary(results: list[Result], title: str = "") -> None:
    """The title if any, one table, each size's note, then the goals."""
    if title:
        print(f"\n{title}")
    print_table(results)
    print()
    for r in results:
        print(f"  {r.size:>9,}: {r.note}")
    print_goals(results)


def print_table(results: list[Result]) -> None:
    """The figures of every size, one row each (markdown)."""
    head = (
        "| numbers | calls | load s | index s | pure p50 us | pure p99 us | pure dec/s "
        "| svc p50 ms | svc p99 ms | HTTP dec/s | HTTP p50 ms | HTTP p99 ms | stub dec/s "
        "| ratio | stub+trip dec/s | others' cores |"
    )
    print("\n" + head)
    print("|" + "|".join(["---:"] * 16) + "|")
    for r in results:
        others = [r.pure.others, r.service.others]
        http_cells = "- | - | - | - | - | -"
        if r.http:
            h, s, t = r.http.decisions, r.http.stub, r.http.round_trip
            http_cells = (
                f"{h.per_second:,.0f} | {h.p50 * 1e3:.2f} | {h.p99 * 1e3:.2f} | "
                f"{s.per_second:,.0f} | {r.http.ratio:.2f} | {t.per_second:,.0f}"
            )
            others += [h.others, s.others, t.others]
        print(
            f"| {r.size:,} | {r.calls:,} | {r.load_seconds:.0f} | {r.index_seconds:.1f} | "
            f"{r.pure.p50 * 1e6:.1f} | {r.pure.p99 * 1e6:.1f} | {r.pure.per_second:,.0f} | "
            f"{r.service.p50 * 1e3:.2f} | {r.service.p99 * 1e3:.2f} | {http_cells} | {max(others):.2f} |"
        )


def print_goals(results: list[Result]) -> None:
    """The goals, met or not: in-process p99 and p50 growth, and HTTP at every size."""

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    first, last = results[0], results[-1]
    print("\nGoals (at the largest size measured):")
    print(
        f"  in-process p99 <= 200 us at {last.size:,} numbers: {last.pure.p99 * 1e6:.1f} us "
        f"-> {verdict(last.pure.p99 <= 200e-6)}"
    )
    growth = last.pure.p50 / first.pure.p50
    print(
        f"  p50 grows <= 1.2x from {first.size:,} to {last.size:,}: {growth:.2f}x "
        f"-> {verdict(growth <= 1.2)}"
    )
    for r in results:
        if not r.http:
            continue
        h, ratio = r.http.decisions, r.http.ratio
        print(
            f"  HTTP at {r.size:,}: {h.per_second:,.0f}/s (>= 2,500: {verdict(h.per_second >= 2500)}), "
            f"p99 {h.p99 * 1e3:.2f} ms (<= 10 ms: {verdict(h.p99 <= 0.010)}), "
            f"{ratio:.2f} of the stub (>= 0.6: {verdict(ratio >= 0.6)}); "
            f"the stub with one database round trip: {r.http.round_trip.per_second:,.0f}/s, "
            f"{r.http.round_trip.per_second / r.http.stub.per_second:.2f} of the stub"
        )


# --- A run: every size -------------------------------------------------------------------------

RunSize = Callable[[int, int, argparse.Namespace, Plan], Result]


def parse_args(description: str | None, argv: Sequence[str] | None) -> argparse.Namespace:
    """The options both benchmarks take, ``--quick``'s and ``--http-seconds``' defaults
    applied; exits if wrk is needed and missing."""
    parser = argparse.ArgumentParser(description=description)
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
    return args


def run(
    run_size: RunSize,
    *,
    doc: str | None,
    database: str,
    port: int,
    title: str = "",
    argv: Sequence[str] | None = None,
) -> None:
    """A benchmark from the command line: ``run_size`` for each size (with 10 recorded calls
    per number, ``--calls`` at the largest) in its own ``database``, its server on ``port``;
    then the summary under ``title``. ``doc``: the module's docstring, for ``--help``."""
    global DATABASE, PORT, QUIET_WAIT
    args = parse_args(doc.split("\n\n")[0] if doc else None, argv)
    DATABASE, PORT, QUIET_WAIT = database, port, args.quiet_wait
    sizes = [int(s) for s in args.sizes.split(",")]
    os.chdir(ROOT)
    started = time.perf_counter()
    plan = plan_areas()
    areas, uncovered = plan
    print(
        f"{len(areas)} area codes the org may cover in {len(PLAN)} countries, "
        f"{sum(len(a) for a in uncovered.values())} elsewhere for callees "
        f"({time.perf_counter() - started:.1f} s)"
    )
    results = []
    for size in sizes:
        calls = args.calls if size == max(sizes) else 10 * size
        results.append(run_size(size, calls, args, plan))
    if not args.keep:
        recreate_database(args.postgres_url, drop_only=True)
    print_summary(results, title)
    print(f"\nwhole run: {(time.perf_counter() - started) / 60:.1f} min")


# --- Outbound caller ID ------------------------------------------------------------------------


def requests_of(org: OrgData, count: int, seed: str) -> list[tuple[str, str, str | None]]:
    """(agent, callee, campaign or None): random agents, a campaign on 30% of the calls."""
    rng = random.Random(seed)
    return [
        (
            rng.choice(org.agents),
            rng.choice(org.callees),
            rng.choice(org.campaigns) if rng.random() < 0.3 else None,
        )
        for _ in range(count)
    ]


def measure_pure(desk: Desk, org: OrgData, count: int, budget: float) -> tuple[Figures, float]:
    """The pure ``decide()`` over the built snapshot, one call at a time, empty usage (a pool
    that asks for its pick is answered and the decision goes on), best of 3 rounds; and the
    mean size of the pool that chose."""
    indexed = desk.snapshots[org.org_id]
    assert isinstance(indexed, Indexed)
    snapshot = indexed.snapshot
    now = desk.now()
    usage = Usage()
    calls = [
        Call(
            snapshot.agents[agent],
            callee_of(to, indexed.country, nearby=True),
            snapshot.campaigns[campaign] if campaign else None,
        )
        for agent, to, campaign in requests_of(org, count, f"{SEED}:pure")
    ]
    cases = [(snapshot, usage, call, now) for call in calls]
    pools: list[int] = []
    steps: Counter[str] = Counter()
    for case in cases:  # what the decisions are (not timed)
        asking = decide(*case)  # a pool of several asks for its pick; one number does not
        pools.append(
            len(asking.asks.pool.usable) if asking.asks else int(asking.number is not None)
        )
        steps[str(decide_with_pick(*case).step or "refused")] += 1
    unusable = Counter(
        " ".join(c.unusable.split()[:2]) if c.unusable else "usable"
        for c in snapshot.numbers.values()
    )
    rested = sum(1 for c in snapshot.numbers.values() if c.rested_until and c.rested_until > now)
    pool = sum(pools) / len(pools)
    note = (
        f"steps {dict(steps.most_common())}; pool size mean {pool:.0f}, max {max(pools)}; "
        f"numbers {dict(unusable)}, resting {rested}"
    )
    figures = measure(
        "pure decide():", decide_with_pick, cases, budget, rounds=3, unit="us", note=note
    )
    return figures, pool


def decide_with_pick(snapshot: Snapshot, usage: Usage, call: Call, now: datetime) -> Decision:
    """The pure work of one decision: ``deciding``, each pool that asks answered with its
    first number, as the database would answer with its pick."""
    return answered(deciding(snapshot, usage, call, now), first_number)


def first_number(tier: Tier) -> Picked:
    """A pool's pick as the benchmark stands it in: its first number."""
    return Picked(tier.pool.usable[0].id)


def run_size(size: int, calls: int, args: argparse.Namespace, plan: Plan) -> Result:
    """Load one org of ``size`` numbers and measure its outbound decisions."""
    org, url, version, load_seconds = build_org(size, calls, args, plan)
    desk = build_desk(Settings(database_url=url))
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)

    def decide_one(agent: str, to: str, campaign: str | None) -> object:
        return decide_outbound(desk, actor, agent_id=agent, to=to, campaign_id=campaign)

    index_seconds = time_first(
        "decide_outbound", lambda: decide_one(org.agents[0], org.callees[0], None)
    )
    pure, pool = measure_pure(desk, org, args.pure_calls, args.budget)
    service_calls = requests_of(org, args.service_calls, f"{SEED}:service")
    # Best of 2 rounds over the same calls: the first copies each pool it touches (O5).
    service = measure("decide_outbound():", decide_one, service_calls, args.budget, rounds=2)
    desk.close()
    bodies = [
        {"agent_id": a, "to": t} | ({"campaign_id": c} if c else {})
        for a, t, c in requests_of(org, 20_000, f"{SEED}:http")
    ]
    http = measure_http(
        org,
        url,
        bodies,
        args,
        version,
        path="/v1/decisions/outbound",
        stub="/bench/stub",
        index="indexed",
    )
    note = f"{area_summary(org.counts)}; a decision's pool {pool:.0f} numbers on average"
    return Result(size, calls, load_seconds, index_seconds, pure, service, http, note)


def main(argv: Sequence[str] | None = None) -> None:
    run(run_size, doc=__doc__, database="numberdesk_bench", port=8765, argv=argv)


if __name__ == "__main__":
    main()

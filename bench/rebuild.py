"""The caller-ID index rebuild: what the calls of a process wait after a configuration change.

Loads the org of ``bench/decisions.py`` (one size, in its database ``numberdesk_bench``), then:

* **start**: a server process (``numberdesk.bootstrap``, one worker) started on it, once
  warming its indexes at start (``NUMBERDESK_WARM_INDEXES``, the default) and once not: how
  long until ``/healthz`` and ``/readyz`` answer 200, how long its first outbound and inbound
  calls over HTTP take after that, and the server's peak memory;

then, each time in a process-fresh ``Desk`` (no index yet, as after a change):

* **burst**: ``--burst`` outbound decisions arrive at once; how long until all are answered,
  each one's wait, the process's memory before them, and its peak (the load included: read
  the peak as the burst's only when it is above the load's);
* **one**: a single index build, its phases timed: the live numbers, compliance, and the
  snapshot (which also loads each campaign's numbers); the rest is the area-code mappings,
  addresses, display names, mandates, each number's ``Candidate``, the usage rows and users;
* **changes**: on a process holding both indexes, how long the first outbound and the first
  inbound call wait after each of a few everyday changes (a number rested, woken, released; an
  agent's caller ID changed), the indexes refreshed from the changes instead of built whole;
* **served**: the same changes made by this process while a server process (warmed) holds the
  indexes, and ``SETTLE`` seconds later its next outbound and inbound call over HTTP: once with
  its index refresher (``NUMBERDESK_INDEX_REFRESH_SECONDS=1``, the default), which has
  refreshed the indexes by then, and once without (``0``), where the call refreshes them;
  then a call into the biggest area code after one of its numbers rested (its pool's copy
  renewed by the refresher, or by the call);
* **workers**: ``numberdesk serve --workers 2`` on it, once ready, then ``kill -HUP`` (uvicorn
  replaces each worker in turn) while a call is made every ``CALL_EVERY`` seconds, each on a
  new connection: how long the restart took, and how long its calls waited (how many longer
  than Kamailio's ``HTTP_TIMEOUT``, 2 s).

    .venv/bin/python bench/rebuild.py [--size 1000000] [--calls 1000000] [--burst 4]
                                      [--parts start,burst,one,changes,served,workers]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import decisions

from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services import callerid_index
from numberdesk.services.callerid import decide_outbound
from numberdesk.services.desk import Desk
from numberdesk.services.inbound import decide_inbound
from numberdesk.services.numbers import release_number
from numberdesk.services.resting import rest_number, wake_number
from numberdesk.services.users import update_user
from numberdesk.store.numbers import NumberRepo

SETTLE = 3.0  # seconds between a change and the served process's next calls
CALL_EVERY = 0.1  # seconds between two calls during a restart of the workers
KAMAILIO_TIMEOUT = 2.0  # deploy/kamailio: HTTP_TIMEOUT


def peak_gb() -> float:
    """The process's peak resident memory so far, in GB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def resident_gb() -> float:
    """The process's resident memory now, in GB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e9


def starts(url: str, org: decisions.OrgData) -> None:
    """A server process started warming its indexes, then one started without."""
    served_start(url, org, warm=True)
    served_start(url, org, warm=False)


def served_start(url: str, org: decisions.OrgData, *, warm: bool) -> None:
    """A server process started on the org's database, warming its indexes or not."""
    with server_on(url, NUMBERDESK_WARM_INDEXES=_on(warm)) as (server, started):
        alive = decisions.answered_200(server, "/healthz", within=120) - started
        ready = decisions.answered_200(server, "/readyz", within=3600) - started
        calls = _served_first_calls(org)
        with open(f"/proc/{server.pid}/status") as status:
            peak = next(line.split()[1] for line in status if line.startswith("VmHWM"))
    print(
        f"  start, warm-up {_on(warm)}: /healthz after {alive:.1f} s, /readyz after "
        f"{ready:.1f} s; then first calls {calls}; server peak {int(peak) / 1e6:.2f} GB",
        flush=True,
    )


@contextmanager
def server_on(url: str, **env: str) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """A server process (one worker) on the org's database with ``env`` added; it and when
    it was started."""
    started = time.perf_counter()
    server = decisions.launch_server(url, "numberdesk.bootstrap:build_app_from_env", 1, **env)
    try:
        yield server, started
    finally:
        decisions.stop_server(server)


def served_changes(url: str, org: decisions.OrgData) -> None:
    """A served process's first calls over HTTP after each everyday change made by another
    process, ``SETTLE`` seconds later: with the index refresher (the default), then without."""
    desk = build_desk(Settings(database_url=url))
    owner = Actor(org.org_id, org.owner_id, Role.OWNER)
    try:
        for round_, every in ((1, "1"), (2, "0")):
            with server_on(url, NUMBERDESK_INDEX_REFRESH_SECONDS=every) as (server, _):
                decisions.answered_200(server, "/readyz", within=3600)
                _served_first_calls(org)  # each pool's first copy, as after any start
                for name, change in everyday_changes(desk, owner, org, round_):
                    change()
                    time.sleep(SETTLE)
                    print(
                        f"  served, refresher every {every} s: {SETTLE:.0f} s after {name}: "
                        f"{_served_first_calls(org)}",
                        flush=True,
                    )
                _biggest_pool_rested(desk, owner, org, round_, every)
    finally:
        desk.close()


def _biggest_pool_rested(
    desk: Desk, owner: Actor, org: decisions.OrgData, round_: int, every: str
) -> None:
    """A call into the org's biggest area code (by an agent with no caller ID: its pool picks)
    ``SETTLE`` seconds after one of the area's numbers was rested: the pool's copy is renewed
    by then with the refresher, else by this call."""
    big = max(range(len(org.counts)), key=org.counts.__getitem__)
    callee = next(c for c, area in zip(org.callees, org.callee_area, strict=True) if area == big)
    body = {"agent_id": org.agents[2], "to": callee}
    _first_call("/v1/decisions/outbound", body, org)  # the pool's first copy
    rest_number(desk, owner, org.number_ids[org.ranges[big][0] + round_])
    time.sleep(SETTLE)
    took = _first_call("/v1/decisions/outbound", body, org)
    print(
        f"  served, refresher every {every} s: {SETTLE:.0f} s after a number of the biggest "
        f"area code ({org.counts[big]:,} numbers) rested: outbound {took * 1e3:,.0f} ms",
        flush=True,
    )


def _served_first_calls(org: decisions.OrgData) -> str:
    """How long a served process's next outbound and inbound call take, in words."""
    outbound = _first_call(*_outbound(org), org)
    inbound = _first_call(*_inbound(org), org)
    return f"outbound {outbound * 1e3:,.0f} ms, inbound {inbound * 1e3:,.0f} ms"


def _outbound(org: decisions.OrgData) -> tuple[str, dict[str, str]]:
    """The path and body of an agent's outbound call (the one the served parts make)."""
    return "/v1/decisions/outbound", {"agent_id": org.agents[0], "to": org.callees[0]}


def _inbound(org: decisions.OrgData) -> tuple[str, dict[str, str]]:
    """The path and body of a call into one of the org's numbers."""
    return "/v1/decisions/inbound", {"to": org.e164s[1], "from": org.callees[0]}


def _on(warm: bool) -> str:
    return "on" if warm else "off"


def _first_call(path: str, body: dict[str, str], org: decisions.OrgData) -> float:
    """How long one decision over HTTP took (a new connection, as Kamailio's first)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", decisions.PORT, timeout=600)
    status = decisions.post(conn, path, json.dumps(body).encode(), org.api_key)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return time.perf_counter() - started


def workers_restart(url: str, org: decisions.OrgData) -> None:
    """``numberdesk serve --workers 2``, ready, then restarted by SIGHUP under a steady trickle
    of calls (outbound and inbound in turn): the restart's length and its calls' waits."""
    command = [os.path.join(os.path.dirname(sys.executable), "numberdesk"), "serve"]
    command += ["--workers", "2", "--port", str(decisions.PORT)]
    started = time.perf_counter()
    server = decisions.launch(
        command, url, NUMBERDESK_LOG_LEVEL="warning", NUMBERDESK_WORKER_WARMUP_SECONDS="3600"
    )
    try:
        ready = decisions.answered_200(server, "/readyz", within=3600) - started
        time.sleep(SETTLE)
        old = _workers_of(server.pid)
        calls = _calls_meanwhile(
            org,
            lambda: server.send_signal(signal.SIGHUP),
            lambda: _replaced(server.pid, old),
            after=max(SETTLE, ready),  # calls go on as long as a warm-up takes
        )
    finally:
        decisions.stop_server(server)
    restart, waits = calls
    slow = sum(wait is None or wait > KAMAILIO_TIMEOUT for wait in waits)
    answered = sorted(wait for wait in waits if wait is not None)
    print(
        f"  workers: /readyz after {ready:.1f} s; SIGHUP: both workers replaced after "
        f"{restart:.1f} s; {len(waits)} calls from then to {max(SETTLE, ready):.0f} s after "
        f"(one every {CALL_EVERY} s): "
        f"{len(answered)} answered, p50 {_ms(answered, 0.5)}, p99 {_ms(answered, 0.99)}, "
        f"slowest {_ms(answered, 1.0)}; {slow} failed or waited over {KAMAILIO_TIMEOUT:.0f} s",
        flush=True,
    )


def _workers_of(pid: int) -> set[int]:
    """The pids of the uvicorn workers of server ``pid`` (its children but multiprocessing's
    resource tracker)."""
    children: set[int] = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as listed:
            children |= {int(child) for child in listed.read().split()}
    return {child for child in children if b"spawn_main" in _command_line(child)}


def _command_line(pid: int) -> bytes:
    """Process ``pid``'s command line (empty once it has ended)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as command:
            return command.read()
    except OSError:
        return b""


def _replaced(pid: int, old: set[int]) -> bool:
    """Whether the server ``pid`` runs two workers, none of them of ``old``."""
    workers = _workers_of(pid)
    return len(workers) >= 2 and not workers & old


def _calls_meanwhile(
    org: decisions.OrgData, begin: Callable[[], None], done: Callable[[], bool], after: float
) -> tuple[float, list[float | None]]:
    """A call every ``CALL_EVERY`` s, ``begin()`` after the first, until ``done()`` and
    ``after`` s more; how long from ``begin()`` to ``done()``, and each call's wait (None: it
    failed)."""
    finished: float | None = None
    futures = []
    with ThreadPoolExecutor(max_workers=256) as pool:
        futures.append(pool.submit(_one_call, org, 0))
        begin()
        started = time.perf_counter()
        while finished is None or time.perf_counter() < finished + after:
            time.sleep(CALL_EVERY)
            futures.append(pool.submit(_one_call, org, len(futures)))
            if finished is None and done():
                finished = time.perf_counter()
    return (finished or started) - started, [future.result() for future in futures]


def _one_call(org: decisions.OrgData, turn: int) -> float | None:
    """One outbound (even turns) or inbound call's wait; None when it failed."""
    try:
        return _first_call(*(_inbound(org) if turn % 2 else _outbound(org)), org)
    except (OSError, RuntimeError):
        return None


def _ms(waits: list[float], share: float) -> str:
    """The wait at ``share`` of the sorted ``waits``, in milliseconds."""
    if not waits:
        return "-"
    return f"{waits[min(len(waits) - 1, int(share * len(waits)))] * 1e3:,.0f} ms"


def burst(url: str, org: decisions.OrgData, calls: int) -> None:
    """``calls`` decisions at once on a process without an index."""
    desk = build_desk(Settings(database_url=url))
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)

    def one(i: int) -> float:
        started = time.perf_counter()
        decide_outbound(desk, actor, agent_id=org.agents[0], to=org.callees[i])
        return time.perf_counter() - started

    before = resident_gb()
    started = time.perf_counter()
    with ThreadPoolExecutor(calls) as pool:
        waits = sorted(pool.map(one, range(calls)))
    print(
        f"  burst: {calls} calls at once, all answered after "
        f"{time.perf_counter() - started:.1f} s; waits {', '.join(f'{w:.1f}' for w in waits)} s; "
        f"memory {before:.2f} GB before, process peak {peak_gb():.2f} GB",
        flush=True,
    )
    desk.close()


def one_build(url: str, org: decisions.OrgData) -> None:
    """One decision's index build on a process without one, its phases timed."""
    phases: dict[str, float] = {}
    timed = [
        ("live numbers", NumberRepo, "_call_path"),
        ("compliance", callerid_index, "compliance_of"),
        ("snapshot", callerid_index, "build_snapshot"),
    ]
    real = [getattr(owner, attribute) for _, owner, attribute in timed]
    desk = build_desk(Settings(database_url=url))
    try:
        for (name, owner, attribute), work in zip(timed, real, strict=True):
            setattr(owner, attribute, _timed(name, work, phases))
        with desk.store.transaction() as tx:
            org_row = tx.orgs.require(org.org_id)
            started = time.perf_counter()
            callerid_index.build_index(tx, org_row, datetime.now(UTC))
            total = time.perf_counter() - started
    finally:
        for (_, owner, attribute), work in zip(timed, real, strict=True):
            setattr(owner, attribute, work)
        desk.close()
    shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
    print(f"  one build: {total:.1f} s ({shown})", flush=True)


def after_changes(url: str, org: decisions.OrgData) -> None:
    """The first calls after each change, on a process that holds both indexes."""
    desk = build_desk(Settings(database_url=url))
    owner = Actor(org.org_id, org.owner_id, Role.OWNER)

    def first_calls() -> str:
        started = time.perf_counter()
        decide_outbound(desk, owner, agent_id=org.agents[0], to=org.callees[0])
        outbound = time.perf_counter() - started
        started = time.perf_counter()
        decide_inbound(desk, owner, to=org.e164s[1], caller=org.callees[0], dry_run=True)
        return f"outbound {outbound * 1e3:,.0f} ms, inbound {(time.perf_counter() - started) * 1e3:,.0f} ms"

    try:
        print(
            f"  changes: a process's first calls, indexes built whole: {first_calls()}", flush=True
        )
        for name, change in everyday_changes(desk, owner, org, 0):
            change()
            print(f"  changes: after {name}: {first_calls()}", flush=True)
    finally:
        desk.close()


def everyday_changes(
    desk: Desk, owner: Actor, org: decisions.OrgData, round_: int
) -> list[tuple[str, Callable[[], object]]]:
    """A number rested and woken, another released (a new one each ``round_``), an agent's
    caller ID changed (to another number each round)."""
    released = org.number_ids[3 + 4 * round_]
    shown = org.e164s[4 if round_ % 2 == 0 else 1]
    return [
        ("a number rested", lambda: rest_number(desk, owner, org.number_ids[2])),
        ("woken", lambda: wake_number(desk, owner, org.number_ids[2])),
        ("a number released", lambda: release_number(desk, owner, released)),
        (
            "an agent's caller ID",
            lambda: update_user(desk, owner, org.agents[1], {"caller_id": shown}),
        ),
    ]


def _timed(name: str, work: Callable[..., Any], phases: dict[str, float]) -> Callable[..., Any]:
    """``work``, its time added to ``phases[name]``."""

    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return work(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1_000_000, help="recorded calls")
    parser.add_argument("--burst", type=int, default=4, help="decisions at once")
    parser.add_argument(
        "--parts", default="start,burst,one,changes,served,workers", help="which, in order"
    )
    args = parser.parse_args()
    sizes = ["--sizes", str(args.size), "--calls", str(args.calls), "--http-seconds", "0"]
    options = decisions.parse_args(None, sizes)
    org, url, _, _ = decisions.build_org(args.size, args.calls, options, decisions.plan_areas())
    parts: dict[str, Callable[[], None]] = {
        "start": lambda: starts(url, org),
        "burst": lambda: burst(url, org, args.burst),
        "one": lambda: one_build(url, org),
        "changes": lambda: after_changes(url, org),
        "served": lambda: served_changes(url, org),
        "workers": lambda: workers_restart(url, org),
    }
    try:
        for part in args.parts.split(","):
            parts[part]()
    finally:
        decisions.recreate_database(options.postgres_url, drop_only=True)


if __name__ == "__main__":
    main()

"""How the pure decision's p50 grows from a small org to a large one, measured in one process
that holds both orgs' indexes, the two sizes taking turns: whatever the machine does over the
run (it drifted by up to 1.5x within one benchmark run in the tenth session) falls on both
alike. Each size has a database of its own, dropped at the end.

    .venv/bin/python bench/growth.py             # outbound caller ID, 1k and 1M numbers
    .venv/bin/python bench/growth.py --inbound   # inbound routing
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import decisions
import inbound

from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.domain.orgs import Actor, Role
from numberdesk.services.callerid import decide_outbound
from numberdesk.services.desk import Desk
from numberdesk.services.inbound import decide_inbound

Measure = Callable[[], float]  # one measurement of a size: its pure p50 in seconds


def outbound_at(size: int, calls: int, args: argparse.Namespace) -> tuple[Desk, Measure]:
    """An org of ``size`` numbers, its caller-ID index built; how to measure it."""
    org, url, _, _ = decisions.build_org(size, calls, args, decisions.plan_areas())
    desk = build_desk(Settings(database_url=url))
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)
    decide_outbound(desk, actor, agent_id=org.agents[0], to=org.callees[0])
    return desk, lambda: decisions.measure_pure(desk, org, args.pure_calls, args.budget)[0].p50


def inbound_at(size: int, calls: int, args: argparse.Namespace) -> tuple[Desk, Measure]:
    """An org of ``size`` numbers with its inbound routes, its index built; how to measure it."""
    org, url, _, _ = decisions.build_org(size, calls, args, decisions.plan_areas())
    configured = inbound.configure_inbound(url, org, size, datetime.now(UTC))
    desk = build_desk(Settings(database_url=url))
    actor = Actor(org.org_id, org.owner_id, Role.OWNER)
    first = inbound.requests_of(org, configured, 1, "growth")[0]
    decide_inbound(desk, actor, to=first["to"], caller=first.get("from"), dry_run=True)
    pure_calls, budget = args.pure_calls, args.budget
    return desk, lambda: inbound.measure_pure(desk, org, configured, pure_calls, budget).p50


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inbound", action="store_true", help="inbound routing's decision")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7, help="measurements of each size")
    parser.add_argument("--pure-calls", type=int, default=20_000)
    parser.add_argument("--budget", type=float, default=20, help="at most seconds per loop")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "NUMBERDESK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args(argv)
    args.quick = False  # build_org reads it
    build = inbound_at if args.inbound else outbound_at
    sizes = (args.small, args.large)
    held: dict[int, tuple[Desk, Measure]] = {}
    try:
        for size in sizes:
            decisions.DATABASE = f"numberdesk_bench_growth_{size}"
            held[size] = build(size, size * 10, args)
        p50s: dict[int, list[float]] = {size: [] for size in sizes}
        for turn in range(args.rounds):
            for size in sizes if turn % 2 == 0 else sizes[::-1]:
                decisions.wait_quiet()
                p50s[size].append(held[size][1]() * 1e6)
    finally:
        for size in sizes:
            if size in held:
                held[size][0].close()
            decisions.DATABASE = f"numberdesk_bench_growth_{size}"
            decisions.recreate_database(args.postgres_url, drop_only=True)
    print(f"\n{'Inbound' if args.inbound else 'Outbound'} pure p50, {args.rounds} turns each:")
    for size, values in p50s.items():
        shown = " / ".join(f"{v:.1f}" for v in values)
        print(
            f"  {size:>9,} numbers: {shown} us; best {min(values):.1f}, median "
            f"{statistics.median(values):.1f}"
        )
    small, large = p50s[args.small], p50s[args.large]
    print(
        f"  growth: {min(large) / min(small):.2f}x on the best, "
        f"{statistics.median(large) / statistics.median(small):.2f}x on the medians "
        f"(goal <= 1.2x)"
    )


if __name__ == "__main__":
    main()

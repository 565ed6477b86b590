"""Prometheus metrics: request counts and latencies by route template, and the call path's
indexes in this process (held, built or refreshed, warmed at start, refreshed in the
background)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from numberdesk.services.callerid_index import Indexed
from numberdesk.services.inbound_index import InboundIndex
from numberdesk.services.refresher import Refresher
from numberdesk.services.warmup import Warmup

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "numberdesk_http_requests",
    "HTTP requests answered",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "numberdesk_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)


class MetricsMiddleware:
    """A plain ASGI middleware (cheap on the call path) that counts and times requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(scope["method"], route).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], route, str(status)).inc()


INDEX_KINDS = {"outbound": Indexed, "inbound": InboundIndex}  # the ``index`` label


class IndexCollector(Collector):
    """The app's call-path indexes, read from its state when scraped (nothing is counted on
    the call path): how many it holds of each kind, how many builds and refreshes it made (a
    call's, the warm-up's, the refresher's), how its warm-up went, and what its refresher
    did."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        """The metrics of this scrape."""
        yield self._held()
        yield from self._builds()
        warmup: Warmup | None = self.app.state.warmup
        if warmup is not None:
            yield _gauge("warmup_orgs", "Orgs the start-up warm-up builds", warmup.orgs or 0)
            yield _gauge(
                "warmup_warmed", "Orgs the warm-up has done, failed ones too", warmup.warmed
            )
            yield _gauge("warmup_failed", "Orgs whose warm-up failed", warmup.failed)
            yield _gauge("warmup_ready", "1 once the warm-up has ended", int(warmup.ready))
        refresher: Refresher | None = self.app.state.refresher
        if refresher is not None:
            yield CounterMetricFamily(
                "numberdesk_index_refresher_looks",
                "Times the refresher read the orgs' config versions",
                value=refresher.looks,
            )
            yield CounterMetricFamily(
                "numberdesk_index_refreshes",
                "Indexes the refresher refreshed (or built whole) after a change",
                value=refresher.refreshed,
            )
            failing = len(refresher.failing)
            yield _gauge("index_refresher_failing_orgs", "Orgs whose last refresh failed", failing)
            lost = int(refresher.database_lost)
            yield _gauge("index_refresher_database_lost", "1 while versions cannot be read", lost)

    def _held(self) -> GaugeMetricFamily:
        """The indexes this process holds, by kind (outbound caller ID, inbound routing)."""
        held = GaugeMetricFamily(
            "numberdesk_call_path_indexes", "Call-path indexes this process holds", labels=["index"]
        )
        indexes = [index for _, index in list(self.app.state.desk.snapshots.items())]
        for label, kind in INDEX_KINDS.items():
            held.add_metric([label], sum(isinstance(i, kind) for i in indexes))
        return held

    def _builds(self) -> Iterator[Metric]:
        """The index builds and refreshes this process made, and their time, by kind."""
        snapshots = self.app.state.desk.snapshots
        builds = CounterMetricFamily(
            "numberdesk_index_builds",
            "Call-path indexes this process built or refreshed (for a call, the warm-up or "
            "the refresher)",
            labels=["index"],
        )
        seconds = CounterMetricFamily(
            "numberdesk_index_build_seconds",
            "Time this process spent building or refreshing call-path indexes",
            labels=["index"],
        )
        for label, kind in INDEX_KINDS.items():
            builds.add_metric([label], snapshots.builds.get(kind, 0))
            seconds.add_metric([label], snapshots.build_seconds.get(kind, 0.0))
        yield builds
        yield seconds


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"numberdesk_{name}", documentation, value=value)


def install(app: FastAPI) -> None:
    """Count and time every request; serve them, and the app's call-path indexes, at GET
    /metrics."""
    app.add_middleware(MetricsMiddleware)
    indexes = CollectorRegistry()
    indexes.register(IndexCollector(app))

    @app.get(
        "/metrics",
        description="No auth. Prometheus text: request counts and latencies, and this "
        "process's call-path indexes (held, builds, warm-up, background refresher).",
    )
    def metrics() -> Response:
        """Expose request counts and latencies, and the call path's indexes."""
        body = generate_latest(REGISTRY) + generate_latest(indexes)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

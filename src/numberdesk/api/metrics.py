"""Prometheus metrics: request counts and latencies by route template."""

from __future__ import annotations

import time

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def install(app: FastAPI) -> None:
    """Count and time every request; serve them at GET /metrics."""
    app.add_middleware(MetricsMiddleware)

    @app.get("/metrics", description="No auth. Prometheus text: request counts and latencies.")
    def metrics() -> Response:
        """Expose request counts and latencies."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

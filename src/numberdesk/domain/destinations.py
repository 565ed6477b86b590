"""Inbound queues and custom destinations (named SIP URIs set up by support)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Queue:
    """An inbound queue."""

    org_id: str
    id: str
    name: str
    created_at: datetime
    uri: str | None = None


@dataclass
class Destination:
    """A custom destination: a named SIP URI."""

    org_id: str
    id: str
    name: str
    uri: str
    created_at: datetime

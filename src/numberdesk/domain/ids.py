"""Identifiers: a short prefix that says what it is, then a time-sortable random part."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """A new id like ``num_0193f1c2a7b84c1e9a2f0d3b``; ids sort by creation time."""
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{secrets.token_hex(6)}"

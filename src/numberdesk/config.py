"""Settings from the environment (``NUMBERDESK_*``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite:///var/numberdesk.db"


def _parse_exhausted(raw: str) -> frozenset[tuple[str, str]]:
    """Read ``US:907,GB:20`` into {("US", "907"), ("GB", "20")}."""
    pairs: set[tuple[str, str]] = set()
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        country, _, area_code = item.partition(":")
        if not country or not area_code:
            raise ValueError(
                f"NUMBERDESK_SANDBOX_EXHAUSTED: {item!r} is not COUNTRY:AREA_CODE (e.g. US:907)"
            )
        pairs.add((country.strip().upper(), area_code.strip()))
    return frozenset(pairs)


def _positive(raw: str, name: str) -> int:
    """A whole number of at least 1, or a clear error naming the variable."""
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"NUMBERDESK_{name}: {raw!r} is not a whole number of at least 1")
    return value


def _seconds(raw: str, name: str) -> float:
    """A number of seconds, 0 or more, or a clear error naming the variable."""
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise ValueError(f"NUMBERDESK_{name}: {raw!r} is not a number of seconds (0 or more)")
    return value


def _on_or_off(raw: str, name: str) -> bool:
    """``on`` or ``off`` (PostgreSQL's words), or a clear error naming the variable."""
    value = raw.strip().lower()
    if value not in ("on", "off"):
        raise ValueError(f"NUMBERDESK_{name}: {raw!r} is neither on nor off")
    return value == "on"


@dataclass(frozen=True)
class Settings:
    """Everything numberdesk reads from its environment, with its defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    admin_token: str | None = None
    carrier: str = "sandbox"
    sandbox_stock: int = 200
    sandbox_exhausted: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    log_level: str = "info"
    key_cache_seconds: float = 5.0
    # An inbound call whose ``ended`` event never arrives stops counting against its company
    # number's call limit after this many minutes (I10).
    max_call_minutes: int = 240
    # PostgreSQL: False lets the call path's commits return before their WAL is on disk
    # (``store/db.make_call_path_engine`` says what a crash of the database server can lose).
    call_path_synchronous_commit: bool = False
    # A served process builds every org's call-path indexes when it starts (services/warmup).
    warm_indexes: bool = True
    # ... and refreshes those whose org's configuration moved this often (services/refresher;
    # 0: only when a call finds its index out of date).
    index_refresh_seconds: float = 1.0
    # With several workers on one port, each starts taking calls only once warm; a worker
    # started by a rolling restart (SIGHUP) may take this long (uvicorn's worker health check).
    worker_warmup_seconds: int = 120

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``NUMBERDESK_*`` variables (``os.environ`` by default)."""
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            return env.get(f"NUMBERDESK_{name}", default).strip() or default

        return cls(
            database_url=get("DATABASE_URL", DEFAULT_DATABASE_URL),
            host=get("HOST", "127.0.0.1"),
            port=int(get("PORT", "8000")),
            workers=_positive(get("WORKERS", "1"), "WORKERS"),
            admin_token=env.get("NUMBERDESK_ADMIN_TOKEN") or None,
            carrier=get("CARRIER", "sandbox"),
            sandbox_stock=int(get("SANDBOX_STOCK", "200")),
            sandbox_exhausted=_parse_exhausted(env.get("NUMBERDESK_SANDBOX_EXHAUSTED", "")),
            log_level=get("LOG_LEVEL", "info"),
            key_cache_seconds=float(get("KEY_CACHE_SECONDS", "5")),
            max_call_minutes=_positive(get("MAX_CALL_MINUTES", "240"), "MAX_CALL_MINUTES"),
            call_path_synchronous_commit=_on_or_off(
                get("CALL_PATH_SYNCHRONOUS_COMMIT", "off"), "CALL_PATH_SYNCHRONOUS_COMMIT"
            ),
            warm_indexes=_on_or_off(get("WARM_INDEXES", "on"), "WARM_INDEXES"),
            index_refresh_seconds=_seconds(
                get("INDEX_REFRESH_SECONDS", "1"), "INDEX_REFRESH_SECONDS"
            ),
            worker_warmup_seconds=_positive(
                get("WORKER_WARMUP_SECONDS", "120"), "WORKER_WARMUP_SECONDS"
            ),
        )

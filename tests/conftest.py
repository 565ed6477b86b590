"""Test fixtures: a migrated database per backend (SQLite always, PostgreSQL when configured).

Integration tests take ``desk`` (services) or ``api`` (HTTP) and run once per backend:
SQLite, and PostgreSQL when NUMBERDESK_TEST_POSTGRES_URL is set. Every test gets an empty
database: a copy of a migrated SQLite file, or a truncated PostgreSQL database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from numberdesk.api.app import create_app
from numberdesk.bootstrap import build_desk
from numberdesk.config import Settings
from numberdesk.services.desk import Desk
from numberdesk.store.db import normalise_url
from numberdesk.store.migrate import upgrade
from numberdesk.store.schema import metadata

POSTGRES_URL = os.environ.get("NUMBERDESK_TEST_POSTGRES_URL")
ADMIN_TOKEN = "test-admin-token"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip PostgreSQL runs when no PostgreSQL is configured."""
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="set NUMBERDESK_TEST_POSTGRES_URL to run on PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that every test copies."""
    path = tmp_path_factory.mktemp("template") / "numberdesk.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test process, dropped at the end."""
    assert POSTGRES_URL, "PostgreSQL tests need NUMBERDESK_TEST_POSTGRES_URL"
    name = f"numberdesk_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(POSTGRES_URL).rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    engine.dispose()


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test: small sandbox stock, two exhausted area codes, an admin token."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "admin_token": ADMIN_TOKEN,
        "sandbox_stock": 30,
        "sandbox_exhausted": frozenset({("US", "907"), ("GB", "20")}),
        "warm_indexes": False,  # a test's app starts before its orgs; a warm-up test says so
        "index_refresh_seconds": 0,  # calls refresh their indexes; a refresher test says so
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "numberdesk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_all(url)
    return url


class Clock:
    """A clock a test can set and move."""

    def __init__(self) -> None:
        self.at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    """The time services see, starting Monday 2026-11-02 09:00 UTC."""
    return Clock()


@pytest.fixture
def desk(database_url: str, clock: Clock) -> Iterator[Desk]:
    """Wired services on an empty database."""
    built = build_desk(settings_for(database_url))
    built.clock = clock
    yield built
    built.close()


@pytest.fixture
def other_process(desk: Desk, database_url: str) -> Iterator[Desk]:
    """A second API process on the same database: its own indexes (none built yet), the same
    wall clock."""
    other = build_desk(settings_for(database_url))
    other.clock = desk.clock
    yield other
    other.close()


class Api:
    """A test client that remembers an API key per name."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, method: str, path: str, key: str | None = None, **kwargs: Any) -> Any:
        """Send a request with ``key`` as the Bearer token."""
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def new_org(self, name: str = "Acme", country: str = "US", **extra: Any) -> dict[str, str]:
        """Create an org through the platform endpoint; returns its ids and the owner's key."""
        response = self.call(
            "POST", "/v1/orgs", ADMIN_TOKEN, json={"name": name, "country": country, **extra}
        )
        assert response.status_code == 201, response.text
        body: dict[str, str] = response.json()
        return body

    def new_user(self, key: str, role: str = "agent", **fields: Any) -> tuple[dict[str, Any], str]:
        """Add a user with ``key`` (an owner's or admin's) and make them an API key."""
        fields.setdefault("name", f"{role.title()} {uuid.uuid4().hex[:6]}")
        fields.setdefault("email", f"{uuid.uuid4().hex[:10]}@example.com")
        response = self.call("POST", "/v1/users", key, json={"role": role, **fields})
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        made = self.call("POST", "/v1/api-keys", key, json={"user_id": user["id"]})
        assert made.status_code == 201, made.text
        return user, made.json()["api_key"]

    def audit_count(self, key: str) -> int:
        """How many audit entries the org has (to prove that a refusal changed nothing)."""
        count, cursor = 0, ""
        while True:
            page = self.call("GET", f"/v1/audit?limit=500{cursor}", key).json()
            count += len(page["items"])
            if not page["next"]:
                return count
            cursor = f"&cursor={page['next']}"


@pytest.fixture
def api(desk: Desk) -> Iterator[Api]:
    """The HTTP API over ``desk``."""
    with TestClient(create_app(desk), raise_server_exceptions=False) as client:
        yield Api(client)

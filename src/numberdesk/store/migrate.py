"""Alembic, driven from code: upgrade the schema and tell whether it is up to date."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from numberdesk.store.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic configuration for this package's migrations and ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None when it was never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_problem(engine: Engine) -> str | None:
    """Why the database cannot be served as it is, or None when it is up to date."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    if current is None:
        return "The database has no numberdesk schema yet. Run `numberdesk db upgrade` first."
    return (
        f"The database schema is at revision {current}, but this numberdesk needs {head}. "
        "Run `numberdesk db upgrade` first."
    )

"""The migrations build exactly the schema the code declares, on each backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from numberdesk.store import schema
from numberdesk.store.db import make_engine


def test_migrated_database_matches_the_declared_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    finally:
        engine.dispose()
    assert differences == [], "run scripts/regen-migration or add a migration"

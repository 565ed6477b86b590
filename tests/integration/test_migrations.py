"""The migrations build exactly the schema the code declares, on each backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

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


def test_postgresql_indexes_carry_the_columns_they_are_declared_to_include(
    database_url: str,
) -> None:
    """Alembic does not compare an index's INCLUDE columns; a covering index that lost them
    would read the table again (``ix_outbound_calls_org_callee_at``: I2, O5)."""
    declared = {
        str(index.name): list(index.dialect_options["postgresql"]["include"] or [])
        for table in schema.metadata.tables.values()
        for index in table.indexes
    }
    engine = make_engine(database_url)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("INCLUDE columns are PostgreSQL's")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.relname, a.attname FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_attribute a ON a.attrelid = i.indexrelid "
                    "WHERE a.attnum > i.indnkeyatts AND c.relname = ANY(:names) "
                    "ORDER BY c.relname, a.attnum"
                ),
                {"names": list(declared)},
            ).all()
    finally:
        engine.dispose()
    included: dict[str, list[str]] = {name: [] for name in declared}
    for name, column in rows:
        included[name].append(column)
    assert included == declared
    assert declared["ix_outbound_calls_org_callee_at"] == ["agent_id", "number_id"]

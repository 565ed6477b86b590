"""The storage rule of DESIGN.md: every table has org_id and every index starts with it."""

from __future__ import annotations

import pytest
from sqlalchemy import Index, Table, UniqueConstraint

from numberdesk.store.schema import metadata

TABLES = sorted(metadata.tables.values(), key=lambda t: t.name)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_table_carries_org_id(table: Table) -> None:
    assert "org_id" in table.c
    assert not table.c.org_id.nullable


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_every_key_and_index_starts_with_org_id(table: Table) -> None:
    keys: list[list[str]] = [[c.name for c in table.primary_key.columns]]
    keys += [[c.name for c in index.columns] for index in table.indexes if isinstance(index, Index)]
    keys += [
        [c.name for c in constraint.columns]
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    for columns in keys:
        assert columns[0] == "org_id", f"{table.name}: {columns} does not start with org_id"

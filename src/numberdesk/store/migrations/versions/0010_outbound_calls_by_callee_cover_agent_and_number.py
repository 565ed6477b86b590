"""a callee's calls are read from their index alone: it carries their agent and number (I2, O5)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 04:30:00.000000

On PostgreSQL the index is built again while the table is locked for writes; on a large
``outbound_calls`` run it in a quiet hour (under a minute for 10 million calls on the
benchmark's machine).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_outbound_calls_org_callee_at"
COLUMNS = ["org_id", "callee", "at"]


def upgrade() -> None:
    op.drop_index(INDEX, table_name="outbound_calls")
    op.create_index(INDEX, "outbound_calls", COLUMNS, postgresql_include=["agent_id", "number_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="outbound_calls")
    op.create_index(INDEX, "outbound_calls", COLUMNS)

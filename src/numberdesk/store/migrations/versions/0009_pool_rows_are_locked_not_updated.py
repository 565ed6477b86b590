"""a decision over a pool locks the pool's row instead of counting on it (O5)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("caller_id_pools") as table:
        table.drop_column("picks")


def downgrade() -> None:
    with op.batch_alter_table("caller_id_pools") as table:
        table.add_column(sa.Column("picks", sa.Integer(), nullable=False, server_default="0"))

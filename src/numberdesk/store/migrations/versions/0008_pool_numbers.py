"""pools choose the number used least today, then least recently (O5)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("rotation_turns")
    op.create_table(
        "caller_id_pools",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=200), nullable=False),
        sa.Column("members", sa.String(length=32), nullable=True),
        sa.Column("picks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "pool", name=op.f("pk_caller_id_pools")),
    )
    op.create_table(
        "pool_numbers",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=200), nullable=False),
        sa.Column("number_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rested_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mandate_ends", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("org_id", "pool", "number_id", name=op.f("pk_pool_numbers")),
    )
    op.create_index(
        "ix_pool_numbers_least_recent",
        "pool_numbers",
        ["org_id", "pool", "last_used_at", "number_id"],
    )
    op.create_index(
        "ix_pool_numbers_least_today",
        "pool_numbers",
        ["org_id", "pool", "day", "calls", "last_used_at", "number_id"],
    )
    op.create_index("ix_pool_numbers_number", "pool_numbers", ["org_id", "number_id"])


def downgrade() -> None:
    op.drop_table("pool_numbers")
    op.drop_table("caller_id_pools")
    op.create_table(
        "rotation_turns",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=200), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "pool", name=op.f("pk_rotation_turns")),
    )

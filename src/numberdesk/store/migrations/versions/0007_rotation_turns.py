"""rotation turns

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rotation_turns",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=200), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "pool", name=op.f("pk_rotation_turns")),
    )


def downgrade() -> None:
    op.drop_table("rotation_turns")

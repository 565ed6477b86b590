"""an audit entry names the config version its change moved the org to, so a process's
call-path index is refreshed from the changes past its own version instead of rebuilt

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_audit_entries_org_config_version"


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as table:
        table.add_column(sa.Column("config_version", sa.Integer(), nullable=True))
    op.create_index(INDEX, "audit_entries", ["org_id", "config_version"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="audit_entries")
    with op.batch_alter_table("audit_entries") as table:
        table.drop_column("config_version")

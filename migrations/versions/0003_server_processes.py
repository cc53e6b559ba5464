"""Heartbeats of the processes of a multi-process deployment.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_processes",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_server_processes_seen_at", "server_processes", ["seen_at"])


def downgrade() -> None:
    op.drop_index("ix_server_processes_seen_at", "server_processes")
    op.drop_table("server_processes")

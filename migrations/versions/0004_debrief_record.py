"""The leaders' debrief: a content-free record kept beside each ended room.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("record", sa.JSON(), nullable=True))
        batch.create_index("ix_rooms_format_id", ["format_id"])


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_index("ix_rooms_format_id")
        batch.drop_column("record")

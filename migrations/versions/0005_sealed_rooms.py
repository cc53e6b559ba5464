"""Case content sealed at rest (room keys), and saved formats that belong to whoever saved them.

Rooms stored before this revision keep their plain state until their next command, which seals
it (the migration has no data key: that never comes near the database). Formats saved before it
had no owner; they stay stored but nobody lists them any more.

Downgrading cannot open sealed rooms (the old code has no keys): it erases them, which is what
their retention would soon have done anyway.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
        batch.alter_column("state", existing_type=sa.JSON(), nullable=True)
    op.create_table(
        "room_keys",
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("wrapped", sa.LargeBinary(), nullable=False),
    )
    with op.batch_alter_table("saved_formats") as batch:
        batch.add_column(sa.Column("owner_hash", sa.String(64), nullable=True))
        batch.create_index("ix_saved_formats_owner_hash", ["owner_hash"])


def downgrade() -> None:
    with op.batch_alter_table("saved_formats") as batch:
        batch.drop_index("ix_saved_formats_owner_hash")
        batch.drop_column("owner_hash")
    op.drop_table("room_keys")
    rooms = sa.table("rooms", sa.column("id", sa.Integer), sa.column("state", sa.JSON(none_as_null=True)))
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM credentials WHERE room_id IN (SELECT id FROM rooms WHERE state IS NULL)"))
    connection.execute(rooms.delete().where(rooms.c.state.is_(None)))
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("sealed")
        batch.alter_column("state", existing_type=sa.JSON(), nullable=False)

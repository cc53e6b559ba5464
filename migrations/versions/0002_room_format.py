"""A room's format beside its state, written once instead of with every command.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

rooms = sa.table("rooms", sa.column("id", sa.Integer), sa.column("state", sa.JSON),
                 sa.column("format_doc", sa.JSON))


def _as_dict(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("format_doc", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for room_id, state in connection.execute(sa.select(rooms.c.id, rooms.c.state)).all():
        state = _as_dict(state)
        if state.get("schema") != 1:
            continue
        fmt = state.pop("format")
        state.update(schema=2, format_id=fmt["id"])
        connection.execute(rooms.update().where(rooms.c.id == room_id).values(state=state, format_doc=fmt))


def downgrade() -> None:
    connection = op.get_bind()
    for room_id, state, fmt in connection.execute(sa.select(rooms.c.id, rooms.c.state, rooms.c.format_doc)).all():
        state, fmt = _as_dict(state), _as_dict(fmt)
        if state.get("schema") == 2 and fmt is not None:
            state.pop("format_id", None)
            state.update(schema=1, format=fmt)
            connection.execute(rooms.update().where(rooms.c.id == room_id).values(state=state))
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("format_doc")

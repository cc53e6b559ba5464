"""Persistence of engine state (SQLAlchemy 2, typed).

A room's session is one JSON document with a version number: every accepted command is one
transaction that checks the version it read, so several processes can share a room. While the
room lives the document is stored only sealed with the room's key (``sealed``, see
room_keys.py); once its content is erased, the content-free rest is plain JSON (``state``).
The room's format sits beside it, written once: it never changes during a session.
Tokens are stored only as SHA-256 hashes.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True, index=True)
    format_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set when case content was erased (session ended or retention window passed).
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Plain only when content-free (erased), or stored before 0004 until its next command.
    state: Mapped[dict | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    format_doc: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The leaders' debrief, written when the session ends: numbers and times, no typed text.
    record: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class RoomKeyRow(Base):
    """A live room's key, wrapped by the server's data key; deleted when the content is erased.

    A table of its own: the room row is rewritten by every command (PostgreSQL keeps each old
    version until vacuum), the key only at creation and at the end."""

    __tablename__ = "room_keys"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)


class Credential(Base):
    __tablename__ = "credentials"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # person | screen while the room runs; once it has ended, debrief (its leaders: the
    # debrief only) or ended (everyone else: told the session is over, nothing more).
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SavedFormat(Base):
    """A group's own format, saved by a leader from a customized built-in one (no case content)."""

    __tablename__ = "saved_formats"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    # SHA-256 of the owner key the saving device keeps; None for formats saved before 0004,
    # which nobody lists any more.
    owner_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServerProcess(Base):
    """A live Krug process of a multi-process deployment, by its heartbeat (see presence.py)."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

"""Persistence of engine state (SQLAlchemy 2, typed).

A room's session is one JSON document with a version number: every accepted command is one
transaction that checks the version it read, so several processes can share a room. The room's
format sits beside it, written once: it never changes during a session.
Tokens are stored only as SHA-256 hashes.
"""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
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
    state: Mapped[dict] = mapped_column(JSON)
    format_doc: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    # The leaders' debrief, written when the session ends: numbers and times, no typed text.
    record: Mapped[dict | None] = mapped_column(JSON, nullable=True)


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
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServerProcess(Base):
    """A live Krug process of a multi-process deployment, by its heartbeat (see presence.py)."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

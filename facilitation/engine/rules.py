"""Who may do what: roles, and the checks every command runs before it changes anything."""
from __future__ import annotations

from enum import StrEnum

from .errors import DomainError


class Role(StrEnum):
    LEADER = "leader"
    COLEADER = "coleader"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


LEADING = frozenset({Role.LEADER, Role.COLEADER})
CIRCLE = frozenset({Role.LEADER, Role.COLEADER, Role.PARTICIPANT})
MAX_CIRCLE = 12
MIN_CIRCLE = 2

# Limits on what a person may type: enough for a thought, short enough for the wall.
NAME_MAX = 40
TITLE_MAX = 80
PITCH_MAX = 400
PITCH_SENTENCES = 3
REQUEST_MAX = 500
CARD_MAX = 500
CARDS_PER_PHASE = 20
NOMINATIONS_PER_PERSON = 3
VOTE_BUDGET_MAX = 5
EXTEND_MINUTES = (-10, 30)


def require_leading(role: Role | None) -> None:
    if role not in LEADING:
        raise DomainError("not_leader")


def require_main_leader(role: Role | None) -> None:
    if role is not Role.LEADER:
        raise DomainError("not_main_leader")


def require_circle(role: Role | None) -> None:
    if role not in CIRCLE:
        raise DomainError("not_in_circle")


def clean_text(value: object, limit: int, *, required: bool = True) -> str:
    """Strip and bound a piece of typed text; refuse non-text, empty or overlong input."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise DomainError("bad_request", "Text must be a string.")
    text = value.strip()
    if required and not text:
        raise DomainError("empty_text")
    if len(text) > limit:
        raise DomainError("too_long", details_limit_message(limit), limit=limit)
    return text


def details_limit_message(limit: int) -> str:
    return f"The text is too long (at most {limit} characters)."


def count_sentences(text: str) -> int:
    import re

    return len([s for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s])

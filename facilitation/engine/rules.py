"""Who may do what, and how much: roles, the rule table every command passes through, limits.

``PERMISSIONS`` is the one table of who may send each command and whether it needs a running
session (in the spirit of h11's transition tables); ``Session.apply`` checks it once, before
any handler runs. What a handler still checks is about the thing acted on (this card, this
vote), never about the sender's role.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
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
RELEASE_MAX = 500  # card ids in one release_cards: more than a room ever holds
NOMINATIONS_PER_PERSON = 3
VOTE_BUDGET_MAX = 5
EXTEND_MINUTES = (-10, 30)
FORMAT_NAME_MAX = 60

# The limits a browser needs to help people type (maxlength, counters): characters by field,
# and the sentences of a pitch.
TEXT_LIMITS = {
    "name": NAME_MAX, "title": TITLE_MAX, "pitch": PITCH_MAX, "request": REQUEST_MAX,
    "card": CARD_MAX, "format_name": FORMAT_NAME_MAX, "sentences": PITCH_SENTENCES,
}


class Who(StrEnum):
    """Who may send a command. Each level's refusal code is in ``Session._authorize``."""

    SYSTEM = "system"            # the server itself: the join route, presence, retention
    CONNECTION = "connection"    # any token's own connection: people at the door, the screen
    PRESENT = "present"          # anyone let in, observers too
    CIRCLE = "circle"            # leaders and participants
    PRESENTER = "presenter"      # a case's presenter, or a leader
    LEADING = "leading"          # the leader and co-leaders
    MAIN_LEADER = "main_leader"  # the leader alone


@dataclass(frozen=True)
class Permission:
    who: Who
    running: bool = False    # refused in the lobby with session_not_started
    after_end: bool = False  # still taken once the session has ended


_LEAD, _RUN = Permission(Who.LEADING), Permission(Who.LEADING, running=True)
_CIRCLE = Permission(Who.CIRCLE)

PERMISSIONS: dict[str, Permission] = {
    # people
    "join": Permission(Who.SYSTEM),
    "leave": Permission(Who.PRESENT),
    "connected": Permission(Who.CONNECTION, after_end=True),
    "disconnected": Permission(Who.CONNECTION, after_end=True),
    "process_gone": Permission(Who.SYSTEM, after_end=True),
    "reset_presence": Permission(Who.SYSTEM, after_end=True),
    "admit": _LEAD,
    "set_locked": _LEAD,
    "hand_leadership": Permission(Who.MAIN_LEADER),
    "make_coleader": Permission(Who.MAIN_LEADER),
    # the meeting and its clock
    "start": _LEAD,
    "next_phase": _RUN,
    "previous_phase": _RUN,
    "jump_to_phase": _RUN,
    "pause": _RUN,
    "resume": _RUN,
    "extend": _RUN,
    "end_session": _LEAD,
    "expire": Permission(Who.SYSTEM),
    # cases and the vote
    "nominate": _CIRCLE,
    "withdraw_nomination": _CIRCLE,  # its author, or a leader: the handler knows the author
    "open_vote": _LEAD,
    "cast_vote": _CIRCLE,
    "retract_vote": _CIRCLE,
    "close_vote": _LEAD,
    "reveal_vote": _LEAD,
    "break_tie": _LEAD,
    "assign_case": _LEAD,
    "assign_presenter": _LEAD,
    "set_request": Permission(Who.PRESENTER, running=True),
    "set_vote_budget": _LEAD,
    # cards
    "post_card": Permission(Who.CIRCLE, running=True),
    "hide_card": _LEAD,
    "set_card_hold": _LEAD,
    "release_cards": _LEAD,
    "set_anonymity": _LEAD,
    # small groups: the leader shapes them before the first round; posting follows the role
    "split_groups": _RUN,
    "swap_people": _RUN,
    # the door
    "remove_person": _LEAD,  # never the main leader: the handler knows who is acted on
    "set_admit_each": _LEAD,
}


# JSON's \u escapes can carry half of a UTF-16 pair, which no storage or socket can encode.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def invalid_text_field(value: object) -> str | None:
    """The path (``phases[2].key``) of the first text or key in a JSON value that is not valid
    Unicode, or None. Iterative: the value may be nested as deep as the JSON parser allows."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return path or "payload"
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    return path or "payload"
                stack.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def refuse_invalid_text(value: object) -> None:
    """bad_request naming the field, when a JSON value holds text that is not valid Unicode."""
    where = invalid_text_field(value)
    if where is not None:
        raise DomainError("bad_request", f"Field '{where}' is not valid text.", field=where)


# Control characters (C0, DEL, C1) have no place in what people type: NUL or ESC would reach
# the wall, the export and terminals. Line breaks and tabs only where text may span lines.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_text(value: object, limit: int, *, field: str, required: bool = True, multiline: bool = False) -> str:
    """Strip and bound a piece of typed text; refuse non-text, text that is not valid Unicode,
    control characters, empty or overlong input. ``field`` names the field in a refusal."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise DomainError("bad_request", "Text must be a string.", field=field)
    if _LONE_SURROGATE.search(value):
        raise DomainError("bad_request", "Text must be valid Unicode.", field=field)
    # Ordinary white space around the text goes; any other control character is refused.
    if (_CONTROL if multiline else _CONTROL_ONE_LINE).search(value.strip(" \t\r\n")):
        raise DomainError("bad_request", "The text contains control characters.", field=field)
    text = value.strip()
    if required and not text:
        raise DomainError("empty_text")
    if len(text) > limit:
        raise DomainError("too_long", f"The text is too long (at most {limit} characters).", limit=limit)
    return text


def count_sentences(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?…])\s+", text.strip()) if s])

"""The session engine: pure Python, no Flask, no sockets, no database.

A meeting is a sequence of commands applied to a ``Session``; each returns events or raises a
``DomainError`` with a stable code. Clocks are injected, so a whole three-hour meeting replays
in a unit test in milliseconds.
"""
from .codec import dump, dump_format, load, load_format
from .commands import CLIENT_COMMANDS, Command, decode
from .editing import customize
from .entities import Actor, Event
from .errors import DomainError
from .formats import Format, FormatError, FormatLibrary, PhaseSpec
from .plan import Plan, session_plan
from .rules import Role, refuse_invalid_text
from .session import Session
from .timer import Clock, FakeClock, SystemClock, Timer
from .views import LEAD, PUBLIC, WAITING, audience_of, format_view, personal_view, room_view

__all__ = [
    "Actor", "CLIENT_COMMANDS", "Clock", "Command", "DomainError", "Event", "FakeClock", "Format",
    "FormatError", "FormatLibrary", "LEAD", "PUBLIC", "WAITING", "PhaseSpec", "Plan", "Role", "Session",
    "SystemClock", "Timer", "audience_of", "customize", "decode", "dump", "dump_format", "format_view", "load", "load_format", "personal_view",
    "refuse_invalid_text", "room_view", "session_plan",
]

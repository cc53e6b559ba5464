"""The things a session is made of: who acts, what happens, people, cases, cards, phase runs."""
from __future__ import annotations

from dataclasses import dataclass, field

from .rules import CIRCLE, Role


def same_socket(connection: str, replaces: str | None) -> bool:
    """``replaces`` is a device's previous socket id as its browser knew it (no process prefix)."""
    return replaces is not None and (connection == replaces or connection.endswith(f":{replaces}"))


@dataclass(frozen=True)
class Actor:
    """Who sends a command, as established by the server from a token, never by the client."""

    person_id: str | None = None
    screen: bool = False

    @classmethod
    def system(cls) -> Actor:
        return cls()


@dataclass(frozen=True)
class Event:
    """Something that happened. ``data`` holds ids and counts only, never typed text, so events
    can be logged. ``private_for`` lists people whose own view (role, votes) changed."""

    name: str
    data: dict = field(default_factory=dict)
    private_for: tuple[str, ...] = ()


@dataclass
class Person:
    id: str
    name: str
    role: Role
    joined_at: float
    connections: list[str] = field(default_factory=list)  # ids of this person's open connections
    disconnected_at: float | None = None
    left: bool = False
    waiting: bool = False  # joined after the start (or the door admits each): waits to be let in
    removed: bool = False  # a leader removed them (or turned them away at the door); implies left

    @property
    def online(self) -> bool:
        return bool(self.connections)

    @property
    def present(self) -> bool:
        return not self.left and not self.waiting

    @property
    def in_circle(self) -> bool:
        return self.role in CIRCLE and self.present


@dataclass
class Nomination:
    id: str
    author_id: str
    client_id: str
    title: str
    pitch: str
    withdrawn: bool = False
    case: int | None = None


@dataclass
class Case:
    number: int
    nomination_id: str | None = None
    title: str = ""
    presenter_id: str | None = None
    request: str = ""
    # Who may download the case: its presenter when the case's first phase began. Fixed then,
    # so no later change of presenter hands the content over.
    exporter_id: str | None = None
    # How its nomination came to it: "vote", "tie" (the leader broke one), "runner_up" (second
    # in the vote, given while the leader may still change it) or "leader" (assigned by hand).
    source: str | None = None


@dataclass
class Card:
    id: str
    client_id: str
    kind: str
    text: str
    author_id: str
    phase_key: str
    case: int | None
    posted_at: float
    hidden: bool = False
    # Fixed when posted: changing the room's setting later never reveals (or hides) an author.
    anonymous: bool = False
    held: bool = False  # waits for a leader's release before the room sees it (card hold)
    group: int | None = None  # written in a small group: its members see it, the room does not


@dataclass
class PhaseRun:
    """One visit to a phase, kept for the plan (and content-free after the session)."""

    index: int
    started_at: float
    ended_at: float | None = None

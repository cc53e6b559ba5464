"""The commands a session accepts, and their decoding from client payloads.

Decoding checks shapes and types only; the session checks roles, phases and limits.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from .errors import DomainError
from .rules import refuse_invalid_text


@dataclass(frozen=True)
class Command:
    """``command_id``: a client's own id for one press of a button. A command sent again with
    the same id (after a lost acknowledgement) changes nothing and is answered as the first was
    (``Session.apply``)."""

    name = "command"
    command_id: str | None = field(default=None, kw_only=True)


def _command(name: str):
    def wrap(cls):
        cls.name = name
        return dataclass(frozen=True)(cls)
    return wrap


@_command("join")
class Join(Command):
    name_text: str
    observer: bool = False


@_command("leave")
class Leave(Command):
    pass


@_command("connected")
class Connected(Command):
    """A connection opened; ``replaces`` names this device's previous connection (its socket id,
    with or without the ``"<process>:"`` prefix), which may have died with its server process
    without a disconnect ever being seen."""

    connection: str
    replaces: str | None = None


@_command("disconnected")
class Disconnected(Command):
    connection: str


@_command("process_gone")
class ProcessGone(Command):
    """A server process stopped without its connections ever disconnecting (killed, machine
    lost). Connection ids are ``"<process>:<socket id>"``; those of ``process`` are forgotten.
    Issued by the other processes of the deployment, never by a client."""

    process: str


@_command("reset_presence")
class ResetPresence(Command):
    """A lone server process starts again: no connection of before can still be open."""


@_command("expire")
class Expire(Command):
    """The retention window of a room passed: its content goes, as at the leader's end."""


@_command("start")
class Start(Command):
    pass


@_command("next_phase")
class NextPhase(Command):
    expect_phase: int | None = None


@_command("previous_phase")
class PreviousPhase(Command):
    expect_phase: int | None = None


@_command("jump_to_phase")
class JumpToPhase(Command):
    """``expect_phase`` on the phase moves: the phase the leader saw when pressing. A second
    press meant for the same phase is answered as the first (the room moved once)."""

    index: int
    expect_phase: int | None = None


@_command("pause")
class Pause(Command):
    pass


@_command("resume")
class Resume(Command):
    pass


@_command("extend")
class Extend(Command):
    minutes: int


@_command("nominate")
class Nominate(Command):
    client_id: str
    title: str
    pitch: str = ""


@_command("withdraw_nomination")
class WithdrawNomination(Command):
    nomination_id: str


@_command("open_vote")
class OpenVote(Command):
    case: int | None = None


@_command("cast_vote")
class CastVote(Command):
    nomination_id: str


@_command("retract_vote")
class RetractVote(Command):
    nomination_id: str


@_command("close_vote")
class CloseVote(Command):
    pass


@_command("reveal_vote")
class RevealVote(Command):
    pass


@_command("break_tie")
class BreakTie(Command):
    nomination_id: str


@_command("assign_case")
class AssignCase(Command):
    case: int
    nomination_id: str


@_command("assign_presenter")
class AssignPresenter(Command):
    case: int
    person_id: str


@_command("set_request")
class SetRequest(Command):
    text: str


@_command("post_card")
class PostCard(Command):
    client_id: str
    kind: str
    text: str


@_command("hide_card")
class HideCard(Command):
    card_id: str
    hidden: bool = True


@_command("set_card_hold")
class SetCardHold(Command):
    on: bool


@_command("release_cards")
class ReleaseCards(Command):
    """Release the held cards named, or with ``all`` every held card."""

    card_ids: list[str] | None = None
    all: bool = False


@_command("hand_leadership")
class HandLeadership(Command):
    person_id: str


@_command("make_coleader")
class MakeColeader(Command):
    person_id: str
    on: bool = True


@_command("set_anonymity")
class SetAnonymity(Command):
    kind: str
    anonymous: bool


@_command("set_vote_budget")
class SetVoteBudget(Command):
    budget: int


@_command("admit")
class Admit(Command):
    person_id: str
    admit: bool = True


@_command("remove_person")
class RemovePerson(Command):
    person_id: str


@_command("set_admit_each")
class SetAdmitEach(Command):
    """On: every join waits at the door until a leader lets them in (a meeting lobby)."""

    on: bool


@_command("set_locked")
class SetLocked(Command):
    locked: bool


@_command("split_groups")
class SplitGroups(Command):
    """Split the circle again while the groups form: another size, the leader in or out, or just
    another random draw."""

    size: int | None = None
    with_leader: bool | None = None


@_command("swap_people")
class SwapPeople(Command):
    person_id: str
    other_id: str


@_command("end_session")
class EndSession(Command):
    pass


# What a client may send over the socket, by event name. join/leave/presence come from the
# HTTP join route and the connection itself, never from a client-chosen event.
CLIENT_COMMANDS: dict[str, type[Command]] = {
    cls.name: cls for cls in (
        Start, NextPhase, PreviousPhase, JumpToPhase, Pause, Resume, Extend, Nominate,
        WithdrawNomination, OpenVote, CastVote, RetractVote, CloseVote, RevealVote, BreakTie,
        AssignCase, AssignPresenter, SetRequest, PostCard, HideCard, HandLeadership,
        MakeColeader, SetAnonymity, SetVoteBudget, EndSession, Leave, Admit, SetLocked,
        RemovePerson, SetAdmitEach,
        SetCardHold, ReleaseCards,
        SplitGroups, SwapPeople,
    )
}

_CLIENT_ID_MAX = 64


def _field_type_ok(value: object, annotation: str) -> bool:
    if annotation == "str":
        return isinstance(value, str)
    if annotation == "bool":
        return isinstance(value, bool)
    if annotation == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation == "list[str] | None":
        return value is None or (isinstance(value, list) and all(isinstance(item, str) for item in value))
    if annotation == "str | None":
        return value is None or isinstance(value, str)
    if annotation == "int | None":
        return value is None or (isinstance(value, int) and not isinstance(value, bool))
    if annotation == "bool | None":
        return value is None or isinstance(value, bool)
    raise AssertionError(annotation)


def decode(event: str, payload: object) -> Command:
    """Turn a client event and its JSON payload into a command, or refuse with bad_request."""
    cls = CLIENT_COMMANDS.get(event)
    if cls is None:
        raise DomainError("unknown_event")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise DomainError("bad_request", "The payload must be a JSON object.")
    refuse_invalid_text(payload)
    values = {}
    for f in fields(cls):
        if f.name in payload:
            value = payload[f.name]
            if not _field_type_ok(value, f.type):
                raise DomainError("bad_request", f"Field '{f.name}' must be {f.type}.", field=f.name)
            values[f.name] = value
        elif f.default is f.default_factory is field().default:  # required field
            raise DomainError("bad_request", f"Field '{f.name}' is required.", field=f.name)
    for name in ("client_id", "command_id"):
        value = values.get(name)
        if value is not None and not 1 <= len(value) <= _CLIENT_ID_MAX:
            raise DomainError("bad_request", f"Field '{name}' must be 1-64 characters.", field=name)
    unknown = set(payload) - {f.name for f in fields(cls)}
    if unknown:
        raise DomainError("bad_request", "Unknown fields in the payload.", fields=sorted(unknown))
    return cls(**values)

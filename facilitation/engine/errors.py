"""Domain errors: every refusal the engine can give, each with a stable code.

Clients translate by ``code``; ``message`` is a plain English fallback for logs and other
clients. Messages never quote what a person typed (no case content in logs).
"""
from __future__ import annotations

MESSAGES: dict[str, str] = {
    "bad_request": "The request is malformed.",
    "unknown_event": "This event does not exist.",
    "not_authenticated": "This device has no valid token for the room.",
    "not_leader": "Only the leader or co-leader may do this.",
    "not_main_leader": "Only the leader may do this.",
    "not_in_circle": "Only people in the circle may do this.",
    "not_presenter": "Only the presenter may do this.",
    "not_author": "Only its author or a leader may do this.",
    "presenter_is_silent": "The presenter is outside the circle and listens in this phase.",
    "phase_closed": "This phase does not take that kind of contribution.",
    "session_not_started": "The session has not started yet.",
    "already_started": "The session has already started.",
    "session_ended": "The session has ended.",
    "session_not_ended": "The debrief opens when the session has ended.",
    "too_few_people": "At least two people must be in the circle to start.",
    "room_full": "The circle is full (12 people).",
    "no_next_phase": "This is the last phase; end the session instead.",
    "no_previous_phase": "This is the first phase.",
    "already_paused": "The timer is already paused.",
    "not_paused": "The timer is not paused.",
    "vote_open": "A vote is open.",
    "no_vote_open": "No vote is open.",
    "vote_not_closed": "The vote has not been closed yet.",
    "no_tie": "There is no tie to break.",
    "budget_spent": "You have used all your votes.",
    "not_a_candidate": "That case is not on the ballot.",
    "no_vote_to_retract": "You have no vote on that case.",
    "no_nominations": "Nobody has nominated a case yet.",
    "nomination_used": "That case is already being discussed.",
    "too_many_nominations": "You have nominated as many cases as allowed.",
    "not_found": "No such item.",
    "too_many_cards": "You have posted as many cards as allowed in this phase.",
    "too_long": "The text is too long.",
    "empty_text": "The text is empty.",
    "unknown_person": "No such person in this room.",
    "no_case": "No case is assigned for this part of the session.",
    "leader_cannot_leave": "Hand leadership to someone else before leaving.",
    "room_locked": "The leader has closed the room to newcomers.",
    "rate_limited": "Too many attempts; please wait and try again.",
    "observers_not_allowed": "This room does not take observers.",
    "case_begun": "This case has begun: only the leader may correct its presenter, and only before anything of it was said.",
    "cannot_remove_leader": "The leader cannot be removed.",
    "too_many_formats": "As many formats are saved as allowed; this one was not saved.",
    "not_waiting": "This person is already in the room; remove them instead.",
    "server_error": "Something went wrong on the server.",
    "not_group_phase": "This phase does not split the circle into small groups.",
    "groups_started": "The rounds have begun: the groups can no longer change.",
    "groups_forming": "The groups are still forming; the first round has not begun.",
    "not_in_group": "You are not in a small group in this phase.",
    "listening_in_group": "In this step your role is to listen: you post nothing.",
    "phase_changed": "The session has moved to another phase meanwhile.",
    "unavailable": "The server cannot store anything just now; trying again.",
}


class DomainError(Exception):
    """A command the rules refuse. The state it was applied to is unchanged."""

    def __init__(self, code: str, message: str | None = None, **details: object) -> None:
        if code not in MESSAGES:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.message = message or MESSAGES[code]
        self.details = details
        super().__init__(f"{code}: {self.message}")

    def as_ack(self) -> dict:
        error: dict[str, object] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"ok": False, "error": error}

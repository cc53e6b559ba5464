"""The whole-session plan: where the group is against the planned timeline.

Planned end = start + the sum of planned phase durations. Projected end = the current phase's
expected end (never earlier than now) + the planned durations of the phases still ahead.
"""
from __future__ import annotations

from dataclasses import dataclass

from .session import Session


@dataclass(frozen=True)
class Plan:
    planned_seconds: float
    planned_end: float | None
    projected_end: float
    rest_seconds: float  # planned seconds of the phases after the current one


def session_plan(session: Session, now: float) -> Plan:
    count = len(session.format.phases)
    planned = sum(session.phase_seconds(i) for i in range(count))
    if session.status == "lobby" or session.timer is None:
        return Plan(planned, None, now + planned, planned)
    rest = sum(session.phase_seconds(i) for i in range(session.phase_index + 1, count))
    rest += session.group_seconds_after_current()
    planned_end = session.started_at + planned
    if session.status == "ended":
        return Plan(planned, planned_end, session.ended_at, 0.0)
    current_end = now + max(session.timer.remaining(now), 0.0)
    return Plan(planned, planned_end, current_end + rest, rest)

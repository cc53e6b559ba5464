"""The leaders' debrief: what a meeting was, with nothing anybody typed.

Made once, when the session ends (before its content is erased), and kept after it: every
phase planned against actual, how many people sat in the circle, how many cards each phase
drew, the planned and the actual end. Only numbers, times and the format's own titles.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .rules import CIRCLE

if TYPE_CHECKING:
    from .session import Session


def debrief_record(session: Session, ended_at: float) -> dict:
    """The content-free record of ``session``, which ends at ``ended_at``."""
    fmt = session.format
    actual: Counter[int] = Counter()
    visits: Counter[int] = Counter()
    for run in session.history:
        actual[run.index] += (run.ended_at or ended_at) - run.started_at
        visits[run.index] += 1
    cards = Counter(card.phase_key for card in session.cards)
    phases = []
    for index, phase in enumerate(fmt.phases):
        planned = session.phase_seconds(index)
        phases.append({
            "key": phase.key, "kind": phase.kind, "case": phase.case, "title": dict(phase.title),
            "planned_seconds": round(planned, 1), "actual_seconds": round(actual[index], 1),
            "visits": visits[index], "cards": cards[phase.key],
            "over": visits[index] > 0 and actual[index] > planned,
        })
    admitted = [p for p in session.people.values() if not p.waiting]
    planned_total = sum(session.phase_seconds(i) for i in range(len(fmt.phases)))
    return {
        "format_id": fmt.id, "format_name": dict(fmt.name), "time_scale": session.time_scale,
        "started_at": session.started_at, "ended_at": ended_at,
        "planned_end": session.started_at + planned_total if session.started_at else None,
        "planned_seconds": round(planned_total, 1),
        "circle": sum(1 for p in admitted if p.role in CIRCLE),
        "observers": sum(1 for p in admitted if p.role not in CIRCLE),
        "cards": len(session.cards), "phases": phases,
    }

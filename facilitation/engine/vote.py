"""The case vote: secret ballots with a per-person budget, hidden tallies, leader-broken ties."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .errors import DomainError


@dataclass
class Vote:
    case: int
    candidates: list[str]
    budget: int
    opened_at: float
    ballots: dict[str, list[str]] = field(default_factory=dict)
    closed_at: float | None = None
    tallies: dict[str, int] | None = None
    tie: list[str] | None = None
    winner: str | None = None
    revealed: bool = False

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def ballots_of(self, person_id: str) -> list[str]:
        return list(self.ballots.get(person_id, ()))

    def ballots_cast(self) -> int:
        return sum(len(b) for b in self.ballots.values())

    def voters(self) -> int:
        return sum(1 for b in self.ballots.values() if b)

    def cast(self, person_id: str, nomination_id: str) -> None:
        if nomination_id not in self.candidates:
            raise DomainError("not_a_candidate")
        mine = self.ballots.get(person_id, [])
        if len(mine) >= self.budget:
            raise DomainError("budget_spent")
        self.ballots[person_id] = mine + [nomination_id]

    def retract(self, person_id: str, nomination_id: str) -> None:
        mine = self.ballots.get(person_id, [])
        if nomination_id not in mine:
            raise DomainError("no_vote_to_retract")
        rest = list(mine)
        rest.remove(nomination_id)
        self.ballots[person_id] = rest

    def remove_candidate(self, nomination_id: str) -> tuple[str, ...]:
        """Drop a withdrawn case; returns the voters whose ballots changed."""
        self.candidates = [n for n in self.candidates if n != nomination_id]
        affected = []
        for person_id, mine in self.ballots.items():
            if nomination_id in mine:
                self.ballots[person_id] = [n for n in mine if n != nomination_id]
                affected.append(person_id)
        return tuple(affected)

    def drop_voter(self, person_id: str) -> None:
        if self.is_open:
            self.ballots.pop(person_id, None)

    def close(self, now: float) -> None:
        counts = Counter(n for mine in self.ballots.values() for n in mine)
        self.tallies = {n: counts.get(n, 0) for n in self.candidates}
        self.closed_at = now
        top = max(self.tallies.values(), default=0)
        leaders = [n for n, votes in self.tallies.items() if votes == top]
        if len(leaders) == 1:
            self.winner = leaders[0]
        else:
            self.tie = leaders

    def runner_up(self) -> str | None:
        """The best-placed case after the winner (ties among them resolved by nomination order)."""
        if not self.tallies or not self.winner:
            return None
        rest = [n for n in self.candidates if n != self.winner]
        if not rest:
            return None
        return max(rest, key=lambda n: (self.tallies[n], -self.candidates.index(n)))

    def to_dict(self) -> dict:
        return {
            "case": self.case, "candidates": list(self.candidates), "budget": self.budget,
            "opened_at": self.opened_at, "ballots": {k: list(v) for k, v in self.ballots.items()},
            "closed_at": self.closed_at, "tallies": dict(self.tallies) if self.tallies is not None else None,
            "tie": list(self.tie) if self.tie is not None else None, "winner": self.winner,
            "revealed": self.revealed,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Vote:
        return cls(**data)

"""The phase timer: the server stores when a phase ends; clients only render.

All times are UTC epoch seconds supplied by the caller, so the timer is driven by an injected
clock in tests and never sleeps.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        self._now += seconds
        return self._now


@dataclass
class Timer:
    """Countdown of one phase. ``paused_remaining`` is set only while paused.

    Remaining time may go negative: that is overtime, counted up until the leader moves on.
    """

    duration: float
    started_at: float
    ends_at: float
    paused_remaining: float | None = None

    @classmethod
    def start(cls, duration: float, now: float) -> Timer:
        return cls(duration=duration, started_at=now, ends_at=now + duration)

    @property
    def paused(self) -> bool:
        return self.paused_remaining is not None

    def remaining(self, now: float) -> float:
        if self.paused_remaining is not None:
            return self.paused_remaining
        return self.ends_at - now

    def overtime(self, now: float) -> float:
        return max(0.0, -self.remaining(now))

    def pause(self, now: float) -> None:
        self.paused_remaining = self.ends_at - now

    def resume(self, now: float) -> None:
        assert self.paused_remaining is not None
        self.ends_at = now + self.paused_remaining
        self.paused_remaining = None

    def extend(self, seconds: float) -> None:
        if self.paused_remaining is not None:
            self.paused_remaining += seconds
        else:
            self.ends_at += seconds

    def to_dict(self) -> dict:
        return {
            "duration": self.duration,
            "started_at": self.started_at,
            "ends_at": self.ends_at,
            "paused_remaining": self.paused_remaining,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Timer:
        return cls(**data)

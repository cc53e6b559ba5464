"""Attempts per key in a sliding window.

Per client address for joins: room codes are short, so guessing them (or tokens) must be slow.
Per connection for events: a flood is refused while the room goes on. Counted per process;
with several processes behind ``ip_hash`` one address reaches one process."""
from __future__ import annotations

import math
import threading
from collections import defaultdict, deque


class AttemptLimiter:
    def __init__(self, attempts: int, window_seconds: float, clock) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self.clock = clock
        self._seen: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count one attempt; returns None if allowed, else the seconds to wait."""
        now = self.clock.now()
        with self._lock:
            seen = self._seen[key]
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.attempts:
                return max(1, math.ceil(seen[0] + self.window - now))
            seen.append(now)
            if len(self._seen) > 10_000:  # forget quiet addresses so memory stays bounded
                for address in [k for k, v in self._seen.items() if not v]:
                    del self._seen[address]
            return None

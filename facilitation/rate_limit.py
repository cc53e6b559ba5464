"""Every rate limit of Krug, defined once from the configuration, on the ``limits`` package
(the one Flask-Limiter is built on).

- joins, room creations and connections with an unknown token: per client address;
- Socket.IO events (every one: commands, ``sync``, ``time_sync``, unknown names): per token
  (all connections of one device share a budget) and per address (a wider budget: a whole
  group may sit behind one venue's NAT).

Windows are moving (exactly N in any window). On one process the counts live in memory; with
``KRUG_MESSAGE_QUEUE`` they live in that Redis, so they hold across processes. Either way a
key expires with its window: nothing grows for good. When Redis does not answer, the process
counts on its own meanwhile (a limit per process is better than none or than a stalled ack).
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger("krug.rate_limit")

REDIS_TIMEOUT_SECONDS = 0.25  # a local round trip takes well under 1 ms; this bounds an ack while Redis hangs
REDIS_RETRY_SECONDS = 5.0  # after a failure, how long to count locally before asking Redis again


class SweptMemoryStorage(MemoryStorage):
    """The library's memory storage with a sweep of its own. The library sweeps every 10 ms,
    each time walking every key with a lock and a bisection (measured: 228 ms for 26 000
    moving-window keys), and keeps the key of every window it empties for good. Here a sweep
    runs every few seconds and drops each key whose newest entry has expired (a window is
    newest-first): a few milliseconds for as many keys."""

    SWEEP_SECONDS = 5.0

    def __init__(self, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self.sweep_seconds = sweep_seconds
        self.sweeps = 0
        super().__init__()

    # The library schedules through this name-mangled method; tests/test_rate_limits.py fails
    # if an upgrade renames it (its own sweep would then be back).
    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.sweep_seconds, self._sweep)
            self.timer.daemon = True
            self.timer.start()

    def _sweep(self) -> None:
        self.sweeps += 1
        now = time.time()
        for key in [k for k, entries in list(self.events.items()) if not entries or entries[0].expiry <= now]:
            with self.locks[key]:  # a hit may be filling this very key (threading mode)
                entries = self.events.get(key)
                if entries is not None and (not entries or entries[0].expiry <= now):
                    del self.events[key]
                    self.locks.pop(key, None)
        for key in [k for k, at in list(self.expirations.items()) if at <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            self.locks.pop(key, None)
        if self.keys():  # the library schedules again only at the next hit; a quiet server too
            self.timer = threading.Timer(self.sweep_seconds, self._sweep)
            self.timer.daemon = True
            self.timer.start()

    def keys(self) -> int:
        return len(self.events) + len(self.storage)


class RateLimits:
    """The budgets, read from the configuration. ``hit_*`` count one attempt and return None
    when it is allowed, else the whole seconds to wait."""

    def __init__(self, config: Mapping) -> None:
        self.join = RateLimitItemPerMinute(config["JOIN_ATTEMPTS_PER_MINUTE"])
        self.event_per_token = RateLimitItemPerSecond(config["EVENTS_PER_10S"], 10)
        self.event_per_address = RateLimitItemPerSecond(config["EVENTS_PER_ADDRESS_PER_10S"], 10)
        self.local_storage = SweptMemoryStorage()
        self._local = MovingWindowRateLimiter(self.local_storage)
        self._shared = None
        queue = config.get("MESSAGE_QUEUE")
        if queue:
            storage = RedisStorage(queue, key_prefix=f"{config.get('MESSAGE_QUEUE_CHANNEL', 'krug')}:limits",
                                   wrap_exceptions=True, socket_timeout=REDIS_TIMEOUT_SECONDS,
                                   socket_connect_timeout=REDIS_TIMEOUT_SECONDS)
            self._shared = MovingWindowRateLimiter(storage)
        self._redis_failed_at: float | None = None

    def hit_join(self, address: str) -> int | None:
        return self._hit(self.join, "join", address)

    def hit_event(self, token_key: str | None, address: str) -> int | None:
        if token_key is not None:
            wait = self._hit(self.event_per_token, "event-token", token_key)
            if wait is not None:
                return wait
        return self._hit(self.event_per_address, "event-address", address)

    def _hit(self, item: RateLimitItem, *keys: str) -> int | None:
        if self._shared is not None and not self._redis_resting():
            try:
                wait = self._wait(self._shared, item, keys)
            except StorageError:
                if self._redis_failed_at is None:
                    log.warning("rate limits: Redis does not answer; counting in this process meanwhile")
                self._redis_failed_at = time.monotonic()
            else:
                if self._redis_failed_at is not None:
                    self._redis_failed_at = None
                    log.info("rate limits: counting in Redis again")
                return wait
        return self._wait(self._local, item, keys)

    def _redis_resting(self) -> bool:
        return self._redis_failed_at is not None and time.monotonic() - self._redis_failed_at < REDIS_RETRY_SECONDS

    @staticmethod
    def _wait(limiter: MovingWindowRateLimiter, item: RateLimitItem, keys: tuple[str, ...]) -> int | None:
        if limiter.hit(item, *keys):
            return None
        reset = limiter.get_window_stats(item, *keys).reset_time
        return max(1, math.ceil(reset - time.time()))

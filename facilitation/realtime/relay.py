"""Broadcasts between the processes of one deployment, over Redis, that survive Redis failing.

python-socketio's ``RedisManager`` publishes on the request path (an acknowledgement waited
for a hung Redis: 10 s measured), and its listener, once Redis is gone, waits a growing delay
before trying again (5 s after a 10 s outage, 23 s after a 40 s one), all the while deaf and
telling nobody. ``RedisRelay`` keeps the manager's message format and room logic and changes
only how it talks to Redis:

- publishing goes through a bounded queue drained by one green thread, so an acknowledgement
  never waits for Redis; when the queue overflows the oldest messages go (they are snapshots,
  superseded by the resync below);
- the listener tries again every ``RETRY_SECONDS``, and pings Redis while the channel is quiet,
  so a hung Redis is noticed within ``DEAF_AFTER_SECONDS`` instead of never;
- after any gap (a lost subscription here, or messages this process could not publish) every
  process resyncs its own connections: each gets a full snapshot (``on_gap_closed``).

``listening`` and ``publishing`` say whether the relay works; ``/healthz`` reports them.
"""
from __future__ import annotations

import logging
import queue
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from socketio import RedisManager

log = logging.getLogger("krug.relay")

RETRY_SECONDS = 0.25
PING_SECONDS = 1.0
DEAF_AFTER_SECONDS = 3.0
SOCKET_TIMEOUT_SECONDS = 2.0
QUEUE_SIZE = 1000
# Sent by a process that lost messages it should have published: the others resync too.
RESYNC = "krug:resync"


def listen_now(server) -> None:
    """python-socketio starts its manager at the first connection; a process should hear the
    others (and ``/healthz`` judge that) from its start."""
    if not server.manager_initialized:
        server.manager_initialized = True
        server.manager.initialize()


class RedisRelay(RedisManager):
    name = "krug-redis"

    def __init__(self, url: str, channel: str, on_gap_closed=None, queue_size: int = QUEUE_SIZE) -> None:
        options = {"socket_timeout": SOCKET_TIMEOUT_SECONDS, "socket_connect_timeout": SOCKET_TIMEOUT_SECONDS,
                   # No silent reconnects inside redis-py: the relay notices every gap itself.
                   "retry": Retry(NoBackoff(), 0), "retry_on_error": []}
        super().__init__(url, channel=channel, redis_options=options)
        self.on_gap_closed = on_gap_closed
        self.outbox: queue.Queue = queue.Queue(maxsize=queue_size)
        self.listening = False        # subscribed, and Redis answered within DEAF_AFTER_SECONDS
        self.publishing = True        # the last publish reached Redis
        self.deaf_since: float | None = None  # monotonic; None while listening
        self.dropped = 0              # messages never published (Redis down, queue full)
        self.gaps = 0                 # subscriptions lost and regained
        self._lost_messages = False   # published nothing for a while: ask everyone to resync
        self._publisher = None

    # ------------------------------------------------------------------ publishing

    def initialize(self) -> None:
        super().initialize()
        self.server.start_background_task(self._drain)

    def _publish(self, data) -> None:
        """Off the request path: queue, and let ``_drain`` talk to Redis."""
        while True:
            try:
                self.outbox.put_nowait(data)
                return
            except queue.Full:
                try:
                    self.outbox.get_nowait()
                    self.dropped += 1
                    self._lost_messages = True
                except queue.Empty:
                    pass

    def _drain(self) -> None:
        while True:
            try:
                # While publishing fails, try Redis again now and then even if nothing is sent,
                # so a quiet process learns (and /healthz says) that it is back.
                data = self.outbox.get(timeout=None if self.publishing else 1.0)
            except queue.Empty:
                data = None
            try:
                if self._publisher is None:
                    self._publisher = redis.Redis.from_url(self.redis_url, **self.redis_options)
                if self._lost_messages:
                    request = {"method": RESYNC, "host_id": self.host_id}
                    self._publisher.publish(self.channel, self.json.dumps(request, separators=(",", ":")))
                    self._lost_messages = False
                if data is not None:
                    self._publisher.publish(self.channel, self.json.dumps(data))
                else:
                    self._publisher.ping()
                if not self.publishing:
                    log.warning("message queue: publishing again (%d messages lost meanwhile)", self.dropped)
                self.publishing = True
            except Exception as exc:  # noqa: BLE001 — any failure to reach Redis
                if data is not None:
                    self.dropped += 1
                self._lost_messages = True
                if self.publishing:
                    log.warning("message queue: cannot publish (%s); broadcasts to other processes are lost "
                                "until it is back, then every process resyncs", type(exc).__name__)
                self.publishing = False
                self._publisher = None

    # ------------------------------------------------------------------ listening

    def _redis_listen_with_retries(self):
        first = True
        while True:
            client = pubsub = None
            try:
                client = redis.Redis.from_url(self.redis_url, **self.redis_options)
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                yield from self._listen_on(pubsub, first)
            except Exception as exc:  # noqa: BLE001 — any failure of Redis: try again soon
                if self.listening or first:
                    log.warning("message queue: not listening (%s); trying again every %.2f s",
                                type(exc).__name__, RETRY_SECONDS)
                self._deaf()
            finally:
                first = False
                for closable in (pubsub, client):
                    try:
                        if closable is not None:
                            closable.close()
                    except Exception:  # noqa: BLE001 — already broken
                        pass
            time.sleep(RETRY_SECONDS)

    def _listen_on(self, pubsub, first: bool):
        heard = time.monotonic()
        pinged = heard
        while True:
            message = pubsub.get_message(timeout=PING_SECONDS)
            now = time.monotonic()
            if message is not None:
                heard = now
                if message["type"] == "subscribe":
                    self._subscribed(first)
                elif message["type"] == "message":
                    yield message
                continue
            if now - heard > DEAF_AFTER_SECONDS:
                raise TimeoutError("Redis did not answer")
            if now - pinged >= PING_SECONDS:
                pubsub.ping()
                pinged = now

    def _subscribed(self, first: bool) -> None:
        gap = self.deaf_since is not None
        seconds = time.monotonic() - self.deaf_since if gap else 0.0
        self.listening = True
        self.deaf_since = None
        if not first or gap:
            self.gaps += 1
            log.warning("message queue: listening again after %.1f s; resyncing this process's connections", seconds)
            self._resync()

    def _deaf(self) -> None:
        self.listening = False
        if self.deaf_since is None:
            self.deaf_since = time.monotonic()

    def _resync(self) -> None:
        if self.on_gap_closed is not None:
            self.server.start_background_task(self.on_gap_closed)

    def _listen(self):
        channel = self.channel.encode("utf-8")
        for message in self._redis_listen_with_retries():
            if message["channel"] != channel or "data" not in message:
                continue
            data = message["data"]
            if isinstance(data, bytes) and data.startswith(_RESYNC_PREFIX):
                self._on_resync_request(data)
                continue
            yield data

    def _on_resync_request(self, data: bytes) -> None:
        try:
            host = self.json.loads(data).get("host_id")
        except ValueError:
            return
        if host != self.host_id:
            log.warning("message queue: another process lost broadcasts; resyncing this process's connections")
            self._resync()


# The manager's listener ignores methods it does not know; this one is read before it.
_RESYNC_PREFIX = b'{"method":"' + RESYNC.encode() + b'"'

"""The Redis relay without Redis: publishing never blocks and stays bounded; and the parts of
python-socketio's manager it replaces are still where it expects them (an upgrade that moves
them fails here, not silently in production)."""
from __future__ import annotations

import inspect

from socketio import RedisManager
from socketio.pubsub_manager import PubSubManager

from facilitation.realtime.relay import RESYNC, RedisRelay


def test_publishing_queues_and_drops_the_oldest_when_full():
    relay = RedisRelay("redis://127.0.0.1:1/0", channel="test", queue_size=3)
    for i in range(5):
        relay._publish({"method": "emit", "n": i})  # no Redis at all: returns at once
    assert relay.outbox.qsize() == 3 and relay.dropped == 2
    assert [relay.outbox.get_nowait()["n"] for _ in range(3)] == [2, 3, 4]
    assert relay._lost_messages  # the others are asked to resync once publishing works again


def test_the_manager_still_has_what_the_relay_replaces():
    for name in ("_publish", "_listen", "_redis_listen_with_retries", "_redis_connect"):
        assert callable(getattr(RedisManager, name)), name
    assert "RedisManager" in {cls.__name__ for cls in RedisRelay.__mro__}
    # The listener thread ignores methods it does not know, so the resync request is safe even
    # for a process that would not read it first.
    source = inspect.getsource(PubSubManager._thread)
    assert "data['method'] == 'emit'" in source and RESYNC not in source
    assert "self._listen()" in source

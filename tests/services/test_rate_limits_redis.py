"""Rate limits in Redis when KRUG_MESSAGE_QUEUE is set: one budget across processes, keys that
expire. On the machine's Redis, under this test's own key prefix (the channel)."""
from __future__ import annotations

import uuid

import redis

from config import TestConfig
from facilitation.rate_limit import RateLimits


def test_two_processes_share_one_budget_per_token(cluster, clients):
    a, b = cluster(KRUG_EVENTS_PER_10S="20")
    room = a.create_room("Lea")
    token = a.join(room["code"], "Anna").json()["token"]
    on_a, on_b = clients(a, token).connect(), clients(b, token).connect()
    acks = [(on_a if i % 2 else on_b).emit("time_sync") for i in range(30)]
    refused = [ack for ack in acks if not ack["ok"]]
    assert len(refused) == 10 and all(ack["error"]["code"] == "rate_limited" for ack in refused)


def test_keys_live_in_redis_under_the_channel_and_expire(redis_url):
    channel = f"krug-test-{uuid.uuid4().hex[:8]}"
    config = {**vars(TestConfig()), "MESSAGE_QUEUE": redis_url, "MESSAGE_QUEUE_CHANNEL": channel,
              "JOIN_ATTEMPTS_PER_MINUTE": 2}
    first, second = RateLimits(config), RateLimits(config)  # two processes
    assert first.hit_join("10.1.2.3") is None
    assert second.hit_join("10.1.2.3") is None
    assert first.hit_join("10.1.2.3") is not None
    assert second.hit_join("10.1.2.3") is not None
    client = redis.Redis.from_url(redis_url)
    keys = client.keys(f"{channel}:limits*")
    try:
        assert keys
        assert all(0 < client.ttl(key) <= 60 for key in keys)
        assert first.local_storage.keys() == 0  # nothing counted in the process itself
    finally:
        if keys:
            client.delete(*keys)


def test_without_redis_a_process_counts_on_its_own(redis_url):
    config = {**vars(TestConfig()), "MESSAGE_QUEUE": "redis://127.0.0.1:1/0",
              "MESSAGE_QUEUE_CHANNEL": "krug-test-nowhere", "JOIN_ATTEMPTS_PER_MINUTE": 1}
    limits = RateLimits(config)
    assert limits.hit_join("10.9.9.9") is None
    assert limits.hit_join("10.9.9.9") is not None
    assert limits.local_storage.keys() == 1

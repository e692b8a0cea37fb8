"""The shared cache on Redis (servicedesk/cache.py), where the API's throttle counts each key's
requests: its counters are exact under concurrent requests, and a key over its rate is refused."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.test import Client

from servicedesk.api.throttling import ApiKeyThrottle
from servicedesk.cache import ReusedClientRedisCache
from tickets import api_keys

pytestmark = pytest.mark.integration


@pytest.fixture
def redis_cache(settings):
    if not settings.REDIS_URL:
        pytest.fail("integration tests need REDIS_URL (run them through `make test`)")
    cache = ReusedClientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["counter", "missing"])


def test_a_counter_counts_every_concurrent_increment_once(redis_cache):
    with pytest.raises(ValueError):
        redis_cache.incr("missing")  # as Django's: only an existing key
    assert redis_cache.add("counter", 1, timeout=60)

    def bump():
        for _ in range(50):
            redis_cache.incr("counter")

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert redis_cache.get("counter") == 401
    assert redis_cache.get_many(["counter", "missing"]) == {"counter": 401}
    assert redis_cache.get("missing") is None


def test_a_key_over_its_rate_is_refused_when_counted_in_redis(redis_cache, monkeypatch):
    monkeypatch.setattr(ApiKeyThrottle, "cache", redis_cache)
    monkeypatch.setattr(ApiKeyThrottle, "THROTTLE_RATES", {**ApiKeyThrottle.THROTTLE_RATES, "api_key": "3/min"})
    _client, key = api_keys.api_client_create(name=f"busy-{uuid.uuid4().hex[:8]}")
    api = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")

    answers = [api.get("/api/v1/tickets/") for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0

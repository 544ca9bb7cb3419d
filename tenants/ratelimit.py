"""Per-connection rate-limit counters, changed by one atomic operation.

Fixed one-minute windows keyed by connection and group. With REDIS_URL the
counter is a Redis key incremented by a Lua script (INCR, and PEXPIRE on the
first hit), so every web process shares it and concurrent requests can never
be over-admitted. Without Redis, a process-local counter under a lock serves
the embedded single-process mode.

If Redis is unreachable the limiter fails open (requests are served, a
warning is logged): refusing all traffic because a counter is down would turn
a cache outage into an API outage.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger("api.ratelimit")

_LUA_HIT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return current
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds when the window ends
    window: int
    count: int = 0  # this request's position in the window (0 when the store was unavailable)

    @property
    def is_first_refusal(self) -> bool:
        """Exactly one request per connection, group and window is the first one over the limit."""
        return self.count == self.limit + 1

    @property
    def retry_after(self) -> int:
        return max(1, self.reset_at - int(time.time()))


class LocalCounter:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def incr(self, key: str, ttl_seconds: int) -> int:
        now = time.time()
        with self._lock:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
            count, expires = self._counts.get(key, (0, now + ttl_seconds))
            if expires <= now:
                count, expires = 0, now + ttl_seconds
            count += 1
            self._counts[key] = (count, expires)
            return count


class RedisCounter:
    def __init__(self, url: str):
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_LUA_HIT)

    def incr(self, key: str, ttl_seconds: int) -> int:
        return int(self._script(keys=[key], args=[ttl_seconds * 1000]))


_counter = None
_counter_lock = threading.Lock()


def counter():
    global _counter
    if _counter is None:
        with _counter_lock:
            if _counter is None:
                _counter = RedisCounter(settings.REDIS_URL) if settings.REDIS_URL else LocalCounter()
    return _counter


def reset_counter_for_tests() -> None:
    global _counter
    _counter = None


def hit(*, connection_id: int, group: str, limit: int, window: int | None = None) -> Verdict:
    window = window or settings.RATE_LIMIT_WINDOW_SECONDS
    now = time.time()
    window_index = int(now // window)
    reset_at = (window_index + 1) * window
    key = f"rl:{connection_id}:{group}:{window_index}"
    try:
        count = counter().incr(key, window + 1)
    except Exception:
        logger.warning("rate-limit store unavailable; failing open", exc_info=True)
        return Verdict(True, limit, limit, reset_at, window)
    return Verdict(count <= limit, limit, max(0, limit - count), reset_at, window, count)

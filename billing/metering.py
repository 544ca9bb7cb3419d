"""Per-request metering of /v1: what is counted, where it accumulates, and how the flush claims it.

What is counted, per connection, environment, UTC hour and endpoint group
--------------------------------------------------------------------------
A request is metered when it names a connection: it authenticated
(`request.api_scope`), or its credential failed but carried a key or token id
that belongs to a connection (`request.api_auth_failed_key_id`; the policy
counts authentication activity, so such attempts count as `auth_failures`
and their bytes count like any other).

* ``bytes_in`` — the request as it came over the wire, rebuilt from the WSGI environ:
  ``len(METHOD + " " + RAW_URI + " " + SERVER_PROTOCOL + "\\r\\n")``
  ``+ Σ len(Name + ": " + value + "\\r\\n")`` over every ``HTTP_*`` variable and
  ``CONTENT_LENGTH`` that has a non-empty value, and ``CONTENT_TYPE`` only when the
  request has a body (WSGI servers such as wsgiref invent a Content-Type for
  bodiless requests that never crossed the wire)
  ``+ len("\\r\\n") + body length`` (the body actually read, else CONTENT_LENGTH).
  RAW_URI is the server's raw request target when it provides one (gunicorn
  RAW_URI, REQUEST_URI), otherwise ``request.get_full_path()``.
* ``bytes_out`` — the response exactly as the application hands it to the WSGI server,
  counted when the server closes the response (so headers added by outer
  middleware and compression are included):
  ``len(SERVER_PROTOCOL + " " + status + " " + reason + "\\r\\n")``
  ``+ Σ len(Name + ": " + value + "\\r\\n")`` over response headers and Set-Cookie lines
  ``+ len("\\r\\n") + body length`` (for streaming responses, the sum of the chunks sent).
  Headers the HTTP server itself adds (Date, Server, Connection) are not visible
  to the application and not counted.
* ``requests``, ``errors_4xx``, ``errors_5xx``, ``duration_ms`` (sum), a latency
  histogram over LATENCY_BUCKETS_MS (p50/p95 per hour without keeping every
  request), ``token_mints`` (successful POST /v1/auth/token) and ``auth_failures``.

Endpoint group: the first segment of the matched URL *route* under /v1
(``orders``, ``shipments``, ``inventory``, ``auth`` …), never of the raw path,
so it stays a small, stable set; unmatched paths are ``unknown``.

Where it accumulates
--------------------
* With ``settings.REDIS_URL``: one pipelined MULTI per request — HINCRBY on the
  hash ``mt:acc:<hour>`` (fields ``conn|tenant|env|group|metric``), SADD of that
  key to ``mt:pending``, and LPUSH/LTRIM/EXPIRE of the connection's request log.
  The flush claims keys atomically with a Lua script that RENAMEs each pending
  hash to ``mt:claim:<batch>:<hour>`` and records it in ``mt:claims``; the claim
  is deleted only after the database transaction that applied it (and wrote
  its id into the UsageFlush ledger) committed. A crash at any point loses
  nothing and a retry cannot double-count: an unapplied claim is applied on the
  next flush, an applied one is only deleted.
* Without Redis (embedded mode): a dict in this process under a lock, and a
  deque per connection for the request log. The flush swaps the dict out as a
  numbered batch that stays pending until its transaction committed (same
  ledger), so a failed flush is retried with the same id. The web process runs
  its own flusher thread every METERING_LOCAL_FLUSH_SECONDS (the Celery worker
  is another process and cannot see this memory). **A hard crash of the web
  process loses what was counted since the last successful flush (at most
  about a minute of traffic plus any batch whose flush kept failing) and the
  request log**. Interpreter exit (Ctrl-C / SIGINT) runs a final flush; a bare SIGTERM
  or SIGKILL does not, so it counts as a hard crash here.

No database row is written per request. The only per-request database read is
the connection lookup for a failed credential (cached).
"""

from __future__ import annotations

import atexit
import json
import logging
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings

from billing.models import COUNTER_FIELDS, LATENCY_BUCKETS_MS

logger = logging.getLogger("billing.metering")

_GROUP_CLEAN = re.compile(r"[^a-z0-9_-]")
CRLF = 2


# --- Byte counting ---------------------------------------------------------------------------------


def request_bytes(request) -> int:
    """Bytes in, by the formula in the module docstring."""
    meta = request.META
    target = meta.get("RAW_URI") or meta.get("REQUEST_URI") or request.get_full_path()
    protocol = meta.get("SERVER_PROTOCOL") or "HTTP/1.1"
    total = len(request.method) + 1 + len(target) + 1 + len(protocol) + CRLF
    has_body = meta.get("CONTENT_LENGTH") not in (None, "", "0")
    for key, value in meta.items():
        if not value:
            continue
        if key.startswith("HTTP_"):
            total += len(key) - 5 + 2 + len(value) + CRLF
        elif key == "CONTENT_TYPE" and has_body:
            total += 12 + 2 + len(value) + CRLF
        elif key == "CONTENT_LENGTH":
            total += 14 + 2 + len(value) + CRLF
    total += CRLF
    body = getattr(request, "_body", None)
    if body is not None:
        total += len(body)
    else:
        try:
            total += int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            pass
    return total


def response_head_bytes(response, protocol: str) -> int:
    """Status line, headers and the blank line, as the WSGI handler sends them."""
    total = len(protocol) + 1 + len(str(response.status_code)) + 1 + len(response.reason_phrase) + CRLF
    for name, value in response.items():
        total += len(name) + 2 + len(str(value)) + CRLF
    for cookie in response.cookies.values():
        total += len("Set-Cookie") + 2 + len(cookie.output(header="").lstrip()) + CRLF
    return total + CRLF


def endpoint_group(request) -> str:
    """First segment of the matched route under /v1 (see module docstring)."""
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", "") or ""
    if route.startswith("v1/"):
        route = route[3:]
    segment = route.split("/", 1)[0]
    if not segment or segment[0] in "^<(":
        return "unknown"
    return _GROUP_CLEAN.sub("", segment.lower())[:32] or "unknown"


def latency_bucket(duration_ms: float) -> int:
    for index, bound in enumerate(LATENCY_BUCKETS_MS):
        if duration_ms <= bound:
            return index
    return len(LATENCY_BUCKETS_MS)


# --- Samples, batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BucketKey:
    """One accumulator bucket: hour start (unix seconds), connection, tenant, environment, endpoint group."""

    hour: int
    connection_id: int
    tenant_id: int
    environment: str
    group: str


@dataclass
class Batch:
    """Counters claimed by one flush; `batch_id` goes into the UsageFlush ledger when applied."""

    batch_id: str
    rows: dict[BucketKey, dict[str, int]] = field(default_factory=dict)
    token: object = None  # store-specific handle for done()


def _hour_of(ts: float) -> int:
    return int(ts // 3600) * 3600


def _field(key: BucketKey, metric: str) -> str:
    return f"{key.connection_id}|{key.tenant_id}|{key.environment}|{key.group}|{metric}"


def _parse_hash(hour: int, data: dict) -> dict[BucketKey, dict[str, int]]:
    rows: dict[BucketKey, dict[str, int]] = {}
    for raw_field, raw_value in data.items():
        text = raw_field.decode() if isinstance(raw_field, bytes) else raw_field
        conn, tenant, env, group, metric = text.split("|")
        key = BucketKey(hour, int(conn), int(tenant), env, group)
        rows.setdefault(key, {})[metric] = rows.get(key, {}).get(metric, 0) + int(raw_value)
    return rows


def _merge(target: dict[BucketKey, dict[str, int]], source: dict[BucketKey, dict[str, int]]) -> None:
    for key, counters in source.items():
        slot = target.setdefault(key, {})
        for metric, value in counters.items():
            slot[metric] = slot.get(metric, 0) + value


# --- Stores ----------------------------------------------------------------------------------------


class LocalStore:
    """Embedded mode: an in-process buffer, pending batches and per-connection request-log deques."""

    def __init__(self):
        self._lock = threading.Lock()
        self._buffer: dict[BucketKey, dict[str, int]] = {}
        self._pending: dict[str, Batch] = {}
        self._logs: OrderedDict[int, deque] = OrderedDict()

    def add(self, key: BucketKey, counters: dict[str, int], log_entry: dict) -> None:
        with self._lock:
            slot = self._buffer.setdefault(key, {})
            for metric, value in counters.items():
                slot[metric] = slot.get(metric, 0) + value
            log = self._logs.get(key.connection_id)
            if log is None:
                log = self._logs[key.connection_id] = deque(maxlen=settings.REQUEST_LOG_MAX_ENTRIES)
                if len(self._logs) > 20_000:
                    self._logs.popitem(last=False)
            log.appendleft(log_entry)

    def claim(self) -> list[Batch]:
        with self._lock:
            if self._buffer:
                batch = Batch(batch_id=f"local:{uuid.uuid4().hex}", rows=self._buffer)
                self._pending[batch.batch_id] = batch
                self._buffer = {}
            return list(self._pending.values())

    def done(self, batch: Batch) -> None:
        with self._lock:
            self._pending.pop(batch.batch_id, None)

    def unflushed(self) -> dict[BucketKey, dict[str, int]]:
        with self._lock:
            out: dict[BucketKey, dict[str, int]] = {}
            for batch in self._pending.values():
                _merge(out, batch.rows)
            _merge(out, self._buffer)
            return out

    def logs(self, connection_ids) -> dict[int, list[dict]]:
        with self._lock:
            return {cid: list(self._logs.get(cid, ())) for cid in connection_ids}

    def reset(self) -> None:
        with self._lock:
            self._buffer, self._pending, self._logs = {}, {}, OrderedDict()


_LUA_CLAIM = """
local keys = redis.call('SMEMBERS', KEYS[1])
for _, k in ipairs(keys) do
  redis.call('SREM', KEYS[1], k)
  if redis.call('EXISTS', k) == 1 then
    local claimed = 'mt:claim:' .. ARGV[1] .. ':' .. string.sub(k, 8)
    redis.call('RENAME', k, claimed)
    redis.call('PERSIST', claimed)
    redis.call('SADD', KEYS[2], claimed)
  end
end
return #keys
"""


class RedisStore:
    """Shared mode: accumulators, claims and request logs in Redis (see module docstring)."""

    PENDING = "mt:pending"
    CLAIMS = "mt:claims"
    ACC_TTL = 7 * 24 * 3600  # only reached if flushing stopped for a week

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._claim = self.client.register_script(_LUA_CLAIM)

    def add(self, key: BucketKey, counters: dict[str, int], log_entry: dict) -> None:
        acc = f"mt:acc:{key.hour}"
        log_key = f"mt:log:{key.connection_id}"
        pipe = self.client.pipeline(transaction=True)
        for metric, value in counters.items():
            pipe.hincrby(acc, _field(key, metric), value)
        pipe.expire(acc, self.ACC_TTL)
        pipe.sadd(self.PENDING, acc)
        pipe.lpush(log_key, json.dumps(log_entry, separators=(",", ":")))
        pipe.ltrim(log_key, 0, settings.REQUEST_LOG_MAX_ENTRIES - 1)
        pipe.expire(log_key, settings.REQUEST_LOG_MAX_AGE_SECONDS)
        pipe.execute()

    def claim(self) -> list[Batch]:
        self._claim(keys=[self.PENDING, self.CLAIMS], args=[uuid.uuid4().hex])
        names = sorted(n.decode() for n in self.client.smembers(self.CLAIMS))
        pipe = self.client.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(name)
        batches = []
        for name, data in zip(names, pipe.execute(), strict=True):
            hour = int(name.rsplit(":", 1)[1])
            batches.append(Batch(batch_id=name, rows=_parse_hash(hour, data), token=name))
        return batches

    def done(self, batch: Batch) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(batch.token)
        pipe.srem(self.CLAIMS, batch.token)
        pipe.execute()

    def unflushed(self) -> dict[BucketKey, dict[str, int]]:
        out: dict[BucketKey, dict[str, int]] = {}
        names = sorted(n.decode() for n in self.client.smembers(self.PENDING))
        for name in names:
            _merge(out, _parse_hash(int(name.rsplit(":", 1)[1]), self.client.hgetall(name)))
        return out

    def logs(self, connection_ids) -> dict[int, list[dict]]:
        ids = list(connection_ids)
        pipe = self.client.pipeline(transaction=False)
        for cid in ids:
            pipe.lrange(f"mt:log:{cid}", 0, -1)
        return {cid: [json.loads(item) for item in items] for cid, items in zip(ids, pipe.execute(), strict=True)}

    def reset(self) -> None:
        """Tests only: forget every metering key of this Redis database."""
        for name in self.client.scan_iter(match="mt:*", count=1000):
            self.client.delete(name)


_store = None
_store_lock = threading.Lock()


def store():
    """The process's store: Redis when REDIS_URL is set, else the in-process buffer."""
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                _store = RedisStore(settings.REDIS_URL) if settings.REDIS_URL else LocalStore()
    return _store


def reset_for_tests() -> None:
    """Empty the store (and forget it, so a changed REDIS_URL takes effect)."""
    global _store
    if _store is not None:
        _store.reset()
    _store = None


# --- Recording -------------------------------------------------------------------------------------

_hint_cache: OrderedDict[str, tuple[int, int, str] | None] = OrderedDict()


def connection_for_hint(key_id: str) -> tuple[int, int, str] | None:
    """(connection id, tenant id, environment) of the key or token a failing credential names, cached."""
    if key_id in _hint_cache:
        return _hint_cache[key_id]
    from tenants.models import AccessToken, ApiKey

    row = (
        ApiKey.objects.filter(key_id=key_id)
        .values_list("connection_id", "connection__tenant_id", "connection__environment")
        .first()
        or AccessToken.objects.filter(token_id=key_id)
        .values_list("connection_id", "connection__tenant_id", "connection__environment")
        .first()
    )
    _hint_cache[key_id] = row
    if len(_hint_cache) > 10_000:
        _hint_cache.popitem(last=False)
    return row


def record(
    *,
    key: BucketKey,
    status: int,
    bytes_in: int,
    bytes_out: int,
    duration_ms: float,
    token_mint: bool = False,
    auth_failure: bool = False,
    log_entry: dict,
) -> None:
    """Add one request to the accumulator and the connection's request log."""
    counters = {
        "requests": 1,
        "bytes_in": bytes_in,
        "bytes_out": bytes_out,
        "duration_ms": int(round(duration_ms)),
        f"lat_{latency_bucket(duration_ms)}": 1,
    }
    if 400 <= status < 500:
        counters["errors_4xx"] = 1
    elif status >= 500:
        counters["errors_5xx"] = 1
    if token_mint:
        counters["token_mints"] = 1
    if auth_failure:
        counters["auth_failures"] = 1
    store().add(key, counters, log_entry)
    _ensure_local_flusher()


def observe(request, response, duration_ms: float) -> None:
    """Meter one /v1 request: count bytes in now, bytes out when the server closes the response."""
    scope = getattr(request, "api_scope", None)
    auth_failure = False
    if scope is not None:
        ident = (scope.connection.pk, scope.tenant.pk, scope.environment)
    else:
        hint = getattr(request, "api_auth_failed_key_id", None)
        ident = connection_for_hint(hint) if hint else None
        if ident is None:
            return
        auth_failure = True
    now = time.time()
    group = endpoint_group(request)
    route = getattr(getattr(request, "resolver_match", None), "route", "")
    status = response.status_code
    token_mint = route == "v1/auth/token" and request.method == "POST" and 200 <= status < 300
    bytes_in = request_bytes(request)
    protocol = request.META.get("SERVER_PROTOCOL") or "HTTP/1.1"
    streamed = [0]
    if response.streaming:
        response.streaming_content = _counting(response.streaming_content, streamed)
    path = request.get_full_path()[:500]
    request_id = getattr(request, "request_id", "")
    method = request.method

    def finish():
        body = streamed[0] if response.streaming else len(response.content)
        bytes_out = response_head_bytes(response, protocol) + body
        record(
            key=BucketKey(_hour_of(now), ident[0], ident[1], ident[2], group),
            status=status,
            bytes_in=bytes_in,
            bytes_out=bytes_out,
            duration_ms=duration_ms,
            token_mint=token_mint,
            auth_failure=auth_failure,
            log_entry={
                "t": now,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                "request_id": request_id,
            },
        )

    def finish_safely():
        try:
            finish()
        except Exception:
            logger.warning("metering failed for request %s", request_id, exc_info=True)

    response._resource_closers.append(finish_safely)


def _counting(chunks, counter: list[int]):
    for chunk in chunks:
        counter[0] += len(chunk)
        yield chunk


def log_time(entry: dict) -> datetime:
    return datetime.fromtimestamp(entry["t"], tz=UTC)


# --- Embedded-mode flusher -------------------------------------------------------------------------

_flusher_started = False


def _under_test_harness() -> bool:
    # setup_test_environment() installs mail.outbox; tests flush explicitly and must not race a thread.
    from django.core import mail

    return hasattr(mail, "outbox")


def _ensure_local_flusher() -> None:
    """Start this web process's flusher thread once (embedded mode only; see module docstring)."""
    global _flusher_started
    if _flusher_started or settings.REDIS_URL or settings.METERING_LOCAL_FLUSH_SECONDS <= 0:
        return
    with _store_lock:
        if _flusher_started:
            return
        _flusher_started = True
    if _under_test_harness():
        return
    interval = settings.METERING_LOCAL_FLUSH_SECONDS

    def loop():
        from billing.services import usage_flush

        while True:
            time.sleep(interval)
            try:
                usage_flush()
            except Exception:
                logger.warning("embedded metering flush failed; will retry", exc_info=True)

    threading.Thread(target=loop, name="metering-flusher", daemon=True).start()
    atexit.register(_final_flush)


def _final_flush() -> None:
    try:
        from billing.services import usage_flush

        usage_flush()
    except Exception:
        logger.warning("final metering flush failed", exc_info=True)


__all__ = ["COUNTER_FIELDS", "Batch", "BucketKey", "observe", "record", "store"]

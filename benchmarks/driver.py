"""A small concurrent HTTP driver for loopback servers (threads, one connection per request like sync gunicorn)."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import orjson


@dataclass
class Call:
    method: str
    path: str
    body: dict | None = None
    headers: dict | None = None
    tag: str = ""


@dataclass
class Outcome:
    call: Call
    status: int
    seconds: float
    body: bytes
    started: float
    error: str = ""

    def json(self):
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None


def request(base_url: str, call: Call, key: str | None = None, timeout: float = 30) -> Outcome:
    parts = urlsplit(base_url)
    headers = {"Accept": "application/json", **(call.headers or {})}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    payload = None
    if call.body is not None:
        payload = orjson.dumps(call.body)
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(call.method, call.path, body=payload, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return Outcome(call, response.status, time.perf_counter() - started, body, started)
    except (OSError, http.client.HTTPException) as exc:
        return Outcome(call, 0, time.perf_counter() - started, b"", started, error=f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def drive(
    base_url: str,
    next_call: Callable[[int, int], Call | None],
    *,
    clients: int,
    key: str | None = None,
    deadline_seconds: float = 600,
    on_outcome: Callable[[int, Outcome], Call | None] | None = None,
) -> tuple[list[Outcome], float]:
    """Run `clients` threads; client c asks `next_call(c, i)` for its i-th call until it returns None.

    `on_outcome(c, outcome)` may return a follow-up call (a retry) that the same client sends next.
    Returns (outcomes, wall seconds). Bounded by `deadline_seconds`.
    """
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + deadline_seconds

    def worker(client: int) -> None:
        i = 0
        pending: Call | None = None
        local: list[Outcome] = []
        while time.perf_counter() < stop_at:
            call = pending or next_call(client, i)
            pending = None
            if call is None:
                break
            i += 1
            outcome = request(base_url, call, key=key)
            local.append(outcome)
            if on_outcome is not None:
                pending = on_outcome(client, outcome)
        with lock:
            outcomes.extend(local)

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline_seconds + 30)
    return outcomes, time.perf_counter() - started

"""One HTTP POST of a webhook: the exact signed bytes, no redirects, a bounded wait, 1 KB of answer kept.

No database access here: the dispatcher calls this outside any transaction
(and possibly from a thread), then records the result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from webhooks.ssrf import UnsafeTarget, checked_address, url_parse

USER_AGENT = "FulfillmentPortal-Webhooks/1.0"
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class AttemptResult:
    """What happened on one POST: a status code, or a network/safety error (status_code None)."""

    status_code: int | None
    error: str
    latency_ms: int
    excerpt: str
    retry_after: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedConnectionMixin:
    """Resolve and check the host at connect time, then connect to that exact address.

    Only the TCP connect uses the checked IP; the Host header, TLS SNI and
    certificate verification still use the URL's host name.
    """

    def _new_conn(self):
        address = checked_address(self._dns_host, self.port)
        original = self._dns_host
        self._dns_host = address
        try:
            return super()._new_conn()
        finally:
            self._dns_host = original


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to addresses that passed the SSRF check."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}


def _retry_after_seconds(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0, int(when.timestamp() - time.time()))


def http_post(*, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST `body` as is. Any failure is returned as a result, never raised."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        url_parse(url)
    except UnsafeTarget as exc:
        return AttemptResult(None, f"{exc.code}: {exc.message}"[:200], elapsed(), "")
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    session = requests.Session()
    # No proxies or .netrc from the environment: the target we checked is the one we call.
    session.trust_env = False
    # Every connection re-resolves and re-checks the host (DNS may have changed since the
    # subscription) and connects to the checked address.
    session.mount("http://", PinnedAdapter())
    session.mount("https://", PinnedAdapter())
    try:
        response = session.post(
            url,
            data=body,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers},
            timeout=(min(5, timeout), timeout),
            allow_redirects=False,
            stream=True,
        )
        try:
            chunk = next(response.iter_content(EXCERPT_BYTES), b"")[:EXCERPT_BYTES]
        except requests.RequestException:
            chunk = b""
        finally:
            response.close()
        return AttemptResult(
            status_code=response.status_code,
            error="" if 200 <= response.status_code < 300 else _describe_status(response),
            latency_ms=elapsed(),
            excerpt=chunk.decode("utf-8", errors="replace"),
            retry_after=_retry_after_seconds(response.headers.get("Retry-After")),
        )
    except UnsafeTarget as exc:
        return AttemptResult(None, f"{exc.code}: {exc.message}"[:200], elapsed(), "")
    except requests.Timeout:
        return AttemptResult(None, f"timeout after {timeout}s", elapsed(), "")
    except requests.ConnectionError as exc:
        return AttemptResult(None, f"connection error: {type(exc).__name__}", elapsed(), "")
    except requests.RequestException as exc:
        return AttemptResult(None, f"request error: {type(exc).__name__}", elapsed(), "")
    finally:
        session.close()


def _describe_status(response) -> str:
    if 300 <= response.status_code < 400:
        return "redirect not followed"
    return f"HTTP {response.status_code}"

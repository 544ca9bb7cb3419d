"""A real HTTP receiver on loopback for webhook tests, plus helpers."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)
    wait_for: threading.Event | None = None  # hold the answer until this is set (a stalling receiver)


class Receiver:
    """Records every request's raw bytes and headers; answers from a programmable queue, then `default`."""

    def __init__(self):
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.lock = threading.Lock()
        self.got_request = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                    reply = receiver.replies.pop(0) if receiver.replies else receiver.default
                receiver.got_request.set()
                if reply.wait_for is not None:
                    reply.wait_for.wait(timeout=60)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the default backlog of 5 refuses connections under concurrent dispatchers

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def receiver_factory():
    made = []

    def make():
        r = Receiver()
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def closed_port_url():
    """A loopback URL nobody listens on (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def wakeups(monkeypatch):
    """Records wake-up tasks instead of sending them to whatever broker the run has."""
    from webhooks import services, tasks

    monkeypatch.setattr(services, "_broker_down_until", 0.0)
    calls = []
    monkeypatch.setattr(tasks.deliveries_dispatch_task, "apply_async", lambda *a, **k: calls.append((a, k)))
    return calls

"""A local webhook receiver on loopback, run as its own process: `python -m benchmarks.receiver PORT OUT`.

Appends one line per POST to OUT: `<unix time> <path> <event_id> <signature header>`.
A path starting with /hang sleeps HANG seconds (argv[3], default 30) before answering,
/fail answers 500; anything else answers 200 at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(port: int, out: str, hang: float) -> None:
    lock = threading.Lock()
    fh = open(out, "a", buffering=1)  # noqa: SIM115 - lives as long as the process

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            received = time.time()
            if self.path.startswith("/hang"):
                time.sleep(hang)
            try:
                event_id = json.loads(body).get("event_id", "-")
            except ValueError:
                event_id = "-"
            with lock:
                fh.write(f"{received:.6f} {self.path} {event_id} {self.headers.get('X-Webhook-Signature', '-')}\n")
            status = 500 if self.path.startswith("/fail") else 200
            payload = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


@dataclass
class Receipt:
    at: float
    path: str
    event_id: str
    signature: str


@dataclass
class Receiver:
    url: str
    out: Path
    process: subprocess.Popen

    def receipts(self) -> list[Receipt]:
        if not self.out.exists():
            return []
        out = []
        for line in self.out.read_text().splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4:
                out.append(Receipt(float(parts[0]), parts[1], parts[2], parts[3]))
        return out


@contextlib.contextmanager
def receiver(out: Path, *, hang: float = 30.0) -> Iterator[Receiver]:
    """Start the receiver on a free loopback port; stop it on exit."""
    from benchmarks.common import ROOT, free_port, wait_http

    port = free_port()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.receiver", str(port), str(out), str(hang)],
        cwd=ROOT,
        env={**os.environ},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/", process, timeout=20)
        yield Receiver(url=f"http://127.0.0.1:{port}", out=out, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 30.0)

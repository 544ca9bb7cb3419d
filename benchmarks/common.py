"""Shared machinery: the benchmark database, results, timing, a gunicorn server on loopback, RSS.

`configure()` must run before Django is imported: it points the process at a
dedicated PostgreSQL database (`bench_*`) and Redis database and switches to
production-like settings (DEBUG off, so no query log; INFO request logging off
so the console is not flooded — every path pays the same).
"""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VAR = ROOT / "var" / "bench"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_main"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def quick() -> bool:
    return os.environ.get("BENCH_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def sized(name: str, full: int, small: int) -> int:
    """A size from the environment, else the full size, else (BENCH_QUICK=1) the smoke size."""
    return env_int(name, small if quick() else full)


def server_env() -> dict[str, str]:
    """The environment both this process and every server/worker it starts run with."""
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    secret = os.environ.get("BENCH_SECRET_KEY") or ("bench-" + secrets.token_urlsafe(48))
    os.environ["BENCH_SECRET_KEY"] = secret
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", redis_url),
        "DEBUG": "0",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "VAR_DIR": str(BENCH_VAR),
        # The receivers are on loopback; the SSRF guard would (rightly) refuse them otherwise.
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def env_from_settings() -> dict[str, str]:
    """Environment for a child process (gunicorn, Celery) that must share this process's database,
    Redis, secrets and key pepper: a key issued here must verify there, a cursor signed there must load here."""
    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace("@", f":{db['PASSWORD']}@", 1)
    env = {
        "DATABASE_URL": url if connection.vendor == "postgresql" else f"sqlite:///{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "API_KEY_PEPPER": settings.API_KEY_PEPPER,
        # From the environment: pytest-django turns settings.DEBUG off in tests even when the process runs with it.
        "DEBUG": os.environ.get("DEBUG") or ("1" if settings.DEBUG else "0"),
        "VAR_DIR": str(settings.VAR_DIR),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if settings.WEBHOOK_SECRET_ENCRYPTION_KEY:
        env["WEBHOOK_SECRET_ENCRYPTION_KEY"] = settings.WEBHOOK_SECRET_ENCRYPTION_KEY
    return env


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it is missing."""
    import psycopg

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if not name.startswith("bench_"):
        raise SystemExit(f"refusing to benchmark in database {name!r}: its name must start with bench_")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


_configured = False


def configure() -> None:
    """Point this process at the benchmark database, set Django up and migrate."""
    global _configured
    if _configured:
        return
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    os.environ.update(server_env())
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _configured = True


def psycopg_dsn() -> str:
    return os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)


# --- results -----------------------------------------------------------------


@dataclass
class Result:
    """One line of the table: a figure, the ratio that carries it, and the verdict against the target."""

    benchmark: str
    figure: str
    ratio: str = ""
    target: str = ""
    met: bool | None = None  # None: no target, or not measured
    note: str = ""
    measured: bool = True

    @property
    def verdict(self) -> str:
        if not self.measured:
            return "not measured"
        if self.met is None:
            return "—"
        return "met" if self.met else "GAP"


def not_measured(benchmark: str, reason: str, target: str = "") -> Result:
    return Result(benchmark, f"not measured: {reason}", target=target, measured=False)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def time_call(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def interleaved(callables: dict[str, Callable[[], object]], repeats: int, warmup: int = 3) -> dict[str, list[float]]:
    """Time each callable `repeats` times, alternating between them so drift hits them all alike."""
    for fn in callables.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in callables}
    for _ in range(repeats):
        for name, fn in callables.items():
            samples[name].append(time_call(fn))
    return samples


# --- probing what exists -----------------------------------------------------


def route_allows(method: str, path: str) -> bool:
    """Does a real /v1 view (not the catch-all) answer `method` at `path`?"""
    from django.urls import Resolver404, resolve

    from config.api.views import unknown_route

    try:
        match = resolve(path)
    except Resolver404:
        return False
    if match.func is unknown_route:
        return False
    cls = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    if cls is None:
        return True
    return hasattr(cls, method.lower())


# --- machine -----------------------------------------------------------------


def machine_info() -> dict[str, str]:
    mem_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    pg = "?"
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(psycopg_dsn()) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    cpu = platform.processor() or "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "python": platform.python_version(),
        "postgresql": pg,
        "platform": platform.platform(),
    }


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                out.append(int(entry.name))
    return sorted(out)


# --- processes on loopback -----------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path
    extra: dict = field(default_factory=dict)

    @property
    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid)


def _stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@contextlib.contextmanager
def gunicorn(
    *, workers: int = 4, env: dict[str, str] | None = None, max_requests: int = 0, name: str = "web"
) -> Iterator[Server]:
    """A real gunicorn (sync workers) on a free loopback port, stopped on exit."""
    port = free_port()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    log_path = BENCH_VAR / f"gunicorn-{name}-{port}.log"
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        "--max-requests",
        str(max_requests),
        "--log-level",
        "warning",
    ]
    full_env = {**os.environ, **env_from_settings(), **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        wait_http(f"{server.url}/healthz", process, log_path)
        deadline = time.time() + 30
        while len(server.worker_pids) < workers and time.time() < deadline:
            time.sleep(0.1)
        yield server
    finally:
        _stop(process)


def wait_http(url: str, process: subprocess.Popen | None = None, log_path: Path | None = None, timeout=60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            tail = log_path.read_text()[-3000:] if log_path else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            if response.status < 500:  # loopback only
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 2, env: dict[str, str] | None = None, name: str = "worker") -> Iterator:
    """A Celery worker (prefork) with beat embedded, stopped on exit."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    log_path = BENCH_VAR / f"celery-{name}-{os.getpid()}.log"
    # Each worker gets its own beat schedule file so two runs never share beat state.
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config.celery",
        "worker",
        "-B",
        "--schedule",
        str(BENCH_VAR / f"beat-{name}-{os.getpid()}"),
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    full_env = {**os.environ, **env_from_settings(), **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        _stop(process, timeout=15)

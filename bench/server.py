"""The real site under gunicorn on a free 127.0.0.1 port, as production runs it."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.workload import DATA_KEY, SECRET_KEY, SITE_URL

# The checkout served: this one, or the one ``python -m bench.run --root/--ref`` names
# (which runs the bench with that checkout's interpreter, app and gunicorn.conf.py).
ROOT = Path(os.environ.get("XQ_BENCH_ROOT") or Path(__file__).resolve().parent.parent)
GUNICORN = Path(sys.executable).parent / "gunicorn"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Served:
    port: int
    command: list[str]
    pid: int  # gunicorn's arbiter


@contextmanager
def serve(url: str, options: list[str], log_path: Path) -> Iterator[tuple[int, list[str]]]:
    """Serve wsgi:app on ``url``'s database with gunicorn ``options`` on a free port, as
    production would (the fixed key, no rate limits); yields (port, command line) once
    /healthz answers, and stops the server on the way out, whatever happened."""
    with served(url, options, log_path) as server:
        yield server.port, server.command


@contextmanager
def served(url: str, options: list[str], log_path: Path) -> Iterator[Served]:
    """:func:`serve`, yielding a :class:`Served` (with the arbiter's pid)."""
    port = free_port()
    command = [str(GUNICORN), *options, "--bind", f"127.0.0.1:{port}",
               "--graceful-timeout", "5", "wsgi:app"]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "DATA_KEY": DATA_KEY,
           "SITE_URL": SITE_URL, "XQ_ENV": "production", "INSECURE_COOKIES": "1",
           "RATELIMIT_ENABLED": "false"}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log,
                                   start_new_session=True)
    try:
        _wait_healthy(port, process)
        yield Served(port, command, process.pid)
    finally:
        _stop(process)


def worker_cpu_seconds(arbiter: int) -> float:
    """CPU time used so far by the arbiter's workers (Linux /proc; 0.0 elsewhere)."""
    try:
        children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    except OSError:
        return 0.0
    ticks = 0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # a worker that just exited
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def wait_idle(arbiter: int, *, window: float = 0.3, busy_share: float = 0.1,
              limit: float = 15.0) -> float:
    """Wait until the workers use less than ``busy_share`` of a core over ``window``
    seconds: requests a client abandoned (wrk stops mid-request; gunicorn still answers
    what it accepted) must not spill into the next measurement. Seconds waited."""
    started = time.monotonic()
    used = worker_cpu_seconds(arbiter)
    while time.monotonic() - started < limit:
        time.sleep(window)
        now = worker_cpu_seconds(arbiter)
        if now - used <= busy_share * window:
            break
        used = now
    return time.monotonic() - started


def _wait_healthy(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} (see its log)")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT_S} s")


def _stop(process: subprocess.Popen) -> None:
    """TERM the arbiter (it stops its workers), KILL the group if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

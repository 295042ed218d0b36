"""wrk runs: the data file a Lua script of bench/wrk/ reads, the command, and the
result line its done() prints ("XQ_WRK {json}").

Every run gives each wrk thread one connection (``-t N -c N``): the page path keeps a
booking's state (its form, then its POST) per thread, which wrk can only do when a
thread's requests and responses alternate on one connection.
"""

import json
import math
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parent / "wrk"
MARK = "XQ_WRK "
TIMEOUT = "30s"  # wrk's default (2 s) would count a slow page under load as an error
SOCKET_ERRORS = ("connect", "read", "write", "timeout")
SUCCESS = {"get": "ok", "api": "booked", "page": "booked"}


@dataclass(frozen=True)
class Measure:
    """One wrk run: successes per second, wrk's per-request latency, what went wrong."""

    rate: float  # successes/s: 200s (get), bookings (api, page)
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    counts: dict[str, int] = field(default_factory=dict)  # what the script counted
    errors: dict[str, int] = field(default_factory=dict)  # statuses, socket errors


def lua_literal(value) -> str:
    """``value`` (None, bool, int, float, str, list, dict with str keys) as Lua source."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"no Lua literal for {value!r}")
        return repr(value)
    if isinstance(value, str):
        return _lua_string(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_literal(item) for item in value) + "}"
    if isinstance(value, dict):
        items = (f"[{lua_literal(str(key))}] = {lua_literal(item)}"
                 for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no Lua literal for {type(value).__name__}")


def _lua_string(text: str) -> str:
    """A Lua 5.1 string literal: printable ASCII as is, every other byte of the UTF-8 as
    a decimal escape (LuaJIT reads no \\u escapes)."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def write_data(path: Path, data: dict) -> Path:
    path.write_text("return " + lua_literal(data) + "\n", encoding="ascii")
    return path


def wrk_binary() -> str | None:
    return shutil.which("wrk")


def command(script: str, base_url: str, data_path: Path, *, connections: int,
            seconds: int) -> list[str]:
    """wrk's command line (wrk reads whole seconds only)."""
    return ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{int(seconds)}s",
            "--timeout", TIMEOUT, "-s", str(WRK_DIR / f"{script}.lua"), base_url,
            "--", str(data_path)]


def parse(script: str, stdout: str) -> Measure:
    """The Measure in wrk's output (its own text around our line is ignored)."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARK)]
    if not lines:
        raise ValueError("wrk printed no result line (did the script fail?)")
    raw = json.loads(lines[-1][len(MARK):])
    seconds = raw["duration_us"] / 1e6
    counts = {key: int(n) for key, n in raw["counts"].items()}
    errors = {key: n for key, n in counts.items()
              if key.startswith("status ") or key in ("no form", "no session left to book")}
    errors.update({f"socket {kind}": int(raw["errors"].get(kind, 0))
                   for kind in SOCKET_ERRORS if raw["errors"].get(kind)})
    return Measure(
        rate=round(counts.get(SUCCESS[script], 0) / seconds, 1) if seconds else 0.0,
        seconds=round(seconds, 2), requests=int(raw["requests"]),
        p50_ms=round(raw["latency_us"]["p50"] / 1000, 1),
        p99_ms=round(raw["latency_us"]["p99"] / 1000, 1),
        counts=counts, errors=errors,
    )


def run(script: str, port: int, data: dict, data_path: Path, *, connections: int,
        seconds: int) -> Measure:
    """Run ``bench/wrk/<script>.lua`` against 127.0.0.1:``port`` with ``data``."""
    write_data(data_path, {**data, "threads": connections})
    argv = command(script, f"http://127.0.0.1:{port}", data_path,
                   connections=connections, seconds=seconds)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}: "
                           f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return parse(script, done.stdout)

"""Issue #3's booking benchmark: bookings per second against the real site, relative to
the same server's /healthz rate, on SQLite and (when it answers) PostgreSQL.

    .venv/bin/python -m bench.booking [--db sqlite|postgresql|auto] [--rounds 5] …

For each database: build it from empty with the migrations, write the workload
(bench.workload), serve the site under gunicorn, log every resident in through /login,
try a few gunicorn worker models briefly and keep the one with the most bookings/s,
then measure rounds of bookings and /healthz, interleaved, on that one server. Exits 1
on any overbooking, server error (5xx) or dropped connection. See bench/README.md.
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import signal
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import client
from bench.server import WORKER_MODELS, gunicorn
from bench.workload import PASSWORD, Shape, Workload, audit, build, postgres_url, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
REPLY_GRACE_S = 60  # how long past a phase's end the clients may take to report
LOGIN_TIMEOUT_S = 180


@dataclass
class Round:
    ratio: float  # bookings/s ÷ healthz req/s
    bookings_s: float
    healthz_s: float
    booked: int
    full: int
    refused: int
    errors: dict[str, int]
    p50_ms: float
    p99_ms: float


@dataclass
class Result:
    database: str
    machine: dict
    path: str = "page"
    worker_model: str = ""
    command: str = ""
    trials: dict[str, dict] = field(default_factory=dict)
    rounds: list[Round] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    audit: dict = field(default_factory=dict)


class Clients:
    """The client processes, driven phase by phase."""

    def __init__(self, workload: Workload, args: argparse.Namespace):
        per_thread = args.residents_per_client
        phones = workload.phones
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for p in range(args.processes):
            groups = [phones[(p * args.threads + t) * per_thread:][:per_thread]
                      for t in range(args.threads)]
            parent, child = context.Pipe()
            process = context.Process(
                target=client.client_process, daemon=True,
                args=(child, 0, groups, workload.sessions, PASSWORD, 1000 + p, args.path))
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def ask(self, command: tuple, timeout: float) -> list:
        for pipe in self.pipes:
            pipe.send(command)
        answers = []
        deadline = time.monotonic() + timeout
        for pipe in self.pipes:
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"client processes did not answer {command[0]!r} in time")
            status, value = pipe.recv()
            if status != "ok":
                raise RuntimeError(f"client process failed during {command[0]!r}: {value}")
            answers.append(value)
        return answers

    def phase(self, name: str, seconds: float) -> client.Tally:
        start_at = time.monotonic() + 0.2
        total = client.Tally()
        for tally in self.ask((name, start_at, seconds), seconds + REPLY_GRACE_S):
            total.add(tally)
        return total

    def close(self, *, wait: float = 5) -> None:
        """Stop the processes: politely, or at once with ``wait=0`` (interrupted)."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        deadline = time.monotonic() + wait
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(5)


def measure_round(clients: Clients, book_s: float, healthz_s: float) -> tuple[Round, list]:
    booking = clients.phase("book", book_s)
    health = clients.phase("healthz", healthz_s)
    errors = dict(booking.errors)
    for kind, n in health.errors.items():
        errors[f"healthz {kind}"] = errors.get(f"healthz {kind}", 0) + n
    latencies = sorted(booking.latencies_ms)
    bookings_s, health_s = booking.booked / book_s, health.healthz / healthz_s
    return Round(
        ratio=round(bookings_s / health_s, 4) if health_s else 0.0,
        bookings_s=round(bookings_s, 1), healthz_s=round(health_s, 1),
        booked=booking.booked + booking.booked_late, full=booking.full,
        refused=booking.refused, errors=errors,
        p50_ms=round(percentile(latencies, 50), 1), p99_ms=round(percentile(latencies, 99), 1),
    ), latencies


def percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def run_database(kind: str, args: argparse.Namespace) -> Result:
    """Build, choose the worker model, measure, audit; the scratch database goes after."""
    shape = Shape(residents=args.processes * args.threads * args.residents_per_client)
    with scratch_database(kind) as url:
        started = time.monotonic()
        workload = build(url, shape)
        result = Result(database=kind, machine=machine(kind, url), path=args.path)
        print(f"\n=== {kind}: {len(workload.phones)} residents, {len(workload.sessions)} "
              f"sessions, {shape.places} places; built in {time.monotonic() - started:.1f} s")
        log = RESULTS / f"gunicorn-{kind}-{args.path}.log"
        log.unlink(missing_ok=True)
        clients = Clients(workload, args)
        try:
            result.worker_model = choose_model(clients, url, args, result, log)
            measure(clients, url, args, result, log)
        except BaseException:
            clients.close(wait=0)
            raise
        clients.close()
        result.audit = asdict(audit(url))
        result.machine["loadavg_after"] = os.getloadavg()[0]
    return result


def measure(clients: Clients, url: str, args, result: Result, log: Path) -> None:
    """The measured rounds, all on one server: bookings, then /healthz, in turn."""
    with gunicorn(url, result.worker_model, log) as (port, command):
        result.command = " ".join(command[1:])
        print(f"measuring with: gunicorn {result.command}")
        clients.ask(("port", port), 10)
        clients.phase("book", args.warmup)
        for n in range(1, args.rounds + 1):
            one, latencies = measure_round(clients, args.book_seconds, args.healthz_seconds)
            result.rounds.append(one)
            result.latencies_ms.extend(latencies)
            _add(result.errors, one.errors)
            print_round(n, one)


def choose_model(clients: Clients, url: str, args, result: Result, log: Path) -> str:
    """A short round on each worker model; the most bookings/s wins. (The ratio would
    reward a server that is merely slow at /healthz.)"""
    models = args.models.split(",")
    logged_in = False
    for model in models:
        with gunicorn(url, model, log) as (port, _command):
            clients.ask(("port", port), 10)
            if not logged_in:  # the session cookies outlive a server: same key, same data
                started = time.monotonic()
                clients.ask(("login",), LOGIN_TIMEOUT_S)
                print(f"logged in ({args.path}) in {time.monotonic() - started:.1f} s")
                logged_in = True
            clients.phase("book", args.warmup)
            trial, _latencies = measure_round(clients, args.trial_seconds,
                                              args.trial_seconds / 2)
            _add(result.errors, trial.errors)
            result.trials[model] = {"bookings_s": round(trial.bookings_s, 1),
                                    "healthz_s": round(trial.healthz_s, 1),
                                    "ratio": round(trial.ratio, 3)}
            print(f"trial {model:<12} bookings/s {trial.bookings_s:7.1f}  healthz/s "
                  f"{trial.healthz_s:7.1f}  ratio {trial.ratio:.3f}  errors {trial.errors}")
    return max(models, key=lambda m: result.trials[m]["bookings_s"])


def _add(into: dict, more: dict) -> None:
    for kind, n in more.items():
        into[kind] = into.get(kind, 0) + n


def machine(kind: str, url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(
            text("SELECT sqlite_version()" if kind == "sqlite" else "SHOW server_version")
        ).scalar()
    engine.dispose()
    return {"nproc": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "database": f"{kind} {version}",
            "loadavg_before": os.getloadavg()[0]}


def print_round(n: int, r: Round) -> None:
    if n == 1:
        print(f"{'round':>5} {'bookings/s':>10} {'healthz/s':>9} {'ratio':>6} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'booked':>6} {'full':>5} {'refused':>7}  errors")
    print(f"{n:>5} {r.bookings_s:>10.1f} {r.healthz_s:>9.1f} {r.ratio:>6.3f} {r.p50_ms:>7.1f} "
          f"{r.p99_ms:>7.1f} {r.booked:>6} {r.full:>5} {r.refused:>7}  {r.errors or '-'}")


def summary(result: Result) -> dict:
    latencies = sorted(result.latencies_ms)
    audit_ = result.audit
    booked = sum(r.booked for r in result.rounds)
    overbooked = audit_["overbooked_slots"] + audit_["over_capacity_counts"]
    server_errors = sum(n for kind, n in result.errors.items()
                        if kind.split()[-1].startswith("5") or kind.endswith("transport"))
    return {
        "median_ratio": round(statistics.median(r.ratio for r in result.rounds), 3),
        "median_bookings_s": round(statistics.median(r.bookings_s for r in result.rounds), 1),
        "median_healthz_s": round(statistics.median(r.healthz_s for r in result.rounds), 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "booked": booked,
        "full": sum(r.full for r in result.rounds),
        "refused": sum(r.refused for r in result.rounds),
        "errors": result.errors,
        "server_errors": server_errors,
        "overbooked": overbooked,
        # A run that booked nothing measured nothing: that is a failure too.
        "passed": overbooked == 0 and server_errors == 0 and booked > 0,
    }


def report(result: Result) -> dict:
    s = summary(result)
    audit_ = result.audit
    print(f"--- {result.database}, {result.path} path: gunicorn {result.command}")
    m = result.machine
    print(f"machine: {m['nproc']} CPUs, Python {m['python']}, {m['database']}, "
          f"{m['platform']}; load average {m['loadavg_before']:.1f} before, "
          f"{m['loadavg_after']:.1f} after (other work on the machine skews the figures)")
    print(f"median ratio {s['median_ratio']:.3f}   median bookings/s {s['median_bookings_s']}"
          f"   median healthz/s {s['median_healthz_s']}")
    what = "GET form + POST" if result.path == "page" else "one API POST"
    print(f"booking latency ({what}) p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms")
    print(f"measured rounds: {s['booked']} booked, {s['full']} full, {s['refused']} refused; "
          f"errors over the whole run: {s['errors'] or 'none'}")
    print(f"database after the run: {audit_['bookings']} active bookings; overbooked slots "
          f"{audit_['overbooked_slots']}, booked_count over capacity "
          f"{audit_['over_capacity_counts']}, booked_count ≠ bookings "
          f"{audit_['count_mismatches']}")
    print("PASS" if s["passed"] else "FAIL: overbooking, server errors or nothing booked")
    payload = {**asdict(result), "summary": s}
    payload.pop("latencies_ms")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"booking-{result.database}-{result.path}.json"
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"written: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return s


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.booking", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["auto", "sqlite", "postgresql"], default="auto",
                        help="auto: SQLite, then PostgreSQL when configured or answering")
    parser.add_argument("--path", choices=["page", "api"], default="page",
                        help="page: GET the form and POST it, as a browser; api: one POST "
                             "/api/v1/bookings with a Bearer token, as an app")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--book-seconds", type=float, default=8.0)
    parser.add_argument("--healthz-seconds", type=float, default=4.0)
    parser.add_argument("--trial-seconds", type=float, default=4.0,
                        help="booking seconds of each worker model's trial (healthz: half)")
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--models", default="gthread-4x8,gthread-2x8,gthread-4x4,sync-8",
                        help=f"comma-separated, from: {', '.join(WORKER_MODELS)}")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--threads", type=int, default=8, help="client threads per process")
    parser.add_argument("--residents-per-client", type=int, default=4)
    args = parser.parse_args(argv)
    unknown = set(args.models.split(",")) - set(WORKER_MODELS)
    if unknown:
        parser.error(f"unknown worker models: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    kinds = [args.db] if args.db != "auto" else ["sqlite"]
    if args.db == "auto":
        if postgres_url():
            kinds.append("postgresql")
        else:
            print("PostgreSQL: no BENCH_DATABASE_URL / TEST_DATABASE_URL and nothing at "
                  "127.0.0.1:5432 — skipped")
    RESULTS.mkdir(exist_ok=True)
    passed = True
    for kind in kinds:
        result = run_database(kind, args)
        passed = report(result)["passed"] and passed
    return 0 if passed else 1


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)  # `timeout`, `kill`: clean up as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with &
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn stopped, scratch database dropped", file=sys.stderr)
        sys.exit(130)

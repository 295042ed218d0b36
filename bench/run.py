"""Issue #15's bench: the site's pages and bookings measured from outside with wrk,
each divided by the /healthz rate of the same server measured just around it.

    .venv/bin/python -m bench.run [--db sqlite|postgresql|auto] [--rounds 3] …
    .venv/bin/python -m bench.run --ref 2ae7d46 --paths api --db sqlite

For each database: build the booking workload and the demo data at each scale (one
scratch database each), serve each under gunicorn (production settings, the served
checkout's gunicorn.conf.py, ``-w 2``; one at a time), sign residents in before any
timing, then measure rounds — per site: a fresh server, each phase briefly to warm up,
then /healthz, a phase, /healthz, a phase, … /healthz.
Prints per round, then medians, ratios scale N ÷ 1, the issue's targets and the
overbooking audit; writes bench/results/wrk-<db>.json. Exits 1 on any error or
overbooking (missed targets are reported, not failed). See bench/README.md.
"""

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import load, report, server, sites
from bench.plan import ALL_PATHS, WHO, Phase, Plan, make_plan, paths_data
from bench.workload import PASSWORD, Shape, audit, build, postgres_url, scratch_database

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
HEALTHZ = {"paths": ["/healthz"], "cookies": []}


@dataclass
class Site:
    """One database served: its URL, its server, and what its phases send."""

    name: str
    url: str
    prepared_s: float
    served: server.Served | None = None
    phones: list[str] = field(default_factory=list)
    sessions: list[list[int]] = field(default_factory=list)  # slot ids per session
    session_ids: list[int] = field(default_factory=list)  # pages read by a session phase
    tokens: list[str] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)
    admin_cookies: list[str] = field(default_factory=list)  # the demo admin's
    runs: int = 0  # wrk runs of a booking path so far (each books in its own window)


@dataclass
class Run:
    kind: str
    args: argparse.Namespace
    plan: Plan
    folder: Path
    records: list[report.Record] = field(default_factory=list)
    warmup_errors: dict[Phase, dict[str, int]] = field(default_factory=dict)
    healthz_errors: dict[str, int] = field(default_factory=dict)
    loadavg: list[tuple[str, list[float]]] = field(default_factory=list)

    def note_load(self, when: str) -> None:
        self.loadavg.append((when, [round(x, 2) for x in os.getloadavg()]))


# --- Preparing ---------------------------------------------------------------------


def prepare(name: str, url: str, args) -> Site:
    started = time.monotonic()
    if name == "booking":
        workload = build(url, Shape())
        site = Site(name, url, 0.0, phones=workload.phones, sessions=workload.sessions)
        count = len(workload.sessions)
    else:
        scale = int(name.removeprefix("demo"))
        sites.seed_demo(server.ROOT, url, scale)
        ids, count = sites.upcoming_sessions(url, args.sessions)
        site = Site(name, url, 0.0, session_ids=ids)
    site.prepared_s = round(time.monotonic() - started, 1)
    print(f"{name}: built in {site.prepared_s} s ({count} sessions)")
    return site


def sign_in(site: Site, phases: list[Phase], args) -> None:
    """Residents' tokens and cookies, before any timing."""
    started = time.monotonic()
    port = site.served.port
    paths = {phase.path for phase in phases}
    if "api" in paths:
        site.tokens = sites.sign_in_all(port, site.phones, PASSWORD, api=True)
    if "page" in paths:
        site.cookies = sites.sign_in_all(port, site.phones, PASSWORD)
    if any(phase.who == "resident" for phase in phases):
        site.cookies = sites.sign_in_all(port, sites.demo_phones(args.connections),
                                         sites.DEMO_PASSWORD)
    if any(phase.who == "admin" for phase in phases):
        site.admin_cookies = sites.sign_in_all(port, [sites.DEMO_ADMIN_PHONE],
                                               sites.DEMO_PASSWORD)
    print(f"{site.name}: signed in in {time.monotonic() - started:.1f} s")


# --- Measuring ---------------------------------------------------------------------


def phase_data(site: Site, phase: Phase, args) -> dict:
    if phase.path == "api":
        residents = [{"token": token} for token in site.tokens]
    elif phase.path == "page":
        residents = [{"cookie": cookie} for cookie in site.cookies]
    else:
        cookies = {"resident": site.cookies, "admin": site.admin_cookies}
        return {"paths": paths_data(phase, site.session_ids),
                "cookies": cookies.get(phase.who, [])}
    runs_planned = 2 * 2 * args.rounds  # both paths, measured and warming up, each round
    site.runs += 1
    return {"residents": residents, "sessions": site.sessions, "run": site.runs,
            "window": max(1, len(site.sessions) // runs_planned)}


def wrk(run: Run, site: Site, script: str, data: dict, seconds: int) -> load.Measure:
    measure = load.run(script, site.served.port, data, run.folder / "data.lua",
                       connections=run.args.connections, seconds=seconds)
    server.wait_idle(site.served.pid)
    return measure


def healthz(run: Run, site: Site, seconds: int | None = None) -> load.Measure:
    measure = wrk(run, site, "get", HEALTHZ, seconds or run.args.healthz_seconds)
    report._add(run.healthz_errors, measure.errors)
    return measure


@contextmanager
def serving(run: Run, site: Site) -> Iterator[Site]:
    """The site's gunicorn, only while its phases run: one server at a time keeps the
    bench's PostgreSQL connections (pools of 2 workers) well below max_connections."""
    log = run.folder / f"gunicorn-{site.name}.log"
    with server.served(site.url, gunicorn_options(run.args), log) as served:
        site.served = served
        try:
            yield site
        finally:
            site.served = None


def warm_up(run: Run, site: Site, phases: list[Phase]) -> None:
    """Each phase once, briefly, on a fresh server: its errors count, its figures not."""
    healthz(run, site, run.args.warmup)
    for phase in phases:
        measure = wrk(run, site, phase.script, phase_data(site, phase, run.args),
                      run.args.warmup)
        report._add(run.warmup_errors.setdefault(phase, {}), measure.errors)


def measure_site(run: Run, site: Site, phases: list[Phase], round_no: int) -> None:
    """/healthz, a phase, /healthz, …: each phase against the mean of its neighbours."""
    before = healthz(run, site)
    for phase in phases:
        measure = wrk(run, site, phase.script, phase_data(site, phase, run.args),
                      run.args.seconds)
        after = healthz(run, site)
        record = report.Record(round_no, phase, measure, (before.rate + after.rate) / 2)
        run.records.append(record)
        print_record(record)
        before = after


def print_record(r: report.Record) -> None:
    m = r.measure
    print(f"{r.round:>3} {r.phase.label:<24} {m.rate:>8.1f}/s  healthz {r.healthz:>7.1f}/s  "
          f"ratio {r.ratio:.3f}  p50 {m.p50_ms:>7.1f}  p99 {m.p99_ms:>7.1f} ms  "
          f"{m.errors or ''}")


def run_database(kind: str, args) -> dict:
    plan = make_plan(args.paths, args.scales, args.who)
    run = Run(kind, args, plan, RESULTS / f"wrk-{kind}-{served_commit()}")
    run.folder.mkdir(parents=True, exist_ok=True)
    for log in run.folder.glob("gunicorn-*.log"):
        log.unlink()
    run.note_load("before")  # the machine before the bench adds its own load
    started = time.monotonic()
    print(f"\n=== {kind}: {', '.join(plan.sites)}; {sum(map(len, plan.sites.values()))} "
          f"phases; gunicorn {' '.join(gunicorn_options(args))}")
    with ExitStack() as stack:
        prepared = {name: prepare(name, stack.enter_context(scratch_database(kind)), args)
                    for name in plan.sites}
        for name, site in prepared.items():
            with serving(run, site):
                sign_in(site, plan.sites[name], args)
        machine_ = machine(kind, next(iter(prepared.values())).url)
        for round_no in range(1, args.rounds + 1):
            run.note_load(f"round {round_no}")
            for name, phases in plan.sites.items():
                with serving(run, prepared[name]) as site:
                    warm_up(run, site, phases)
                    measure_site(run, site, phases, round_no)
        run.note_load("end")
        audited = asdict(audit(prepared["booking"].url)) if "booking" in prepared else None
    return finish(run, prepared, machine_, audited, time.monotonic() - started)


def gunicorn_options(args) -> list[str]:
    workers = ["-w", str(args.workers)] if args.workers else []
    return [*workers, "--log-level", "warning"]


# --- Reporting ---------------------------------------------------------------------


def machine(kind: str, url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(
            text("SELECT sqlite_version()" if kind == "sqlite" else "SHOW server_version")
        ).scalar()
    engine.dispose()
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True,
                                 text=True).stdout.split(" [")[0].strip()
    return {"commit": served_commit(), "root": str(server.ROOT), "nproc": os.cpu_count(),
            "python": platform.python_version(), "database": f"{kind} {version}",
            "wrk": wrk_version, "date": time.strftime("%Y-%m-%d %H:%M %Z")}


def served_commit() -> str:
    """The served checkout's commit, ``+`` when its files differ from it."""
    def git(*argv: str) -> str:
        return subprocess.run(["git", "-C", str(server.ROOT), *argv], capture_output=True,
                              text=True).stdout.strip()

    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "app", "wsgi.py",
                "gunicorn.conf.py", "migrations")
    return git("rev-parse", "--short", "HEAD") + ("+" if dirty else "")


def finish(run: Run, prepared: dict[str, Site], machine_: dict, audited: dict | None,
           seconds: float) -> dict:
    lines = report.summarise(run.records, run.warmup_errors)
    ratios = report.scale_ratios(run.records)
    failed = report.failures(lines, audited)
    if run.healthz_errors:
        failed.append(f"/healthz: {run.healthz_errors}")
    print(f"\n--- {run.kind}: commit {machine_['commit']}, {machine_['database']}, "
          f"{machine_['nproc']} CPUs, Python {machine_['python']}, {machine_['wrk']}; "
          f"{run.args.connections} connections, medians of {run.args.rounds} rounds; "
          f"{seconds / 60:.1f} min")
    print("load average (1, 5, 15 min): " + "; ".join(
        f"{when} {' '.join(map(str, avg))}" for when, avg in run.loadavg))
    print("built: " + ", ".join(f"{s.name} {s.prepared_s} s" for s in prepared.values()))
    print(report.table(lines))
    if ratios:
        print(report.scale_table(ratios))
    for text, met in report.targets(lines, ratios):
        print(f"{'meets ' if met else 'misses'} {text}")
    if audited:
        print(f"audit: {audited['bookings']} active bookings; overbooked slots "
              f"{audited['overbooked_slots']}, booked_count over capacity "
              f"{audited['over_capacity_counts']}, booked_count ≠ bookings "
              f"{audited['count_mismatches']}")
    print("PASS" if not failed else "FAIL: " + "; ".join(failed))
    payload = {"database": run.kind, "machine": machine_, "seconds": round(seconds, 1),
               "options": {k: v for k, v in vars(run.args).items()},
               "built_s": {s.name: s.prepared_s for s in prepared.values()},
               "loadavg": run.loadavg, "lines": [asdict(line) for line in lines],
               "scale": [asdict(r) for r in ratios], "audit": audited,
               "records": [asdict(r) | {"ratio": r.ratio} for r in run.records],
               "failures": failed}
    path = run.folder.parent / f"{run.folder.name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n")
    print(f"written: {path}")
    return payload


# --- The command -------------------------------------------------------------------


def _list(kind, choices=None):
    def parse(text: str):
        items = [kind(item) for item in text.split(",") if item]
        if choices and set(items) - set(choices):
            raise argparse.ArgumentTypeError(f"choose from {', '.join(map(str, choices))}")
        return items
    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add = parser.add_argument
    add("--db", choices=["auto", "sqlite", "postgresql"], default="auto",
        help="auto: SQLite, then PostgreSQL when configured or answering at 127.0.0.1:5432")
    add("--paths", type=_list(str, ALL_PATHS), default=list(ALL_PATHS),
        help=f"comma-separated, from {','.join(ALL_PATHS)} (default: all)")
    add("--scales", type=_list(int), default=[1, 10],
        help="demo data scales for the pages (default 1,10: a database each)")
    add("--as", dest="who", type=_list(str, WHO), default=list(WHO),
        help="pages as a visitor, a signed-in resident, or both (default)")
    add("--rounds", type=int, default=3)
    add("--seconds", type=int, default=5, help="each phase's wrk run (whole seconds)")
    add("--healthz-seconds", type=int, default=2)
    add("--warmup", type=int, default=1,
        help="each phase once on each fresh server, not counted")
    add("--connections", type=int, default=32, help="wrk connections, one thread each")
    add("--workers", type=int, default=2,
        help="gunicorn -w (0: gunicorn.conf.py's default, 2 × CPUs up to 8)")
    add("--sessions", type=int, default=64, help="session pages read in turn")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--root", type=Path, help="serve this checkout (it needs a .venv: "
                       "make install-dev there); the bench's own code is this one's")
    where.add_argument("--ref", help="serve this commit: a git worktree under "
                       "bench/results/ (made, with make install-dev, when missing)")
    return parser.parse_args(argv)


def checkout(ref: str) -> Path:
    """A worktree of ``ref`` with its .venv, made once and kept under bench/results/."""
    repo = BENCH.parent
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                         capture_output=True, text=True, check=True).stdout.strip()
    path = RESULTS / f"ref-{sha[:10]}"
    if not (path / ".git").exists():
        subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", str(path), sha],
                       check=True)
    if not (path / ".venv" / "bin" / "python").exists():
        subprocess.run(["make", "-C", str(path), "install-dev"], check=True)
    return path


def elsewhere(args, argv: list[str] | None) -> int:
    """Run this bench with another checkout's interpreter and app: `bench` from here
    (through a folder holding only a link to it), everything else from there."""
    root = args.root.resolve() if args.root else checkout(args.ref)
    python = root / ".venv" / "bin" / "python"
    if not python.exists():
        print(f"{root} has no .venv: run `make install-dev` there", file=sys.stderr)
        return 2
    shim = RESULTS / "shim"
    shim.mkdir(parents=True, exist_ok=True)
    if not (shim / "bench").exists():
        (shim / "bench").symlink_to(BENCH)
    env = {**os.environ, "XQ_BENCH_ROOT": str(root), "PYTHONPATH": str(root)}
    argv = sys.argv[1:] if argv is None else argv
    return subprocess.call([str(python), "-m", "bench.run", *argv], cwd=shim, env=env)


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # progress shows when written to a file
    args = parse_args(argv)
    if (args.root or args.ref) and not os.environ.get("XQ_BENCH_ROOT"):
        return elsewhere(args, argv)
    if load.wrk_binary() is None:
        print("wrk is not installed: `make bench` installs it (apt-get install wrk)",
              file=sys.stderr)
        return 2
    kinds = [args.db] if args.db != "auto" else ["sqlite"]
    if args.db == "auto":
        if postgres_url():
            kinds.append("postgresql")
        else:
            print("PostgreSQL: no BENCH_DATABASE_URL / TEST_DATABASE_URL and nothing at "
                  "127.0.0.1:5432 — skipped")
    RESULTS.mkdir(exist_ok=True)
    results = [run_database(kind, args) for kind in kinds]
    return 0 if all(not result["failures"] for result in results) else 1


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt)  # `timeout`, `kill`: clean up as on Ctrl-C
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn stopped, scratch databases dropped", file=sys.stderr)
        sys.exit(130)

"""Issue #19's two-machine figures: API bookings/s and p99 with one gunicorn master and
with two (different ports, standing in for two web machines) on the same PostgreSQL.

    .venv/bin/python -m bench.two_masters [--rounds 3] [--seconds 10]

The booking workload (bench.workload) on a scratch PostgreSQL database; each master
runs ``-w 2`` with the checkout's gunicorn.conf.py. Per round, alternating: one master
with one wrk of 32 connections, then two masters with a wrk of 16 connections each,
started together (bookings/s summed, the higher p99). Every wrk run books into its own
window of sessions. The audit afterwards counts overbooked slots (must be 0). On one
machine the two masters share its cores: the figures show what a second master costs
or gains against the same database here, not two machines' capacity.
"""

import argparse
import platform
import statistics
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

from bench import load, server, sites
from bench.workload import PASSWORD, Shape, audit, build, scratch_database

CONNECTIONS = 32


def _book(port: int, data: dict, folder: Path, name: str, connections: int, seconds: int,
          into: dict) -> None:
    into[name] = load.run("api", port, data, folder / f"{name}.lua",
                          connections=connections, seconds=seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if load.wrk_binary() is None:
        raise SystemExit("wrk is missing: `make wrk` installs it")
    runs = 2 * 3 * args.rounds  # booking windows: one per wrk run
    one, two = [], []
    with (scratch_database("postgresql") as url, tempfile.TemporaryDirectory() as folder,
          ExitStack() as stack):
        folder = Path(folder)
        workload = build(url, Shape())
        first = stack.enter_context(server.served(url, ["-w", "2"], folder / "first.log"))
        second = stack.enter_context(server.served(url, ["-w", "2"], folder / "second.log"))
        tokens = sites.sign_in_all(first.port, workload.phones, PASSWORD, api=True)
        window = max(1, len(workload.sessions) // runs)
        run = 0

        def data(residents: list[str]) -> dict:
            nonlocal run
            run += 1
            return {"residents": [{"token": t} for t in residents],
                    "sessions": workload.sessions, "run": run, "window": window}

        for round_ in range(1, args.rounds + 1):
            got: dict = {}
            _book(first.port, data(tokens), folder, "one", CONNECTIONS, args.seconds, got)
            server.wait_idle(first.pid)
            halves = (tokens[: len(tokens) // 2], tokens[len(tokens) // 2:])
            threads = [threading.Thread(target=_book, args=(
                served.port, data(half), folder, f"two-{i}", CONNECTIONS // 2,
                args.seconds, got)) for i, (served, half) in enumerate(zip(
                    (first, second), halves, strict=True))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            server.wait_idle(first.pid)
            server.wait_idle(second.pid)
            one.append((got["one"].rate, got["one"].p99_ms))
            two.append((got["two-0"].rate + got["two-1"].rate,
                        max(got["two-0"].p99_ms, got["two-1"].p99_ms)))
            errors = {**got["one"].errors, **got["two-0"].errors, **got["two-1"].errors}
            print(f"round {round_}: one master {one[-1][0]:.1f}/s p99 {one[-1][1]:.0f} ms; "
                  f"two masters {two[-1][0]:.1f}/s p99 {two[-1][1]:.0f} ms"
                  + (f"; errors {errors}" if errors else ""))
        stack.close()
        checked = audit(url)

    print(f"\nPostgreSQL, {platform.python_version()}, wrk, {CONNECTIONS} connections in all, "
          f"{args.seconds} s runs, medians of {args.rounds} rounds")
    print("| masters | bookings/s | p99 ms |\n| --- | --- | --- |")
    for label, figures in (("one (-w 2)", one), ("two (-w 2 each)", two)):
        print(f"| {label} | {statistics.median(f[0] for f in figures):.1f} | "
              f"{statistics.median(f[1] for f in figures):.0f} |")
    print(f"audit: {checked.bookings} bookings, {checked.overbooked_slots} overbooked slots, "
          f"{checked.count_mismatches} count mismatches")
    return 1 if checked.overbooked_slots or checked.count_mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())

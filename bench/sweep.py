"""Benchmark: one outbox sweep over 1,000 due messages among 100,000 and 1,000,000 rows.

    .venv/bin/python -m bench.sweep [--due 1000] [--rows 100000] [--factor 10] [--rounds 5]

For each size, on a SQLite file in a temporary folder built with the migrations, bulk
SQL (one ``INSERT … SELECT`` over a recursive counter) writes the rows: ``--due``
pending SMS due a minute ago, and the rest not due — mostly sent long ago, some
pending reminders for next week, some cancelled or expired. Then one sweep
(``app.notifications.sweep.sweep``, batches of 50, the null SMS driver that accepts
everything) is timed; between rounds the due rows are made pending again. It prints
the median time per size, messages/s and the ratio large ÷ small, which the
notifications issue wants below 1.2: the sweep's cost must follow what is due, not
what is stored (every query starts from the ``(status, due_dt)`` index).
"""

import argparse
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import flask_migrate
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.notifications.channels import NullDriver
from app.notifications.sweep import sweep

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
SQLITE_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DATETIME on SQLite

SEED = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows)
INSERT INTO messages (channel, kind, recipient, subject, body, status, due_dt,
                      expires_dt, created_dt, sent_dt, attempts, last_error, booking_id)
SELECT 'sms',
       CASE WHEN i <= :due THEN 'due' ELSE 'old' END,
       printf('139%08d', i), '', printf('【乡情专家行】提醒：第%d号，请按时就诊。', i),
       CASE WHEN i <= :due THEN 'pending'
            WHEN i % 20 < 16 THEN 'sent'
            WHEN i % 20 < 19 THEN 'pending'
            WHEN i % 2 = 0 THEN 'cancelled' ELSE 'expired' END,
       CASE WHEN i <= :due THEN :due_dt
            WHEN i % 20 < 16 THEN :past
            WHEN i % 20 < 19 THEN :future
            ELSE :past END,
       NULL, :past,
       CASE WHEN i > :due AND i % 20 < 16 THEN :past END,
       CASE WHEN i > :due AND i % 20 < 16 THEN 1 ELSE 0 END, '', i
FROM n
"""


def build(rows: int, due: int, folder: str):
    app = create_app({"ENV_NAME": "development", "SECRET_KEY": "b" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/sweep-{rows}.sqlite3"})
    with app.app_context():
        flask_migrate.upgrade()
        stamp = {"due_dt": NOW - timedelta(minutes=1), "past": NOW - timedelta(days=30),
                 "future": NOW + timedelta(days=7)}
        db.session.execute(text(SEED), {"rows": rows, "due": due, **{
            k: v.replace(tzinfo=None).strftime(SQLITE_FORMAT) for k, v in stamp.items()}})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()
    return app


def time_sweep(app, due: int, rounds: int) -> list[float]:
    times = []
    with app.app_context():
        for _ in range(rounds):
            db.session.execute(text("UPDATE messages SET status = 'pending', sent_dt = NULL, "
                                    "attempts = 0 WHERE kind = 'due'"))
            db.session.commit()
            started = time.perf_counter()
            stats = sweep(now=NOW, driver=NullDriver())
            times.append(time.perf_counter() - started)
            if stats.sent != due:
                sys.exit(f"sweep sent {stats.sent}, expected {due}: {stats}")
        db.session.remove()
        db.engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--factor", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
          f"{platform.machine()} · {args.rounds} rounds, median")
    medians = []
    with tempfile.TemporaryDirectory() as folder:
        for rows in (args.rows, args.rows * args.factor):
            started = time.perf_counter()
            app = build(rows, args.due, folder)
            seeded = time.perf_counter() - started
            times = time_sweep(app, args.due, args.rounds)
            median = statistics.median(times)
            medians.append(median)
            print(f"{rows:>10,} rows, {args.due:,} due: sweep {median:.3f} s "
                  f"({args.due / median:,.0f} messages/s; rounds "
                  f"{', '.join(f'{t:.3f}' for t in times)}; seeded in {seeded:.1f} s)")
    ratio = medians[1] / medians[0]
    print(f"ratio {args.factor}x rows / 1x rows: {ratio:.2f} (target < 1.2)")


if __name__ == "__main__":
    main()

"""Benchmark: how long the largest schedule import holds the write lock (issue #14).

    .venv/bin/python -m bench.imports [--db sqlite|postgresql] [--rounds 5] [--write bulk|orm]

An import reads, expands and checks its whole file first (``plan_ics``: plain reads, no
write lock), then writes in one short write transaction (``write_schedule``, then the
caller's commit). For each database this builds an empty one with the migrations,
and then, round after round, imports the largest file the import accepts — one daily
RRULE of 2,000 clinics of 3.5 hours, seven half-hour slots each (14,000 slots) — for
a new expert each round, who already has 200 evening clinics on the file's days for
the clash checks to read, and commits it. It times the read phase, and the write phase
from taking the write lock (``restart_as_write``: SQLite's ``BEGIN IMMEDIATE``) to the
end of ``COMMIT``. ``--write orm`` writes the same plan as the code before issue #14
did — Session objects with their experts and slots, ``add_all``, ``flush`` — for
comparison. Target: write ≤ 0.5 s. Wall time on a shared machine: compare medians of
runs made close together.
"""

import argparse
import os
import platform
import statistics
import sys
from datetime import date, time, timedelta
from time import perf_counter, thread_time

import flask_migrate
from sqlalchemy import insert, text

from app.calendar.importing import SchedulePlan, plan_ics, write_schedule
from app.core import audit
from app.core.db import restart_as_write
from app.core.time import local_to_utc, local_today, utcnow
from app.directory.models import (
    Expert,
    Institution,
    InstitutionKind,
    Specialty,
    Township,
    TownshipKind,
    Venue,
    VenueKind,
)
from app.extensions import db
from app.scheduling.models import Session, SessionExpert, SessionKind, SessionStatus, Slot
from bench.workload import bench_app, postgres_url, scratch_database

SESSIONS = 2000
TARGET_S = 0.5
EVENING = (time(18, 0), time(20, 0))  # the expert's clinics already planned


def ics(first_day: date) -> bytes:
    """2,000 daily clinics 08:00–11:30, for the default expert."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//xq bench//EN\r\nBEGIN:VEVENT\r\n"
            "UID:bench-import@xiangqing\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;TZID=Asia/Shanghai:{first_day:%Y%m%d}T080000\r\n"
            f"DURATION:PT3H30M\r\nRRULE:FREQ=DAILY;COUNT={SESSIONS}\r\n"
            "SUMMARY:专家门诊\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def build(app) -> tuple[int, int]:
    """Migrate; a township's venue, a specialty and an institution (their ids)."""
    with app.app_context():
        flask_migrate.upgrade()
        venue = Venue(name="浦口镇卫生院", kind=VenueKind.TOWNSHIP_CENTRE,
                      township=Township(name="浦口镇", kind=TownshipKind.TOWN),
                      address="醴陵市浦口镇健康路1号")
        specialty = Specialty(name="心血管内科")
        db.session.add_all([venue, specialty, Institution(
            id=1, name="中南大学湘雅医院", kind=InstitutionKind.HOSPITAL)])
        db.session.commit()
        ids = venue.id, specialty.id
        db.session.remove()
    return ids


def new_expert(n: int, venue_id: int, specialty_id: int, first_day: date) -> int:
    """An expert with 200 published evening clinics on the file's first days (read by
    the clash checks)."""
    expert = Expert(name=f"专家{n}", title="主任医师", specialty_id=specialty_id,
                    institution_id=1)
    db.session.add(expert)
    db.session.flush()
    rows = [{"kind": SessionKind.CLINIC, "status": SessionStatus.PUBLISHED,
             "venue_id": venue_id, "specialty_id": specialty_id,
             "start_dt": local_to_utc(first_day + timedelta(days=d), EVENING[0]),
             "end_dt": local_to_utc(first_day + timedelta(days=d), EVENING[1]),
             "created_dt": utcnow(), "updated_dt": utcnow()} for d in range(200)]
    ids = db.session.scalars(insert(Session).returning(Session.id), rows).all()
    db.session.execute(insert(SessionExpert),
                       [{"session_id": i, "expert_id": expert.id} for i in ids])
    db.session.commit()
    return expert.id


def write_with_orm(plan: SchedulePlan, *, now) -> None:
    """The write as it was before issue #14: one ORM object per row, then a flush."""
    restart_as_write(db.session)
    venue = db.session.get(Venue, plan.venue_id)
    experts = {}
    sessions = []
    for item in plan.items:
        expert = experts.get(item.expert.id) or db.session.get(Expert, item.expert.id)
        experts[item.expert.id] = expert
        sessions.append(Session(
            kind=item.kind, status=SessionStatus.DRAFT, title=item.occ.summary,
            description=item.occ.description, venue_id=venue.id,
            specialty_id=item.expert.specialty_id, start_dt=item.occ.start_dt,
            end_dt=item.occ.end_dt, experts=[expert], created_dt=now, updated_dt=now,
            slots=[Slot(start_dt=s, end_dt=e, capacity=c) for s, e, c in item.slots]))
    db.session.add_all(sessions)
    db.session.flush()
    audit.record("schedule.import", venue, actor_id=None, now=now,
                 after={"created": len(sessions)})
    db.session.flush()


def one_round(app, n: int, ids: tuple[int, int], args) -> tuple[float, float, float]:
    """One import's read phase and write phase (wall time), and the write phase's CPU
    time in this thread (on SQLite nearly all its work; a busy machine adds to the wall
    time what other processes take of the CPU), in seconds."""
    venue_id, specialty_id = ids
    first_day = local_today(utcnow()) + timedelta(days=1)
    with app.app_context():
        expert_id = new_expert(n, venue_id, specialty_id, first_day)
        raw, now = ics(first_day), utcnow()
        started = perf_counter()
        plan = plan_ics(raw, venue_id=venue_id, default_expert_id=expert_id, now=now)
        assert plan.result.ok and len(plan.items) == SESSIONS, plan.result.errors[:3]
        locking, cpu = perf_counter(), thread_time()
        if args.write == "orm":
            write_with_orm(plan, now=now)
        else:
            assert write_schedule(plan, by=None, now=now).created == SESSIONS
        db.session.commit()
        done, cpu = perf_counter(), thread_time() - cpu
        db.session.remove()
    return locking - started, done - locking, cpu


def run(kind: str, args) -> list[tuple[float, float, float]]:
    with scratch_database(kind) as url:
        app = bench_app(url)
        ids = build(app)
        with app.app_context():
            version = db.session.execute(text(
                "select sqlite_version()" if kind == "sqlite" else "show server_version"
            )).scalar()
            db.session.remove()
        print(f"{kind} {version}, {SESSIONS} sessions, write: {args.write}")
        rounds = []
        for n in range(args.rounds):
            rounds.append(one_round(app, n, ids, args))
            read, write, cpu = rounds[-1]
            print(f"  round {n + 1}: read {read:6.3f} s   write {write:6.3f} s (CPU {cpu:.3f} s)")
        with app.app_context():
            db.engine.dispose()
    return rounds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", choices=["bulk", "orm"], default="bulk")
    args = parser.parse_args(argv)
    kinds = args.db or (["sqlite", "postgresql"] if postgres_url() else ["sqlite"])
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    ok = True
    for kind in kinds:
        rounds = run(kind, args)
        read, write, cpu = (statistics.median(column) for column in zip(*rounds, strict=True))
        print(f"  median: read {read:6.3f} s   write {write:6.3f} s (CPU {cpu:.3f} s)   "
              f"target: write ≤ {TARGET_S} s; load average now {os.getloadavg()[0]:.1f}")
        ok = ok and write <= TARGET_S
    print("target met" if ok else "target NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

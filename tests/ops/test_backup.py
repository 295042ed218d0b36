"""Issue #19, item 2: ``flask db backup`` during a booking burst, and the restore.

Six threads book lecture seats as fast as SQLite lets them (each commit is an
acknowledged booking); the backup runs in the middle of it; the copy, put in place of a
new site's database, holds every booking acknowledged before the backup started, its
seats' counts agree with its bookings, and the site serves from it.
"""

import os
import queue
import shutil
import subprocess
import threading
import time
from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from app.bookings.models import ACTIVE_STATUSES, Booking
from app.bookings.services import engine
from app.core.backup import backup
from app.extensions import db
from app.patients.models import Patient
from app.scheduling.models import SessionKind, Slot
from tests.conftest import make_app
from tests.factories import NOW, TODAY, create_patient, create_session, make_id_number

THREADS, PATIENTS, LECTURES, SEATS = 6, 150, 8, 200


def _site(url: str):
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        slots = [create_session(day=TODAY + timedelta(days=2), slots=1, capacity=SEATS,
                                kind=SessionKind.LECTURE).slots[0].id for _ in range(LECTURES)]
        patients = [create_patient(id_number=make_id_number(seq=i)).id
                    for i in range(PATIENTS)]
        db.session.commit()
        db.session.remove()
    return app, [(p, s) for s in slots for p in patients]


def _burst(app, bookings, take_backup) -> tuple[list[tuple[int, float]], float, float]:
    """Book ``bookings`` from THREADS threads, calling ``take_backup()`` once 100 are
    acknowledged; (booking id, acknowledged at) of each, and when the backup started
    and returned."""
    work: queue.SimpleQueue = queue.SimpleQueue()
    for pair in bookings:
        work.put(pair)
    acknowledged: list[tuple[int, float]] = []  # (booking id, when its commit returned)
    enough, stop = threading.Event(), threading.Event()

    def book() -> None:
        while not stop.is_set():
            try:
                patient_id, slot_id = work.get_nowait()
            except queue.Empty:
                return
            with app.app_context():
                patient = db.session.get(Patient, patient_id)
                made = engine.book(slot_id, patient, by=patient.account, now=NOW)
                db.session.commit()
                acknowledged.append((made.id, time.monotonic()))
                db.session.remove()
            if len(acknowledged) >= 100:
                enough.set()

    threads = [threading.Thread(target=book) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    assert enough.wait(60)
    started = time.monotonic()
    take_backup()
    finished = time.monotonic()
    time.sleep(0.3)  # the burst goes on after the backup too
    stop.set()
    for thread in threads:
        thread.join(60)
    return acknowledged, started, finished


def _restored_as_acknowledged(restored, acknowledged, started, finished) -> None:
    """The restored site holds every booking acknowledged before the backup started,
    none that was never acknowledged, seat counts that match, and serves."""
    with restored.app_context():
        ids = set(db.session.scalars(select(Booking.id)))
        counts = dict(db.session.execute(
            select(Booking.slot_id, func.count()).where(Booking.status.in_(ACTIVE_STATUSES))
            .group_by(Booking.slot_id)).all())
        booked = dict(db.session.execute(select(Slot.id, Slot.booked_count)).all())
        db.session.remove()
    before = {booking_id for booking_id, at in acknowledged if at < started}
    after = [booking_id for booking_id, at in acknowledged if at > finished]

    assert len(before) >= 100 and after, "the backup ran inside the burst"
    assert before <= ids
    assert ids <= {booking_id for booking_id, _ in acknowledged}
    assert {slot: n for slot, n in booked.items() if n} == counts
    assert restored.test_client().get("/schedule?kind=lecture").status_code == 200
    with restored.app_context():
        db.engine.dispose()


def test_a_backup_during_a_burst_restores_every_acknowledged_booking(tmp_path):
    app, bookings = _site(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    made = []

    def take_backup() -> None:
        with app.app_context():
            made.append(backup(make_url(db.engine.url), tmp_path / "backup.sqlite3"))

    acknowledged, started, finished = _burst(app, bookings, take_backup)
    with app.app_context():
        db.engine.dispose()
    restored_path = tmp_path / "restored.sqlite3"
    shutil.copyfile(made[0].path, restored_path)  # README's restore: the file put back
    _restored_as_acknowledged(make_app(f"sqlite:///{restored_path}"), acknowledged,
                              started, finished)


def test_pg_dump_during_a_burst_restores_every_acknowledged_booking(tmp_path, scratch_url):
    """README's PostgreSQL procedure: pg_dump while the site runs, pg_restore into a new
    database."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the PostgreSQL tier (TEST_DATABASE_URL) is not set")
    app, bookings = _site(scratch_url)
    url = make_url(scratch_url)
    dump = tmp_path / "xiangqing.dump"

    def address(database: str) -> str:  # as libpq's tools take it
        return URL.create("postgresql", username=url.username, host=url.host,
                          port=url.port, database=database).render_as_string()

    def take_backup() -> None:
        subprocess.run(["pg_dump", "--format=custom", "--file", str(dump),
                        address(url.database)],
                       check=True, timeout=120)

    acknowledged, started, finished = _burst(app, bookings, take_backup)
    with app.app_context():
        db.engine.dispose()
    restored_name = f"{url.database}_restored"
    admin = address("postgres")
    subprocess.run(["psql", "-q", admin, "-c", f'CREATE DATABASE "{restored_name}"'],
                   check=True, timeout=60)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--dbname", address(restored_name),
                        str(dump)], check=True, timeout=120)
        _restored_as_acknowledged(
            make_app(url.set(database=restored_name).render_as_string(hide_password=False)),
            acknowledged, started, finished)
    finally:
        subprocess.run(["psql", "-q", admin, "-c",
                        f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'],
                       check=True, timeout=60)


def test_the_backup_command_on_sqlite_and_on_postgresql(tmp_path):
    app, _ = _site(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    runner = app.test_cli_runner()

    done = runner.invoke(args=["db", "backup", str(tmp_path / "copy.sqlite3")])

    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"backed up to {tmp_path / 'copy.sqlite3'} (")
    assert "integrity checked" in done.output
    onto_itself = runner.invoke(args=["db", "backup", str(tmp_path / "site.sqlite3")])
    nowhere = runner.invoke(args=["db", "backup", str(tmp_path / "no" / "copy.sqlite3")])
    assert (onto_itself.exit_code, nowhere.exit_code) == (2, 2)
    assert "is the database itself" in onto_itself.output
    assert f"no folder {tmp_path / 'no'}" in nowhere.output
    assert (tmp_path / "site.sqlite3").stat().st_size > 0
    with app.app_context():
        db.engine.dispose()

    postgresql = make_app("postgresql+psycopg://xq:s3cret@db.example:5433/xiangqing")
    advice = postgresql.test_cli_runner().invoke(args=["db", "backup", "/srv/xq.dump"])

    assert advice.exit_code == 2
    assert ("pg_dump --format=custom --file /srv/xq.dump "
            "'postgresql://xq@db.example:5433/xiangqing'") in advice.output
    assert "s3cret" not in advice.output

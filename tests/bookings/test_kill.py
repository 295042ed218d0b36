"""kill -9 in the middle of a booking burst: gunicorn's master and workers die at once,
on production's transaction path and server (gunicorn.conf.py, production settings).
After a restart every booking that was acknowledged (a 201 reached its client) is
there, no slot holds more than its places, and SQLite's integrity check is clean."""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import func, select, text

from app.auth.token_models import TokenKind
from app.auth.tokens import issue_token
from app.bookings.models import ACTIVE_STATUSES, Booking
from app.core.time import local_today, utcnow
from app.extensions import db
from app.scheduling.models import Slot
from tests.conftest import make_app
from tests.factories import create_patient, create_policy, create_session, create_user

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
KEYS = {"SECRET_KEY": "kill-test-secret-key-0123456789-abcdef",
        "DATA_KEY": "kill-test-data-key-0123456789-abcdefgh",
        "SITE_URL": "https://kill.xiangqing.invalid"}
CLIENTS = 12
ACKNOWLEDGED_BEFORE_KILL = 30


def _build(url: str) -> tuple[list[int], list[tuple[str, int]]]:
    """Slots 2 days ahead (8 × 30 places) and residents with a token each: (slot ids,
    [(token, patient id)])."""
    app = make_app(url, **KEYS)
    with app.app_context():
        flask_migrate.upgrade()
        create_policy(max_active_per_person=1000, one_per_session=False)
        # The server runs on the machine's clock: two days from today, released already.
        session = create_session(day=local_today(utcnow()) + timedelta(days=2), slots=8,
                                 capacity=30)
        clients = []
        for i in range(CLIENTS):
            user = create_user(phone=f"1393{i:07d}")
            clients.append((user, create_patient(account=user, phone=user.phone).id))
        db.session.commit()
        slot_ids = [slot.id for slot in session.slots]
        tokens = []
        for user, patient_id in clients:
            _row, secret = issue_token(user, kind=TokenKind.PERSONAL, days=30, now=utcnow())
            db.session.commit()
            tokens.append((secret, patient_id))
        db.session.remove()
        db.engine.dispose()
    return slot_ids, tokens


def stored_bookings() -> tuple[set[int], list]:
    """The active bookings' ids, and (slot id, booked_count, capacity, active bookings)
    of every slot — what a burst's assertions compare (tests/ops/test_two_machines.py)."""
    stored = set(db.session.scalars(select(Booking.id).where(
        Booking.status.in_(ACTIVE_STATUSES))))
    counts = db.session.execute(
        select(Slot.id, Slot.booked_count, Slot.capacity,
               select(func.count()).where(Booking.slot_id == Slot.id,
                                          Booking.status.in_(ACTIVE_STATUSES))
               .scalar_subquery())).all()
    return stored, counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _gunicorn(url: str, log: Path, **settings: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """The site as production runs it, in a process group of its own; the clock is
    the machine's (the slots are two days ahead, released already). ``settings``:
    more environment (tests/ops/test_two_machines.py)."""
    port = _free_port()
    env = {**os.environ, **KEYS, "DATABASE_URL": url, "XQ_ENV": "production",
           "INSECURE_COOKIES": "1", "RATELIMIT_ENABLED": "false", "SMS_DRIVER": "null",
           "MAIL_DRIVER": "null", **settings}
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [str(GUNICORN), "-w", "2", "-k", "gthread", "--threads", "4",
             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield port, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _book(port: int, token: str, patient_id: int, slot_id: int, key: str) -> int | None:
    """The booking's id when a 201 came back, else None (refused, or no answer)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/bookings", method="POST",
        data=json.dumps({"slot_id": slot_id, "patient_id": patient_id}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["id"] if response.status == 201 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None  # no answer, or one cut off by the kill: not acknowledged


def _burst_then_kill(port: int, process, slot_ids, tokens) -> list[int]:
    """Every client books slot after slot until the server dies under them; the server
    is killed (master and workers, SIGKILL) once enough bookings were acknowledged."""
    acknowledged: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        token, patient_id = tokens[n]
        for round_ in range(1000):
            booking_id = _book(port, token, patient_id, slot_ids[round_ % len(slot_ids)],
                               f"kill-{n}-{round_}")
            if booking_id is None and process.poll() is not None:
                return
            if booking_id is not None:
                with lock:
                    acknowledged.append(booking_id)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < ACKNOWLEDGED_BEFORE_KILL and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)  # master and workers, mid-burst
    process.wait(10)
    for thread in threads:
        thread.join(60)
    return acknowledged


def test_kill_9_mid_burst_loses_no_acknowledged_booking(scratch_url, tmp_path):
    slot_ids, tokens = _build(scratch_url)
    log = tmp_path / "gunicorn.log"

    with _gunicorn(scratch_url, log) as (port, process):
        acknowledged = _burst_then_kill(port, process, slot_ids, tokens)
    with _gunicorn(scratch_url, log) as (port, _process):  # restarted on the same data
        after = _book(port, tokens[0][0], tokens[0][1], slot_ids[0], "after-restart")

    app = make_app(scratch_url, **KEYS)
    with app.app_context():
        stored, counts = stored_bookings()
        integrity = (db.session.execute(text("PRAGMA integrity_check")).scalar()
                     if db.engine.dialect.name == "sqlite" else "ok")
        db.session.remove()
        db.engine.dispose()

    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL
    assert set(acknowledged) <= stored  # every acknowledged booking survived
    assert all(booked == active <= capacity for _id, booked, capacity, active in counts)
    assert after is not None  # the restarted site books again
    assert integrity == "ok"

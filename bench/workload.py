"""The benchmark's database: built from empty with the migrations, filled with the app's
models, checked for overbooking afterwards. The load itself comes from wrk
(bench/wrk/), which knows nothing of the app."""

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.auth.models import Role, User, UserRole
from app.auth.passwords import hash_password
from app.bookings.models import ACTIVE_STATUSES, Booking, BookingPolicy
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
from app.patients import idnumbers
from app.patients.models import Patient, Relation
from app.scheduling.models import Session, SessionKind, SessionStatus, Slot

# Fixed, 40 characters each: the server and the workload must derive the same keys.
SECRET_KEY = "xiangqing-bench-only-fixed-secret-key-40"
DATA_KEY = "xiangqing-bench-only-fixed-data-key-0040"
# Production refuses to start without the site's address; the bench's is never served.
SITE_URL = "https://bench.xiangqing.invalid"
PASSWORD = "bench-resident-password"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Shape:
    """How much to write. Sessions are spread 2–6 days ahead, inside the default
    release window (7 days ahead at 08:00) and well before the 1-hour cut-off."""

    residents: int = 128
    experts: int = 60
    sessions_per_expert: int = 10  # 5 days × morning and afternoon
    slots_per_session: int = 8
    capacity: int = 8

    @property
    def places(self) -> int:
        return (self.experts * self.sessions_per_expert * self.slots_per_session
                * self.capacity)


@dataclass(frozen=True)
class Workload:
    phones: list[str]
    sessions: list[list[int]]  # slot ids, per session


def postgres_url() -> str | None:
    """The server to make the scratch database on, when one is configured or answers."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return DEFAULT_POSTGRES


@contextmanager
def scratch_database(kind: str) -> Iterator[str]:
    """An empty database: a SQLite file in a temporary folder, or a PostgreSQL database
    ``xq_bench_<random>`` that is dropped afterwards (also after Ctrl-C)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="xq-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    base = make_url(postgres_url() or DEFAULT_POSTGRES)
    name = f"xq_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_app(url: str):
    """The app as production builds it, on ``url``, with the bench's fixed keys."""
    return create_app({"ENV_NAME": "production", "SECRET_KEY": SECRET_KEY,
                       "DATA_KEY": DATA_KEY, "SITE_URL": SITE_URL,
                       "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})


def build(url: str, shape: Shape) -> Workload:
    """Migrate ``url`` from empty and write the workload."""
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        today = local_today(utcnow())
        _allow_many_bookings(shape)
        sessions = _sessions(shape, today)
        phones = _residents(shape)
        db.session.commit()
        workload = Workload(phones=phones,
                            sessions=[[slot.id for slot in s.slots] for s in sessions])
        db.session.remove()
        db.engine.dispose()
    return workload


def _allow_many_bookings(shape: Shape) -> None:
    """One policy row with a per-person limit the run cannot reach."""
    policy = db.session.get(BookingPolicy, 1) or BookingPolicy(id=1)
    policy.max_active_per_person = shape.experts * shape.sessions_per_expert + 1
    db.session.add(policy)


def _sessions(shape: Shape, today: date) -> list[Session]:
    townships = [Township(name=f"压测{i}镇", kind=TownshipKind.TOWN) for i in range(5)]
    venues = [Venue(name=f"压测{i}镇卫生院", kind=VenueKind.TOWNSHIP_CENTRE,
                    township=townships[i % 5], address=f"压测路{i}号") for i in range(10)]
    hospital = Institution(name="压测省人民医院", kind=InstitutionKind.HOSPITAL)
    specialties = [Specialty(name=f"压测科{i}") for i in range(6)]
    sessions = []
    for e in range(shape.experts):
        expert = Expert(name=f"专家{e:03d}", title="主任医师", institution=hospital,
                        specialty=specialties[e % len(specialties)])
        for n in range(shape.sessions_per_expert):
            day = today + timedelta(days=2 + (n // 2) % 5)
            start = time(8, 30) if n % 2 == 0 else time(14, 30)
            sessions.append(_clinic(expert, venues[e % len(venues)], day, start, shape))
    db.session.add_all(sessions)
    db.session.flush()
    return sessions


def _clinic(expert: Expert, venue: Venue, day: date, start: time, shape: Shape) -> Session:
    start_dt = local_to_utc(day, start)
    step = timedelta(minutes=25)
    return Session(
        kind=SessionKind.CLINIC, status=SessionStatus.PUBLISHED, venue=venue,
        specialty=expert.specialty, experts=[expert], start_dt=start_dt,
        end_dt=start_dt + step * shape.slots_per_session,
        slots=[Slot(start_dt=start_dt + i * step, end_dt=start_dt + (i + 1) * step,
                    capacity=shape.capacity) for i in range(shape.slots_per_session)],
    )


def _residents(shape: Shape) -> list[str]:
    """Residents, each with themself as a patient; one password hash for all."""
    password_hash = hash_password(PASSWORD)
    phones = []
    for i in range(shape.residents):
        user = User(phone=f"1395{i:07d}", name=f"居民{i:04d}", password_hash=password_hash,
                    role_rows=[UserRole(role=Role.RESIDENT)])
        birth = date(1940, 1, 1) + timedelta(days=37 * i % 20000)
        number = idnumbers.with_check_digit(f"430281{birth:%Y%m%d}{i % 1000:03d}")
        patient = Patient(account=user, name=user.name, relation=Relation.SELF,
                          phone=user.phone)
        patient.set_id_number(idnumbers.parse(number))
        db.session.add_all([user, patient])
        phones.append(user.phone)
    return phones


@dataclass(frozen=True)
class Audit:
    """After the run: what the database holds, slot by slot."""

    bookings: int  # active bookings in all
    overbooked_slots: int  # active bookings > capacity
    over_capacity_counts: int  # booked_count > capacity
    count_mismatches: int  # booked_count != active bookings (no waitlist runs here)


def audit(url: str) -> Audit:
    app = bench_app(url)
    with app.app_context():
        active = (select(Booking.slot_id, func.count().label("n"))
                  .where(Booking.status.in_(ACTIVE_STATUSES))
                  .group_by(Booking.slot_id).subquery())
        rows = db.session.execute(
            select(Slot.capacity, Slot.booked_count, func.coalesce(active.c.n, 0))
            .outerjoin(active, active.c.slot_id == Slot.id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    return Audit(
        bookings=sum(n for _c, _b, n in rows),
        overbooked_slots=sum(1 for cap, _b, n in rows if n > cap),
        over_capacity_counts=sum(1 for cap, booked, _n in rows if booked > cap),
        count_mismatches=sum(1 for _c, booked, n in rows if booked != n),
    )

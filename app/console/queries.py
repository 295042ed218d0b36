"""Read-side queries for the staff console."""

from datetime import date, datetime, time, timedelta
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.bookings.models import Booking
from app.core.models import AuditEntry
from app.core.time import local_day_bounds, to_local
from app.directory.models import Expert, Institution, Specialty, Township, Venue
from app.extensions import db
from app.scheduling.models import Session, Slot


def console_session(session_id: int) -> Session | None:
    """A session in any status, with its slots and experts."""
    return db.session.scalars(
        select(Session).where(Session.id == session_id)
        .options(selectinload(Session.slots), selectinload(Session.experts))
    ).first()


def by_local_day(sessions: list[Session]) -> list[tuple]:
    """[(local date, [sessions])] in the order given."""
    return [(day, list(items))
            for day, items in groupby(sessions, key=lambda s: to_local(s.start_dt).date())]


def session_bookings(session_id: int) -> list[Booking]:
    """Every booking of a session in time order (its slot's, then the queue number),
    with patient and slot (two reads)."""
    return db.session.scalars(
        select(Booking).join(Booking.slot).where(Booking.session_id == session_id)
        .order_by(Slot.start_dt, Booking.queue_number)
        .options(selectinload(Booking.patient), selectinload(Booking.slot))
    ).all()


def booking_in(session: Session, booking_id: int) -> Booking | None:
    booking = db.session.get(Booking, booking_id)
    return booking if booking is not None and booking.session_id == session.id else None


def walk_in_slots(session: Session, *, now: datetime) -> list[Slot]:
    """Slots the front desk can still fill: places left and not over yet."""
    return [s for s in session.slots if s.public_left(now) > 0 and s.end_dt > now]


def audit_object_types() -> list[str]:
    return db.session.scalars(
        select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    ).all()


def user_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


def audit_page(*, object_type: str | None, actor_id: int | None, page: int, per_page: int):
    """The audit log, newest first, one page (a Flask-SQLAlchemy Pagination)."""
    query = select(AuditEntry).order_by(AuditEntry.created_dt.desc(), AuditEntry.id.desc())
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=100, error_out=False)


def actors(entries: list[AuditEntry]) -> dict[int, User]:
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


_NAMED = {"venues": Venue, "experts": Expert, "institutions": Institution,
          "specialties": Specialty, "townships": Township}


def audit_names(entries: list[AuditEntry], id_fields: dict[str, str]) -> dict[tuple, str]:
    """The names of the rows the entries' id fields (``id_fields``: field → kind of
    row) refer to, by (kind, id): one query per kind of row."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            for key, value in values.items():
                if key in id_fields:
                    ids = value if isinstance(value, list) else [value]
                    wanted.setdefault(id_fields[key], set()).update(
                        i for i in ids if isinstance(i, int) and not isinstance(i, bool))
    names = {}
    for kind, ids in wanted.items():
        model = _NAMED[kind]
        for row_id, name in db.session.execute(select(model.id, model.name)
                                               .where(model.id.in_(ids))):
            names[(kind, row_id)] = name
    return names


# The parts of a day a venue's week is planned in: (key, first hour, default start, end).
DAY_PARTS = (("morning", 0, time(8, 0), time(11, 30)),
             ("afternoon", 12, time(14, 0), time(17, 0)),
             ("evening", 18, time(19, 0), time(20, 30)))


def day_part(start_dt: datetime) -> str:
    """morning / afternoon / evening of a session by its local start."""
    hour = to_local(start_dt).hour
    return next(key for key, first, _s, _e in reversed(DAY_PARTS) if hour >= first)


def venue_week(venue_id: int, first: date) -> dict[tuple[date, str], list[Session]]:
    """The venue's sessions of the 7 days from ``first`` (any status), by (local day,
    part of the day), in time order."""
    start, end = local_day_bounds(first, first + timedelta(days=6))
    sessions = db.session.scalars(
        select(Session).where(Session.venue_id == venue_id, Session.start_dt >= start,
                              Session.start_dt < end)
        .order_by(Session.start_dt, Session.id)).all()
    cells: dict[tuple[date, str], list[Session]] = {}
    for session in sessions:
        cells.setdefault((to_local(session.start_dt).date(), day_part(session.start_dt)),
                         []).append(session)
    return cells

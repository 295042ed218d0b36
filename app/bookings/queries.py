"""Read-side queries for a resident's bookings, patients and waitlist entries."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.bookings.models import ACTIVE_STATUSES, Booking, WaitlistEntry, WaitlistStatus
from app.directory.models import Expert, Specialty, Township, Venue
from app.extensions import db
from app.patients.models import Patient
from app.scheduling.models import (
    Session,
    SessionExpert,
    SessionKind,
    SessionStatus,
    Slot,
    display_title,
)


def my_patients(user: User) -> list[Patient]:
    return db.session.scalars(
        select(Patient).where(Patient.account_id == user.id, Patient.is_enabled)
        .order_by(Patient.relation != "self", Patient.id)
    ).all()


def _my_bookings(user: User) -> Select:
    """Active bookings first (soonest first), then the rest (newest first)."""
    active_first = case((Booking.status.in_(ACTIVE_STATUSES), 0), else_=1)
    return (
        select(Booking).join(Booking.slot)
        .where(Booking.account_id == user.id)
        .order_by(active_first, case((Booking.status.in_(ACTIVE_STATUSES), Slot.start_dt)),
                  Slot.start_dt.desc(), Booking.id.desc())
        .options(selectinload(Booking.slot), selectinload(Booking.patient),
                 selectinload(Booking.session).selectinload(Session.experts))
    )


def my_bookings(user: User, *, limit: int = 100) -> list[Booking]:
    """Active bookings first (soonest first), then the rest (newest first)."""
    return db.session.scalars(_my_bookings(user).limit(limit)).all()


def my_bookings_page(user: User, *, page: int, per_page: int):
    """One page of ``my_bookings`` (a Flask-SQLAlchemy Pagination), for the API."""
    return db.paginate(_my_bookings(user), page=page, per_page=per_page, max_per_page=100,
                       error_out=False)


def my_waitlist(user: User) -> list[WaitlistEntry]:
    return db.session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.account_id == user.id,
               WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)))
        .order_by(WaitlistEntry.id)
        .options(selectinload(WaitlistEntry.slot).selectinload(Slot.session),
                 selectinload(WaitlistEntry.patient))
    ).all()


@dataclass(frozen=True)
class SlotFacts:
    """What booking a slot needs to know of it, as plain values."""

    id: int
    session_id: int
    start_dt: datetime
    end_dt: datetime
    session_status: SessionStatus
    kind: SessionKind
    venue_name: str
    title: str  # the session's display title


def slot_facts(slot_id: int) -> SlotFacts | None:
    """The slot, its session and venue in one statement (and the experts' names when
    the session has no title of its own): the booking engine's hot read, done on the
    unit of work's connection without building ORM objects."""
    conn = db.session.connection()
    row = conn.execute(
        select(Slot.id, Slot.session_id, Slot.start_dt, Slot.end_dt, Session.status,
               Session.kind, Session.title, Venue.name, Specialty.name)
        .join(Session, Session.id == Slot.session_id)
        .join(Venue, Venue.id == Session.venue_id)
        .outerjoin(Specialty, Specialty.id == Session.specialty_id)
        .where(Slot.id == slot_id)
    ).first()
    if row is None:
        return None
    names = [] if row[6] else [e.name for e in _session_experts(conn, row[1], Expert.name)]
    return SlotFacts(id=row[0], session_id=row[1], start_dt=row[2], end_dt=row[3],
                     session_status=row[4], kind=row[5], venue_name=row[7],
                     title=display_title(row[6], names, row[8]))


def _session_experts(conn, session_id: int, *columns) -> list:
    """``columns`` of the session's experts, in the order pages list them."""
    return conn.execute(
        select(*columns).join(SessionExpert, SessionExpert.expert_id == Expert.id)
        .where(SessionExpert.session_id == session_id).order_by(Expert.id)
    ).all()


def booking_view(booking_id: int) -> dict | None:
    """A booking as an answer about it shows it — its slot, its session with venue,
    township and experts, its patient — as nested plain values, in two statements on
    the unit of work's connection (building the ORM graph for it costs ~2 ms)."""
    conn = db.session.connection()
    row = conn.execute(
        select(Booking.id, Booking.code, Booking.queue_number, Booking.status,
               Booking.source, Booking.cancel_reason, Booking.created_dt,
               Booking.updated_dt, Booking.cancelled_dt, Booking.checked_in_dt,
               Slot.id, Slot.start_dt, Slot.end_dt,
               Session.id, Session.kind, Session.status, Session.title,
               Venue.id, Venue.name, Venue.address, Township.id, Township.name,
               Township.kind, Specialty.name, Patient.id, Patient.name, Patient.relation)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Session, Session.id == Booking.session_id)
        .join(Venue, Venue.id == Session.venue_id)
        .join(Township, Township.id == Venue.township_id)
        .outerjoin(Specialty, Specialty.id == Session.specialty_id)
        .join(Patient, Patient.id == Booking.patient_id)
        .where(Booking.id == booking_id)
    ).first()
    if row is None:
        return None
    (bid, code, number, status, source, reason, created, updated, cancelled, checked_in,
     slot_id, start, end, session_id, kind, session_status, title, venue_id, venue,
     address, township_id, township, township_kind, specialty, patient_id, patient,
     relation) = row
    experts = [{"id": e.id, "name": e.name, "title": e.title}
               for e in _session_experts(conn, session_id, Expert.id, Expert.name, Expert.title)]
    return {
        "id": bid, "code": code, "queue_number": number, "status": status,
        "source": source, "cancel_reason": reason, "created_dt": created,
        "updated_dt": updated, "cancelled_dt": cancelled, "checked_in_dt": checked_in,
        "slot": {"id": slot_id, "start_dt": start, "end_dt": end},
        "session": {
            "id": session_id, "kind": kind, "status": session_status, "experts": experts,
            "display_title": display_title(title, [e["name"] for e in experts], specialty),
            "venue": {"id": venue_id, "name": venue, "address": address,
                      "township": {"id": township_id, "name": township,
                                   "kind": township_kind}},
        },
        "patient": {"id": patient_id, "name": patient, "relation": relation},
    }


def slot_with_session(slot_id: int) -> Slot | None:
    return db.session.get(Slot, slot_id, options=[joinedload(Slot.session)])

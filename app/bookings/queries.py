"""Read-side queries for a resident's bookings, patients and waitlist entries."""

from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.bookings.models import ACTIVE_STATUSES, Booking, WaitlistEntry, WaitlistStatus
from app.extensions import db
from app.patients.models import Patient
from app.scheduling.models import Session, Slot


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


def slot_with_session(slot_id: int) -> Slot | None:
    return db.session.get(Slot, slot_id, options=[joinedload(Slot.session)])

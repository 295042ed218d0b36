"""Read-side queries for a resident's bookings, patients and waitlist entries."""

from sqlalchemy import case, select
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


def my_bookings(user: User, *, limit: int = 100) -> list[Booking]:
    """Active bookings first (soonest first), then the rest (newest first)."""
    active_first = case((Booking.status.in_(ACTIVE_STATUSES), 0), else_=1)
    return db.session.scalars(
        select(Booking).join(Booking.slot)
        .where(Booking.account_id == user.id)
        .order_by(active_first, case((Booking.status.in_(ACTIVE_STATUSES), Slot.start_dt)),
                  Slot.start_dt.desc())
        .options(selectinload(Booking.slot), selectinload(Booking.patient),
                 selectinload(Booking.session).selectinload(Session.experts))
        .limit(limit)
    ).all()


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

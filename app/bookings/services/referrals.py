"""Referral places (转诊号源): a session keeps part of its places for patients that
township doctors refer, until the places' release time; then unused ones join the
public pool (the engine computes that from the clock when it takes a place).

Who refers where, as plain rules on the acting user:

- a township doctor (乡镇医生) into sessions at the venues of their health centre's
  township;
- a coordinator into sessions at the venues they coordinate;
- an admin anywhere.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.bookings.errors import NotBookable
from app.bookings.models import Booking, BookingSource
from app.bookings.services import desk, engine
from app.core import audit
from app.directory.models import TownshipDoctor, Venue, VenueCoordinator
from app.extensions import db
from app.scheduling.models import Session, SessionStatus, Slot

NOTE_LENGTH = 200


def refer_clause(user: User) -> ColumnElement[bool]:
    """A condition on Session: the sessions ``user`` may refer patients into."""
    if user.has_role(Role.ADMIN):
        return true()
    clauses = []
    if user.has_role(Role.COORDINATOR):
        clauses.append(Session.venue_id.in_(
            select(VenueCoordinator.venue_id).where(VenueCoordinator.user_id == user.id)))
    if user.has_role(Role.TOWNSHIP_DOCTOR):
        township = (select(Venue.township_id).join(TownshipDoctor,
                                                   TownshipDoctor.venue_id == Venue.id)
                    .where(TownshipDoctor.user_id == user.id).scalar_subquery())
        clauses.append(Session.venue_id.in_(select(Venue.id)
                                            .where(Venue.township_id == township)))
    return or_(false(), *clauses)


def referral_sessions(user: User, *, now: datetime) -> list[Session]:
    """The published sessions still to come that ``user`` may refer into and that hold
    referral places now, in time order."""
    held = (select(Slot.session_id)
            .where(Slot.reserved > Slot.referred_count, Slot.reserved_until > now))
    return db.session.scalars(
        select(Session)
        .where(refer_clause(user), Session.status == SessionStatus.PUBLISHED,
               Session.start_dt > now, Session.id.in_(held))
        .order_by(Session.start_dt, Session.id)
        .options(selectinload(Session.slots), selectinload(Session.experts))
    ).all()


def referral_session(user: User, session_id: int) -> Session | None:
    """Session ``session_id`` if ``user`` may refer into it (else None: not revealed)."""
    return db.session.scalar(select(Session).where(Session.id == session_id,
                                                   refer_clause(user)))


def may_refer_to_slot(user: User, slot_id: int) -> bool:
    """Whether ``user`` may refer into the session of slot ``slot_id`` (False too when
    there is no such slot: not revealed)."""
    return db.session.scalar(select(Slot.id).join(Session, Session.id == Slot.session_id)
                             .where(Slot.id == slot_id, refer_clause(user))) is not None


def book_referral(slot_id: int, *, name: str, id_number: str, phone: str, note: str,
                  by: User, now: datetime, idempotency_key: str | None = None) -> Booking:
    """Book a referred patient (as the desk records a person without an account) into
    one of the slot's referral places, with the referral note the expert will read;
    audited; a repeated ``idempotency_key`` books once. The caller has checked
    ``referral_session`` or ``may_refer_to_slot``; the caller commits."""
    note = note.strip()
    if not note:
        raise NotBookable(_("请写一句转诊说明（病情、为什么转诊）"))
    patient = desk.register_walk_in(name=name, id_number=id_number, phone=phone)
    booked = engine.book(slot_id, patient, by=by, now=now, source=BookingSource.REFERRAL,
                         referral_note=note[:NOTE_LENGTH], idempotency_key=idempotency_key)
    booking = db.session.get(Booking, booked.id)
    if booked.replayed:
        return booking
    audit.record("booking.referral", booking, actor_id=by.id, now=now,
                 after={"slot_id": slot_id, "queue_number": booking.queue_number,
                        "note": note[:NOTE_LENGTH]})
    return booking

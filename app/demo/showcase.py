"""The states a reviewer should meet in the demo, made after the bulk rows in the seed's
unit of work, through the site's own services wherever the state has one: reminders
queued for the seeded future bookings, accounts with e-mail, a weekly lecture series, a
full slot with waiters and a live offer, a person suspended for three no-shows (the
first two recorded as rows, the third marked as the desk marks it), and a session
stopped (停诊) with its notices.

The last residents (``SHOWCASE_PHONES``) are kept out of the bulk bookings for this, so
the README can name them.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.bookings.errors import BookingError
from app.bookings.models import Booking, BookingSource, BookingStatus
from app.bookings.services import changes, desk, engine, notices, stopping, waitlist
from app.core.time import local_to_utc, local_today
from app.directory.models import Expert, Venue, VenueCoordinator, VenueKind
from app.extensions import db
from app.patients.models import Patient, Person, Relation
from app.scheduling.models import Audience, Session, SessionKind, SessionStatus, Slot
from app.scheduling.series import SeriesPlan, create_series
from app.scheduling.services import ClashError, PlanError

WAITERS = ("13900001000", "13900000999", "13900000998")  # the first gets the offer
SUSPENDED = "13900000997"
SHOWCASE_PHONES = (*WAITERS, SUSPENDED, "13900000996")
EMAIL_PHONES = ("13800000000", *(f"1390000000{n}" for n in range(1, 6)))
SERIES_TITLE = "乡情健康大讲堂"


def showcase(*, now: datetime) -> dict[str, str]:
    """Make the states in the seed's write unit of work (the seed commits); what was
    made, for the seed's report (keys: what, values: where to see it)."""
    made = {}
    made["e-mail"] = _emails()
    made["reminders"] = _reminders(now)
    made["series"] = _series(now)
    made["offer"] = _offer(now)
    made["suspended"] = _suspension(now)
    made["stopped"] = _stop(now)
    return {what: where for what, where in made.items() if where}


def _emails() -> str:
    db.session.execute(update(User).where(User.phone.in_(EMAIL_PHONES))
                       .values(email=User.phone + "@example.org", notify_email=True))
    return ", ".join(EMAIL_PHONES)


def _reminders(now: datetime) -> str:
    """The 24-hour and 2-hour reminders of every confirmed booking still to come, as a
    booking made now would have queued them."""
    bookings = db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == BookingStatus.CONFIRMED, Slot.start_dt > now)
        # What facts_of reads, loaded in a few statements rather than per booking.
        .options(selectinload(Booking.slot), selectinload(Booking.session),
                 selectinload(Booking.patient), selectinload(Booking.account))).all()
    for booking in bookings:
        notices.schedule_reminders(notices.facts_of(booking), now=now)
    db.session.flush()
    return f"{len(bookings)} bookings"


def _series(now: datetime) -> str:
    """A lecture every Saturday afternoon for six weeks at the lecture hall, by the
    first expert free then, planned by the hall's coordinator."""
    hall, coordinator = db.session.execute(
        select(Venue, User).join(VenueCoordinator, VenueCoordinator.venue_id == Venue.id)
        .join(User, User.id == VenueCoordinator.user_id)
        .where(Venue.kind == VenueKind.LECTURE_HALL).order_by(Venue.id).limit(1)).one()
    today = local_today(now)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    for expert_id in db.session.scalars(select(Expert.id).order_by(Expert.id).limit(40)):
        plan = SeriesPlan(
            venue_id=hall.id, kind=SessionKind.LECTURE, expert_ids=[expert_id],
            first_day=saturday, start=time(15, 0), end=time(16, 30), count=6,
            weekdays=(5,), title=SERIES_TITLE, audience=Audience.PUBLIC, seats=120,
            status=SessionStatus.PUBLISHED)
        try:
            with db.session.begin_nested():
                series = create_series(plan, by=coordinator, now=now)
            count = db.session.scalar(select(func.count()).select_from(Session)
                                      .where(Session.series_id == series.id))
            return f"{SERIES_TITLE}, {hall.name}, {count} Saturdays from {saturday}"
        except (ClashError, PlanError):
            continue
    return ""


def _patient(phone: str) -> Patient:
    return db.session.scalars(select(Patient).join(User, User.id == Patient.account_id)
                              .where(User.phone == phone,
                                     Patient.relation == Relation.SELF)).one()


def _offer(now: datetime) -> str:
    """The first full clinic slot at least four hours away gets three waiters; then one
    of its bookings is cancelled, and the first waiter is offered the place."""
    full = select(Slot.id).join(Session, Session.id == Slot.session_id).where(
        Session.status == SessionStatus.PUBLISHED, Session.kind == SessionKind.CLINIC,
        Session.audience == Audience.PUBLIC, Slot.booked_count == Slot.capacity,
        Slot.capacity > 0, Slot.start_dt >= now + timedelta(hours=4)
    ).order_by(Slot.start_dt, Slot.id).limit(20)
    for slot_id in db.session.scalars(full).all():
        try:
            with db.session.begin_nested():
                for phone in WAITERS:
                    patient = _patient(phone)
                    waitlist.join_waitlist(slot_id, patient, by=patient.account, now=now)
                db.session.flush()
                leaving = db.session.scalars(
                    select(Booking).where(Booking.slot_id == slot_id,
                                          Booking.status == BookingStatus.CONFIRMED)
                    .order_by(Booking.id).limit(1)).one()
                changes.cancel_booking(leaving, by=leaving.account, now=now,
                                       reason="家里有事")
                db.session.flush()
            return f"{WAITERS[0]} (slot {slot_id}; then {', '.join(WAITERS[1:])} wait)"
        except BookingError:
            continue
    return ""


def _suspension(now: datetime) -> str:
    """Three clinic no-shows within the window: two recorded, the third marked as the
    desk marks it, which suspends the person and tells them."""
    patient = _patient(SUSPENDED)
    today = local_today(now)
    slots = db.session.execute(
        select(Slot.id, Slot.session_id, Slot.start_dt, Slot.first_number, Slot.booked_count)
        .join(Session, Session.id == Slot.session_id)
        .where(Session.status == SessionStatus.COMPLETED, Session.kind == SessionKind.CLINIC,
               Slot.booked_count < Slot.capacity, Slot.numbers > 0,
               Slot.start_dt >= local_to_utc(today - timedelta(days=12), time.min))
        .order_by(Slot.start_dt, Slot.id)).all()
    chosen, seen = [], set()
    for slot in slots:
        if slot.session_id not in seen:
            chosen.append(slot)
            seen.add(slot.session_id)
        if len(chosen) == 3:
            break
    if len(chosen) < 3:
        return ""
    db.session.execute(insert(Person), [{"key": patient.id_number_hash, "active_count": 1,
                                         "suspended_until": None}])
    rows = []
    for n, slot in enumerate(chosen):
        rows.append(_booking_row(patient, slot, status=BookingStatus.CONFIRMED if n == 2
                                 else BookingStatus.NO_SHOW))
        db.session.execute(update(Slot).where(Slot.id == slot.id)
                           .values(booked_count=Slot.booked_count + 1))
    db.session.execute(insert(Booking), rows)
    db.session.flush()
    last = db.session.scalars(select(Booking).where(
        Booking.person_key == patient.id_number_hash,
        Booking.status == BookingStatus.CONFIRMED)).one()
    desk.mark_no_show(last, by=None, now=now)
    db.session.flush()
    return SUSPENDED


def _booking_row(patient: Patient, slot, *, status: BookingStatus) -> dict:
    """A web booking made three days before the slot, as the engine writes one; the
    slot's next number (its bookings so far took the ones before)."""
    row = engine.booking_row({
        "slot_id": slot.id, "session_id": slot.session_id, "patient_id": patient.id,
        "person_key": patient.id_number_hash, "account_id": patient.account_id,
        "booked_by_id": patient.account_id, "source": BookingSource.WEB,
        "idempotency_key": None}, now=slot.start_dt - timedelta(days=3), one_per_session=True)
    return {**row, "status": status, "updated_dt": slot.start_dt, "code": engine.new_code(),
            "queue_number": slot.first_number + slot.booked_count}


def _stop(now: datetime) -> str:
    """The venue's coordinator stops the first clinic from tomorrow on with two or more
    confirmed bookings: each patient is told, with the nearest alternatives."""
    tomorrow = local_to_utc(local_today(now) + timedelta(days=1), time.min)
    booked = (select(Booking.session_id).where(Booking.status == BookingStatus.CONFIRMED)
              .group_by(Booking.session_id).having(func.count() >= 2))
    session = db.session.scalars(
        select(Session).where(Session.status == SessionStatus.PUBLISHED,
                              Session.kind == SessionKind.CLINIC,
                              Session.start_dt >= tomorrow, Session.id.in_(booked))
        .order_by(Session.start_dt, Session.id).limit(1)).first()
    if session is None:
        return ""
    coordinator = db.session.scalars(
        select(User).join(VenueCoordinator, VenueCoordinator.user_id == User.id)
        .where(VenueCoordinator.venue_id == session.venue_id).limit(1)).one()
    stopped = stopping.stop_session(session, "专家临时有手术安排，本场停诊", by=coordinator,
                                    now=now)
    return f"session {session.id}, {stopped.told} patients told"

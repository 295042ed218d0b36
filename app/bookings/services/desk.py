"""The front desk: walk-ins and phone-ins, check-in, no-shows, closing past sessions."""

import re
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from app.auth.models import User
from app.bookings import queries
from app.bookings.errors import NotBookable
from app.bookings.labels import BOOKING_STATUS_LABELS
from app.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingPolicy,
    BookingSource,
    BookingStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from app.bookings.services import engine, notices
from app.bookings.services import policy as rules
from app.core import audit
from app.core.db import restart_as_write
from app.core.formatting import short_datetime
from app.core.time import local_today, to_local
from app.extensions import db
from app.notifications.compose import recipient_of
from app.patients import idnumbers
from app.patients.models import Patient, Person, Relation, person_key
from app.scheduling.models import Session, SessionKind, SessionStatus, Slot

LAST_DIGITS = re.compile(r"\d{4}")  # a phone's last four digits, typed at check-in


def register_walk_in(*, name: str, id_number: str, phone: str) -> Patient:
    """The desk's record of a person without an account, as this desk was given it:
    their ID number makes them the same person everywhere (limits and history follow
    them), but the name and phone stay what this desk typed — a record another desk
    made is reused only when it says the same, never rewritten (its slips and notices
    go to the phone it recorded). A write service: the caller commits."""
    try:
        parsed = idnumbers.parse(id_number)
    except idnumbers.InvalidIdNumber as exc:
        raise NotBookable(_("身份证号码不正确")) from exc
    key = person_key(parsed.number)
    restart_as_write(db.session)
    patient = db.session.scalar(
        select(Patient).where(Patient.account_id.is_(None), Patient.id_number_hash == key,
                              Patient.name == name, Patient.phone == phone)
        .order_by(Patient.id.desc()).limit(1)
    )
    if patient is None:
        patient = Patient(account_id=None, name=name, phone=phone, relation=Relation.SELF)
        patient.set_id_number(parsed)
        db.session.add(patient)
        db.session.flush()
    return patient


def book_walk_in(slot_id: int, patient: Patient, *, by: User, now: datetime,
                 idempotency_key: str | None = None) -> Booking:
    """Book a walk-in or phone-in resident (see ``register_walk_in``): the same engine,
    capacity and per-person limits, but the desk's window (until the slot ends) and no
    online suspension; the source is the front desk, the change is audited."""
    booked = engine.book(slot_id, patient, by=by, now=now, source=BookingSource.FRONT_DESK,
                         idempotency_key=idempotency_key)
    booking = db.session.get(Booking, booked.id)
    if not booked.replayed:
        audit.record("booking.front_desk", booking, actor_id=by.id, now=now,
                     after={"slot_id": slot_id, "queue_number": booking.queue_number})
    return booking


def find_for_check_in(session_id: int, query: str) -> list[Booking]:
    """Active bookings of a session by booking code, phone number, or the phone's last
    four digits (what an elder remembers of a number)."""
    query = query.strip().upper()
    if not query:
        return []
    by_phone = (Patient.phone.endswith(query, autoescape=True) if LAST_DIGITS.fullmatch(query)
                else Patient.phone == query)
    return db.session.scalars(
        select(Booking).join(Booking.patient).join(Booking.slot)
        .where(Booking.session_id == session_id, Booking.status.in_(ACTIVE_STATUSES),
               or_(Booking.code == query, by_phone))
        .order_by(Slot.start_dt, Booking.queue_number)
    ).all()


def check_in_window(starts: datetime, *, now: datetime) -> str:
    """Check-in is on the (local) day a session or slot ``starts``: "early" before it,
    "open" on it, "late" after."""
    today, day = local_today(now), to_local(starts).date()
    return "early" if today < day else "late" if today > day else "open"


def check_in(booking: Booking, *, by: User, now: datetime) -> Booking:
    """The patient is here: accepted on the session's day only."""
    if booking.status != BookingStatus.CONFIRMED:
        raise NotBookable(_("该预约不能签到（%(status)s）",
                            status=BOOKING_STATUS_LABELS[booking.status]))
    starts = booking.slot.start_dt
    if check_in_window(starts, now=now) != "open":
        raise NotBookable(_("只能在就诊当天签到（本号：%(when)s）", when=short_datetime(starts)))
    booking_id, by_id = booking.id, by.id
    restart_as_write(db.session)
    changed = db.session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CHECKED_IN, checked_in_dt=now, updated_dt=now)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise NotBookable(_("该预约已签到或已取消"))
    booking = db.session.get(Booking, booking_id)
    audit.record("booking.check_in", booking, actor_id=by_id, now=now,
                 before={"status": "confirmed"}, after={"status": "checked_in"})
    return booking


def mark_no_show(booking: Booking, *, by: User | None, now: datetime,
                 policy: BookingPolicy | None = None) -> Booking:
    """A confirmed booking whose patient did not come: once its slot is over (one who
    is late is still checked in until then). Counts towards suspension."""
    policy = policy or rules.current_policy()
    if booking.status != BookingStatus.CONFIRMED:
        raise NotBookable(_("只有未签到的预约可以标记爽约"))
    if now < booking.slot.end_dt:
        raise NotBookable(_("这个号的就诊时段还没结束，不能标记爽约"))
    booking_id, key, by_id = booking.id, booking.person_key, by.id if by else None
    kind = booking.session.kind
    restart_as_write(db.session)
    _set_no_show(booking_id, key, kind, now=now, policy=policy)
    booking = db.session.get(Booking, booking_id)
    if by_id is not None:
        audit.record("booking.no_show", booking, actor_id=by_id, now=now,
                     before={"status": "confirmed"}, after={"status": "no_show"})
    return booking


def _set_no_show(booking_id: int, key: str, kind: SessionKind, *, now: datetime,
                 policy: BookingPolicy) -> None:
    changed = db.session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.NO_SHOW, updated_dt=now)
    ).rowcount
    if not changed:
        return
    engine.release_person_place(key, kind)
    window_start = now - timedelta(days=policy.noshow_window_days)
    if len(queries.no_shows_booked_by(key, since=window_start)) >= policy.noshow_limit:
        until = now + timedelta(days=policy.suspension_days)
        db.session.execute(update(Person).where(Person.key == key)
                           .values(suspended_until=until))
        _tell_suspended(booking_id, key, until=until, now=now)


def _tell_suspended(booking_id: int, key: str, *, until: datetime, now: datetime) -> None:
    """The suspended person hears of it on the phone of the booking they missed and in
    their own account's inbox — else that of the account that made the booking."""
    patient = db.session.get(Booking, booking_id).patient
    own_account_id, _phone = queries.person_contact(key)
    account_id = own_account_id or patient.account_id
    account = db.session.get(User, account_id) if account_id else None
    notices.person_suspended(name=patient.name, phone=patient.phone,
                             to=recipient_of(account), until=until, now=now)


def close_past_sessions(*, now: datetime, policy: BookingPolicy | None = None) -> int:
    """Scheduler job: published sessions that have ended become completed; their
    bookings not checked in are marked no-show, checked-in ones completed, and open
    waitlist entries expire. Returns how many sessions closed."""
    policy = policy or rules.current_policy()
    ended = db.session.execute(
        select(Session.id, Session.kind).where(Session.status == SessionStatus.PUBLISHED,
                                               Session.end_dt <= now).order_by(Session.id)
    ).all()
    if not ended:
        return 0
    restart_as_write(db.session)
    for session_id, kind in ended:
        closed = db.session.execute(
            update(Session)
            .where(Session.id == session_id, Session.status == SessionStatus.PUBLISHED)
            .values(status=SessionStatus.COMPLETED, updated_dt=now)
        ).rowcount
        if not closed:
            continue
        bookings = db.session.execute(
            select(Booking.id, Booking.person_key, Booking.status)
            .where(Booking.session_id == session_id, Booking.status.in_(ACTIVE_STATUSES))
        ).all()
        for booking_id, key, status in bookings:
            if status == BookingStatus.CONFIRMED:
                _set_no_show(booking_id, key, kind, now=now, policy=policy)
            else:
                db.session.execute(
                    update(Booking).where(Booking.id == booking_id)
                    .values(status=BookingStatus.COMPLETED, updated_dt=now)
                )
                engine.release_person_place(key, kind)
        close_waitlist(session_id, WaitlistStatus.EXPIRED)
    db.session.flush()
    return len(ended)


def close_waitlist(session_id: int, status: WaitlistStatus) -> None:
    """End every open waitlist entry of a session's slots (closed or stopped); offers
    not sent yet are not sent."""
    of_session = WaitlistEntry.slot_id.in_(select(Slot.id).where(Slot.session_id == session_id))
    offered = db.session.scalars(select(WaitlistEntry.id).where(
        of_session, WaitlistEntry.status == WaitlistStatus.OFFERED)).all()
    db.session.execute(
        update(WaitlistEntry)
        .where(of_session,
               WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)))
        .values(status=status)
    )
    notices.withdraw_waitlist_offers(offered)


def session_bookings(session_id: int) -> list[Booking]:
    return db.session.scalars(
        select(Booking).where(Booking.session_id == session_id)
        .order_by(Booking.queue_number)
    ).all()


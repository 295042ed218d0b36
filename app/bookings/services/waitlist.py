"""The waitlist (候补): a full slot takes waiters; a freed place is held for the first.

A place freed while people wait does not go back to the rush: ``booked_count`` keeps
counting it while it is offered to the first waiter for ``waitlist_offer_minutes``.
Accepting turns the held place into a booking; an offer that expires or is declined
passes to the next waiter, and with nobody left the place returns to the slot. With
``waitlist_auto_confirm`` the first waiter who may take it is booked at once.
"""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.bookings import queries
from app.bookings.errors import (
    AlreadyBooked,
    BookingNotFound,
    LimitReached,
    NotBookable,
    Suspended,
    WaitlistError,
)
from app.bookings.models import (
    Booking,
    BookingPolicy,
    WaitlistEntry,
    WaitlistStatus,
)
from app.bookings.services import engine, notices, refusals
from app.bookings.services import policy as rules
from app.core.db import insert_ignore, restart_as_write
from app.extensions import db
from app.patients.models import Patient, Person
from app.scheduling.models import Session, SessionStatus, Slot

OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


def join_waitlist(slot_id: int, patient: Patient, *, by: User, now: datetime,
                  policy: BookingPolicy | None = None,
                  professional: bool = False) -> WaitlistEntry:
    """Put ``patient`` on a full slot's waitlist. Only full slots that online booking
    accepts now take waiters; one open entry per person and slot. ``professional``:
    ``by`` may book sessions for local doctors online (a township doctor), so may wait
    for them too."""
    policy = policy or rules.current_policy()
    slot = queries.slot_with_session(slot_id)
    if slot is None:
        raise BookingNotFound(_("找不到这个号源"))
    policy.check_bookable(slot.session.status, slot.session.kind.has_public_slots)
    if not professional:
        policy.check_open_online(slot.session.audience)
    policy.check_online_window(slot.start_dt, now=now)
    if slot.public_left(now) > 0:
        raise WaitlistError(_("该时段还有空位，请直接预约"))
    key, name = patient.id_number_hash, patient.name
    booked_by = queries.active_booked_by(key, session_id=slot.session_id)
    if booked_by and policy.one_per_session:
        raise refusals.about_person(WaitlistError(_("%(name)s已预约本场，不需要候补", name=name)),
                                    name=name, key=key, asker_id=by.id, counted_by=booked_by)
    values = {"slot_id": slot.id, "patient_id": patient.id, "person_key": key,
              "account_id": by.id}
    restart_as_write(db.session)
    insert_ignore(db.session, Person, {"key": values["person_key"], "active_count": 0})
    entry = WaitlistEntry(slot_id=values["slot_id"], patient_id=values["patient_id"],
                          person_key=values["person_key"], account_id=values["account_id"],
                          status=WaitlistStatus.WAITING, created_dt=now)
    try:
        with db.session.begin_nested():  # the transaction stays usable to say why
            db.session.add(entry)
            db.session.flush()
        return entry
    except IntegrityError as exc:  # the person waits for this slot already
        raise refusals.about_person(
            WaitlistError(_("%(name)s已在这个时段的候补名单中", name=name)), name=name, key=key,
            asker_id=values["account_id"],
            counted_by=queries.waiting_for_by(key, values["slot_id"])) from exc


def position(entry: WaitlistEntry) -> int:
    """1 for the first waiter; an offered entry is at 0 (it is their turn)."""
    if entry.status == WaitlistStatus.OFFERED:
        return 0
    ahead = db.session.scalar(
        select(func.count()).select_from(WaitlistEntry)
        .where(WaitlistEntry.slot_id == entry.slot_id, WaitlistEntry.id < entry.id,
               WaitlistEntry.status == WaitlistStatus.WAITING)
    )
    return ahead + 1


def pass_place_on(slot_id: int, *, now: datetime, policy: BookingPolicy) -> bool:
    """Inside a write transaction: give a freed place to the first waiter who can take
    it (True), or back to the slot (False: nobody waits). Called by cancel, reschedule,
    decline and expiry."""
    while True:
        entry = _first_waiting(slot_id)
        if entry is None:
            engine.release_capacity(slot_id)
            return False
        if policy.one_per_session and queries.active_booked_by(
                entry.person_key, session_id=entry.slot.session_id):
            # Booked into this session meanwhile (another slot's offer, or directly):
            # a place held for them would keep the waiters behind waiting for nothing.
            entry.status = WaitlistStatus.CANCELLED
            db.session.flush()
            continue
        if policy.waitlist_auto_confirm:
            if _confirm_held(entry, now=now, policy=policy):
                return True
            continue
        _offer(entry, now=now, minutes=policy.waitlist_offer_minutes)
        return True


def _first_waiting(slot_id: int) -> WaitlistEntry | None:
    return db.session.scalar(
        select(WaitlistEntry)
        .where(WaitlistEntry.slot_id == slot_id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .order_by(WaitlistEntry.id).limit(1)
    )


def _offer(entry: WaitlistEntry, *, now: datetime, minutes: int) -> None:
    expires = now + timedelta(minutes=minutes)
    taken = db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == WaitlistStatus.WAITING)
        .values(status=WaitlistStatus.OFFERED, offered_dt=now, offer_expires_dt=expires)
    ).rowcount
    if taken:
        db.session.refresh(entry)
        notices.waitlist_offer(entry, expires_dt=expires, now=now)


def _confirm_held(entry: WaitlistEntry, *, now: datetime, policy: BookingPolicy) -> bool:
    """Book the waiter into the held place. False (entry expired) if a rule stops them."""
    try:
        with db.session.begin_nested():
            booked = _book_held(entry, by=db.session.get(User, entry.account_id), now=now)
    except (LimitReached, AlreadyBooked, Suspended, NotBookable):
        entry.status = WaitlistStatus.EXPIRED
        db.session.flush()
        return False
    _accepted(entry, booked)
    return True


def _book_held(entry: WaitlistEntry, *, by: User, now: datetime) -> engine.Booked:
    """The waiter's booking into the place their offer holds (the engine's ``book``,
    once per entry), in the caller's transaction."""
    return engine.book(entry.slot_id, entry.patient, by=by, now=now,
                       idempotency_key=f"waitlist {entry.id}", held=True)


def _accepted(entry: WaitlistEntry, booked: engine.Booked) -> Booking:
    """Mark the entry accepted with its booking."""
    entry.status, entry.booking_id = WaitlistStatus.ACCEPTED, booked.id
    db.session.flush()
    return db.session.get(Booking, booked.id)


def my_entry(entry_id: int, user: User) -> WaitlistEntry:
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry is None or entry.account_id != user.id:
        raise BookingNotFound(_("找不到这条候补"))
    return entry


def accept_offer(entry: WaitlistEntry, *, by: User, now: datetime,
                 policy: BookingPolicy | None = None) -> Booking:
    """Turn the place held for this waiter into their booking."""
    policy = policy or rules.current_policy()
    if entry.status != WaitlistStatus.OFFERED or entry.offer_expires_dt <= now:
        raise WaitlistError(_("这个空位已经过期或不再为您保留"))
    entry_id, session_id = entry.id, entry.slot.session_id
    restart_as_write(db.session)
    engine.lock_sessions(session_id)
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry.status != WaitlistStatus.OFFERED or entry.offer_expires_dt <= now:
        raise WaitlistError(_("这个空位已经过期或不再为您保留"))
    booking = _accepted(entry, _book_held(entry, by=by, now=now))
    notices.withdraw_waitlist_offers([entry_id])
    if policy.one_per_session:
        _leave_the_rest_of_the_session(entry, now=now, policy=policy)
    return booking


def _leave_the_rest_of_the_session(entry: WaitlistEntry, *, now: datetime,
                                   policy: BookingPolicy) -> None:
    """The person now has a place in the session: their other waits in it end, and a
    place offered to them there passes on to the next waiter."""
    others = db.session.scalars(
        select(WaitlistEntry).join(Slot, Slot.id == WaitlistEntry.slot_id)
        .where(WaitlistEntry.person_key == entry.person_key, WaitlistEntry.id != entry.id,
               Slot.session_id == entry.slot.session_id, WaitlistEntry.status.in_(OPEN))
        .order_by(WaitlistEntry.id)).all()
    for other in others:
        was_offered = other.status == WaitlistStatus.OFFERED
        other.status = WaitlistStatus.CANCELLED
        db.session.flush()
        if was_offered:
            notices.withdraw_waitlist_offers([other.id])
            pass_place_on(other.slot_id, now=now, policy=policy)


def leave_waitlist(entry: WaitlistEntry, *, by: User, now: datetime,
                   policy: BookingPolicy | None = None) -> None:
    """Leave the waitlist; declining an offer passes the held place on."""
    policy = policy or rules.current_policy()
    entry_id, session_id = entry.id, entry.slot.session_id
    restart_as_write(db.session)
    engine.lock_sessions(session_id)
    entry = db.session.get(WaitlistEntry, entry_id)
    if entry.status not in OPEN:
        raise WaitlistError(_("这条候补已经结束"))
    was_offered = entry.status == WaitlistStatus.OFFERED
    entry.status = WaitlistStatus.CANCELLED
    db.session.flush()
    if was_offered:
        notices.withdraw_waitlist_offers([entry_id])
        pass_place_on(entry.slot_id, now=now, policy=policy)
    db.session.flush()


def expire_offers(*, now: datetime, policy: BookingPolicy | None = None) -> int:
    """Scheduler job: offers past their time expire and pass on. Returns how many."""
    policy = policy or rules.current_policy()
    due = db.session.scalars(
        select(WaitlistEntry.id)
        .where(WaitlistEntry.status == WaitlistStatus.OFFERED,
               WaitlistEntry.offer_expires_dt <= now)
        .order_by(WaitlistEntry.id)
    ).all()
    if not due:
        return 0
    restart_as_write(db.session)
    expired = 0
    for entry_id in due:
        entry = db.session.get(WaitlistEntry, entry_id)
        engine.lock_sessions(entry.slot.session_id)
        if db.session.execute(
            update(WaitlistEntry)
            .where(WaitlistEntry.id == entry_id, WaitlistEntry.status == WaitlistStatus.OFFERED)
            .values(status=WaitlistStatus.EXPIRED)
        ).rowcount:
            expired += 1
            notices.withdraw_waitlist_offers([entry_id])
            notices.waitlist_expired(entry, now=now)
            pass_place_on(entry.slot_id, now=now, policy=policy)
    db.session.flush()
    return expired


def offer_free_places(*, now: datetime, policy: BookingPolicy | None = None) -> int:
    """Scheduler job: a slot whose waiters see a public place free — its referral places
    came to their release time (no request marks that moment), or staff added places —
    passes each such place to its first waiter, as a cancellation would. Returns how
    many places it passed on."""
    policy = policy or rules.current_policy()
    slots = db.session.execute(
        select(Slot.id, Slot.session_id).distinct()
        .join(WaitlistEntry, WaitlistEntry.slot_id == Slot.id)
        .join(Session, Session.id == Slot.session_id)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING,
               Session.status == SessionStatus.PUBLISHED, Slot.start_dt > now,
               Slot.has_public_place(now))
        .order_by(Slot.id)
    ).all()
    if not slots:
        return 0
    restart_as_write(db.session)
    passed = 0
    for slot_id, session_id in slots:
        engine.lock_sessions(session_id)
        # Until the slot has no public place left, or no waiter (the place goes back).
        while (engine.take_capacity(slot_id, now=now)
               and pass_place_on(slot_id, now=now, policy=policy)):
            passed += 1
    db.session.flush()
    return passed

"""Book, cancel and reschedule: the race-safe core every bookable kind shares.

A booking is two units of work. First the lock-free reads: load the slot and the
patient, check the rules that need no lock (release window, cut-off, session kind),
and render the confirmation and reminders (their booking id and queue number left as
markers); on SQLite that read transaction ends before any lock is taken. Then one
short write transaction whose statements are conditional writes the database
arbitrates:

1. ``sessions.last_queue_number + 1 WHERE status = 'published'`` — the next queue
   number, and proof the session was not stopped meanwhile;
2. ``slots.booked_count + 1 WHERE booked_count < capacity`` — the place;
3. ``persons.active_count + 1 WHERE active_count < max`` and, online, not suspended —
   the per-person limit and the no-show suspension;
4. the booking row, under the partial unique index for one per person and session and
   the unique idempotency key (a repeat fails here and gets the first booking back);
5. its outbox rows, in one multi-row INSERT.

Each statement is built once at import, with bound parameters: building a statement
costs more than running it on SQLite. Any refusal rolls the whole write transaction
back. On SQLite it is ``BEGIN IMMEDIATE`` (app.core.db.begin_write) and its length
bounds the site's booking rate, which is why it holds only these statements — and why
the page and the API book through ``book_committed``, whose write goes in together
with the other bookings its worker's threads make meanwhile (group commit, one fsync
for all: app.core.db.write_together). On
PostgreSQL every writer takes row locks in one order — session, slot, person — so
bookings, cancellations and stops never deadlock.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.auth.phones import mask_phone
from app.auth.tokens import Caller
from app.bookings import queries
from app.bookings.errors import (
    AlreadyBooked,
    BookingError,
    BookingNotFound,
    LimitReached,
    NotBookable,
    SlotFull,
    Suspended,
)
from app.bookings.models import Booking, BookingPolicy, BookingSource, BookingStatus
from app.bookings.services import notices, refusals
from app.bookings.services import policy as rules
from app.core import audit
from app.core.db import insert_ignore, restart_as_write, write_together
from app.core.driver import DriverStatement
from app.extensions import db
from app.notifications.compose import recipient_of
from app.notifications.services import cancel_pending_for_booking, queue_messages
from app.patients.models import Patient, Person
from app.patients.queries import own_person_key, person_contact
from app.scheduling.models import Session, SessionExpert, SessionStatus, Slot

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read aloud at a desk
CODE_LENGTH = 6
CODE_ATTEMPTS = 5


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


# --- booking -------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """A booking just written (or, ``replayed``, the one its idempotency key made
    first), as plain values: the hot paths answer from these without loading it."""

    id: int
    code: str
    queue_number: int
    replayed: bool = False


@dataclass(frozen=True)
class BookingPlan:
    """A booking checked and rendered by the lock-free reads, ready to write. ``row``:
    the booking's columns but its id, queue number and code (drawn by the write)."""

    row: dict
    name: str
    now: datetime
    policy: BookingPolicy
    confirmation: notices.Confirmation

    def write(self) -> Booked:
        """The write transaction's statements (module docstring, steps 1–5)."""
        booked = write_booking(self.row, name=self.name, now=self.now, policy=self.policy)
        queue_messages(self.confirmation.of(booked))
        return booked


def book_slot(slot_id: int, patient: Patient, *, by: User, now: datetime,
              source: BookingSource = BookingSource.WEB, idempotency_key: str | None = None,
              policy: BookingPolicy | None = None) -> Booking:
    """``book`` and load the booking (for callers that go on to use it as a model)."""
    return db.session.get(Booking, book(slot_id, patient, by=by, now=now, source=source,
                                        idempotency_key=idempotency_key, policy=policy).id)


def book(slot_id: int, patient: Patient, *, by: User | Caller, now: datetime,
         source: BookingSource = BookingSource.WEB, idempotency_key: str | None = None,
         policy: BookingPolicy | None = None, slot: queries.SlotFacts | None = None) -> Booked:
    """Book ``patient`` into a slot on behalf of ``by``.

    Returns the new booking, or the first one made with the same ``idempotency_key`` by
    ``by``. Refusals raise a BookingError subclass with a specific message. Online
    (web, API) bookings follow the release window, the cut-off and suspensions; the
    front desk books until the slot ends. ``slot``: its facts, when the caller read
    them already. The caller commits."""
    plan = plan_booking(slot_id, patient, by=by, now=now, source=source,
                        idempotency_key=idempotency_key, policy=policy, slot=slot)
    restart_as_write(db.session)  # the lock-free reads end here
    try:
        # A repeat of a booking already made (its idempotency key) meets the unique
        # index on the key, or finds the slot or the person's limit taken by it: its
        # booking is returned below, after this attempt rolled back. Looking first
        # would cost every booking a read for what is rare.
        return plan.write()
    except Exception:
        db.session.rollback()
        if replay := _replayed(by.id, idempotency_key):  # a twin request committed first
            return replay
        raise


def book_committed(plan: BookingPlan, *,
                   then: Callable[[Booked], Any] | None = None) -> tuple[Booked, Any]:
    """Write a planned booking (``plan_booking``) in a unit of work of its own,
    committed before it returns: on SQLite together with the bookings other requests of
    this process make meanwhile (one lock and one fsync for all,
    ``app.core.db.write_together``). ``then(booked)`` runs in the booking's transaction
    after it (the API keeps its answer there); if it raises, the booking is undone and
    the exception raised. Returns the booking and what ``then`` returned."""
    by_id, key = plan.row["booked_by_id"], plan.row["idempotency_key"]
    locale = str(get_locale() or "zh")

    def write(booked: Booked | None = None):
        # Perhaps on another request's thread: its refusals in this request's language.
        with force_locale(locale):
            booked = booked or plan.write()
            return booked, then(booked) if then else None

    try:
        return write_together(db.session, write)
    except Exception:
        # As in ``book``: a repeat fails on its key (or a place its twin took), and its
        # twin's booking — committed first, or in the same group — is the answer.
        replay = _replay(by_id, key)
        if replay is None:
            raise
    if then is None:
        return replay, None
    return write_together(db.session, partial(write, replay))


def plan_booking(slot_id: int, patient: Patient | Row, *, by: User | Caller, now: datetime,
                 source: BookingSource = BookingSource.WEB,
                 idempotency_key: str | None = None, policy: BookingPolicy | None = None,
                 slot: queries.SlotFacts | None = None) -> BookingPlan:
    """The lock-free half of a booking: the slot's facts, the rules that need no lock,
    the confirmation's and reminders' texts. ``patient``: the model, or its plain
    values (``patient_facts``: then one of ``by``'s own account); ``slot``: its facts,
    when the caller read them already. Refusals raise as ``book``'s do."""
    by_id = by.id
    slot = slot or queries.slot_facts(slot_id)
    if slot is None or slot.id != slot_id:
        raise BookingNotFound(_("找不到这个号源"))
    policy = policy or slot.policy or rules.current_policy()
    _check_rules(slot, policy, source=source, now=now)
    confirmation = notices.prepare_confirmation(notices.BookingFacts(
        booking_id=0, code="", queue_number=0, name=patient.name, phone=patient.phone,
        account_id=patient.account_id, start_dt=slot.start_dt, place=slot.venue_name,
        what=slot.title,
        to=recipient_of(by if patient.account_id == by_id else patient.account),
    ), now=now, tell=whom_to_tell(patient, by=by, source=source))
    return BookingPlan(
        row=booking_row({
            "slot_id": slot.id, "session_id": slot.session_id, "patient_id": patient.id,
            "person_key": patient.id_number_hash, "account_id": patient.account_id,
            "booked_by_id": by_id, "source": source, "idempotency_key": idempotency_key,
        }, now=now, one_per_session=policy.one_per_session),
        name=patient.name, now=now, policy=policy, confirmation=confirmation)


def whom_to_tell(patient: Patient | Row, *, by: User | Caller,
                 source: BookingSource) -> notices.Tell | None:
    """When anyone but the person's own account books them, their own account's phone
    and inbox hear of it — else the phone a front desk recorded for them last — so that
    a stranger booking with their ID number shows."""
    account_id, phone = person_contact(patient.id_number_hash)
    if account_id == by.id or not phone:
        return None
    if account_id is None and phone == patient.phone:
        return None  # the confirmation goes to that phone already
    return notices.Tell(
        phone=None if phone == patient.phone else phone,
        to=recipient_of(db.session.get(User, account_id)) if account_id else None,
        booker_phone="" if source == BookingSource.FRONT_DESK else mask_phone(by.phone))


def _replayed(user_id: int, key: str | None) -> Booked | None:
    """The booking ``key`` made first, if any; then the unit of work goes on as a write
    transaction, as after a new booking (the caller may write about it)."""
    if replay := _replay(user_id, key):
        restart_as_write(db.session)
    return replay


_REPLAY = select(Booking.id, Booking.code, Booking.queue_number).where(
    Booking.booked_by_id == bindparam("by_id"), Booking.idempotency_key == bindparam("key"))


def _replay(user_id: int, key: str | None) -> Booked | None:
    if not key:
        return None
    row = db.session.connection().execute(_REPLAY, {"by_id": user_id, "key": key}).first()
    return Booked(*row, replayed=True) if row else None


def load_slot(slot_id: int) -> Slot:
    """The slot with its session (and the session's venue) in one statement."""
    slot = queries.slot_with_session(slot_id)
    if slot is None:
        raise BookingNotFound(_("找不到这个号源"))
    return slot


def _check_rules(slot: queries.SlotFacts, policy: BookingPolicy, *,
                 source: BookingSource, now: datetime) -> None:
    """The rules that need no lock; the write transaction re-checks what can race."""
    rules.check_session_bookable(slot.session_status, slot.kind.has_public_slots)
    if source == BookingSource.FRONT_DESK:
        rules.check_desk_window(slot.end_dt, now=now)
        return
    rules.check_online_window(slot.start_dt, policy, now=now)
    # A suspension is checked by the write itself (``take_person_place`` online).


_PERSON_SUSPENDED = select(Person.suspended_until).where(Person.key == bindparam("key"))


def _check_not_suspended(planned: dict, name: str, *, now: datetime,
                         policy: BookingPolicy) -> None:
    key = planned["person_key"]
    until = db.session.connection().execute(_PERSON_SUSPENDED, {"key": key}).scalar()
    if until and until > now:
        # The no-shows that can have led to it: within the window before it began.
        since = until - timedelta(days=policy.suspension_days + policy.noshow_window_days)
        raise _about_person(
            Suspended(_("%(name)s因多次爽约，%(when)s前暂停网上预约，可到医院现场挂号",
                        name=name, when=rules.fmt(until))),
            planned, name, counted_by=queries.no_shows_booked_by(key, since=since))


def _about_person(error: BookingError, planned: dict, name: str, *,
                  counted_by: list[int]) -> BookingError:
    """``error``, or the refusal that tells nothing when bookings another account made
    count towards it (app.bookings.services.refusals); the front desk hears it all."""
    if planned["source"] == BookingSource.FRONT_DESK:
        return error
    return refusals.about_person(error, name=name, key=planned["person_key"],
                                 asker_id=planned["booked_by_id"], counted_by=counted_by)


def booking_row(who_where: dict, *, now: datetime, one_per_session: bool) -> dict:
    """A new booking's columns but its id, queue number and code, from ``who_where``:
    its slot_id, session_id, patient_id, person_key, account_id, booked_by_id, source
    and idempotency_key."""
    return {**who_where, "status": BookingStatus.CONFIRMED,
            "one_per_session_guard": who_where["session_id"] if one_per_session else None,
            "cancel_reason": "", "created_dt": now, "updated_dt": now,
            "cancelled_dt": None, "checked_in_dt": None, "sequence": 0}


def write_booking(planned: dict, *, name: str, now: datetime, policy: BookingPolicy,
                  held: bool = False) -> Booked:
    """The write half of a booking (module docstring, steps 1–4), of the row
    ``booking_row`` made. ``held``: the place is already counted in the slot (a
    waitlist offer held it)."""
    queue_number = next_queue_number(planned["session_id"])
    if not held and not take_capacity(planned["slot_id"]):
        raise SlotFull(_("该时段已约满，可以登记候补"))
    online = planned["source"] != BookingSource.FRONT_DESK
    max_active = policy.max_active_per_person
    if not _take_person_place(planned["person_key"], max_active=max_active, now=now,
                              online=online):
        if online:
            _check_not_suspended(planned, name, now=now, policy=policy)
        raise _about_person(
            LimitReached(_("%(name)s已有%(n)s个未就诊的预约，达到上限，请先就诊或取消一个",
                           name=name, n=max_active)),
            planned, name, counted_by=queries.active_booked_by(planned["person_key"]))
    row = {**planned, "queue_number": queue_number}
    for _attempt in range(CODE_ATTEMPTS):
        code = new_code()
        # A clash with any unique index leaves the row out instead of failing the
        # transaction, which stays usable to find out which index it was.
        booking_id = insert_ignore(db.session, Booking, {**row, "code": code})
        if booking_id is not None:
            return Booked(booking_id, code, queue_number)
        _explain_clash(planned, name)
        # Else the code: another booking holds it already, so it is drawn again (1 in
        # 10⁹ per booking and stored code: rare, but a busy year's bookings make it).
    raise RuntimeError(f"no free booking code in {CODE_ATTEMPTS} draws")


class Repeated(Exception):
    """A booking's idempotency key made a booking already: the callers answer with it
    once this attempt is rolled back (``_replay``)."""


def _explain_clash(planned: dict, name: str) -> None:
    """Raise for the unique index a booking's row met, but the code's (see its caller):
    one active booking per person and session, or a repeat of the idempotency key."""
    if planned["one_per_session_guard"] is not None and (booked_by := queries.active_booked_by(
            planned["person_key"], session_id=planned["session_id"])):
        raise _about_person(
            AlreadyBooked(_("%(name)s已预约本场，同一场次每人只能预约一个号", name=name)),
            planned, name, counted_by=booked_by)
    if _replay(planned["booked_by_id"], planned["idempotency_key"]) is not None:
        raise Repeated(planned["idempotency_key"])


_NEXT_QUEUE_NUMBER = DriverStatement(
    update(Session)
    .where(Session.id == bindparam("b_session"), Session.status == SessionStatus.PUBLISHED)
    .values(last_queue_number=Session.last_queue_number + 1)
    .returning(Session.last_queue_number)
)
_TAKE_CAPACITY = DriverStatement(
    update(Slot)
    .where(Slot.id == bindparam("b_slot"), Slot.booked_count < Slot.capacity)
    .values(booked_count=Slot.booked_count + 1)
)
_take_person_place_statement = (
    update(Person)
    .where(Person.key == bindparam("b_key"), Person.active_count < bindparam("b_max"))
    .values(active_count=Person.active_count + 1)
)
_TAKE_PERSON_PLACE = DriverStatement(_take_person_place_statement)
# Online, also only while not suspended.
_TAKE_PERSON_PLACE_ONLINE = DriverStatement(_take_person_place_statement.where(
    Person.suspended_until.is_(None) | (Person.suspended_until <= bindparam("b_now"))))


def next_queue_number(session_id: int) -> int:
    """The session's next queue number while it is published (else NotBookable). On
    PostgreSQL this also takes the session's row lock, first of the lock order."""
    rows = _NEXT_QUEUE_NUMBER.execute(db.session, {"b_session": session_id}).fetchall()
    if not rows:
        raise NotBookable(_("本场已停诊或不再接受预约"))
    return rows[0][0]


def lock_sessions(*session_ids: int) -> None:
    """Take the sessions' row locks in id order (a no-op under SQLite's one writer)."""
    for session_id in sorted(set(session_ids)):
        db.session.execute(select(Session.id).where(Session.id == session_id).with_for_update())


def take_capacity(slot_id: int) -> bool:
    """One place in the slot if one is left; the database decides, atomically."""
    return _TAKE_CAPACITY.execute(db.session, {"b_slot": slot_id}).rowcount == 1


def release_capacity(slot_id: int) -> None:
    db.session.execute(
        update(Slot).where(Slot.id == slot_id).values(booked_count=Slot.booked_count - 1)
    )


def _take_person_place(key: str, *, max_active: int, now: datetime, online: bool) -> bool:
    """The person's place under their limit; their row is made on their first booking."""
    if take_person_place(key, max_active=max_active, now=now, online=online):
        return True
    if db.session.connection().execute(_PERSON_SUSPENDED, {"key": key}).first() is not None:
        return False
    insert_ignore(db.session, Person, {"key": key, "active_count": 0})
    return take_person_place(key, max_active=max_active, now=now, online=online)


def take_person_place(key: str, *, max_active: int, now: datetime, online: bool) -> bool:
    if online:
        query, params = _TAKE_PERSON_PLACE_ONLINE, {"b_key": key, "b_max": max_active,
                                                    "b_now": now}
    else:
        query, params = _TAKE_PERSON_PLACE, {"b_key": key, "b_max": max_active}
    return query.execute(db.session, params).rowcount == 1


def release_person_place(key: str) -> None:
    db.session.execute(
        update(Person).where(Person.key == key).values(active_count=Person.active_count - 1)
    )


# --- cancelling and rescheduling --------------------------------------------------------


def get_booking_for(booking_id: int, user: User) -> Booking:
    """A booking ``user`` may see and cancel: one their account made, or one anyone
    made for the account's holder (their own account sees every booking made for them).
    Anyone else's is not found (never "forbidden")."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not (booking.account_id == user.id
                               or booking.person_key == own_person_key(user.id)):
        raise BookingNotFound(_("找不到这个预约"))
    return booking


def get_own_booking(booking_id: int, user: User) -> Booking:
    """A booking ``user``'s account made (to reschedule it); else not found."""
    booking = get_booking_for(booking_id, user)
    if booking.account_id != user.id:
        raise BookingNotFound(_("找不到这个预约"))
    return booking


def cancel_booking(booking: Booking, *, by: User, now: datetime, reason: str = "",
                   staff: bool = False, policy: BookingPolicy | None = None) -> Booking:
    """Cancel a confirmed booking: free its place (offered to the first waiter) and
    cancel its pending messages. Residents until the cancel cut-off; staff (``staff``)
    until the slot ends. A cancellation is never a no-show."""
    policy = policy or rules.current_policy()
    if booking.status != BookingStatus.CONFIRMED:
        raise NotBookable(_("该预约已不能取消（已取消、已就诊或已停诊）"))
    if staff:
        rules.check_desk_window(booking.slot.end_dt, now=now)
    else:
        rules.check_cancel_window(booking.slot.start_dt, policy, now=now)
    booking_id, session_id, by_id = booking.id, booking.session_id, by.id
    restart_as_write(db.session)
    try:
        lock_sessions(session_id)
        changed = db.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == BookingStatus.CONFIRMED)
            .values(status=BookingStatus.CANCELLED, cancelled_dt=now, updated_dt=now,
                    cancel_reason=reason[:200], sequence=Booking.sequence + 1)
        ).rowcount
        if not changed:
            raise NotBookable(_("该预约已不能取消（已取消、已就诊或已停诊）"))
        booking = db.session.get(Booking, booking_id)
        free_place(booking.slot_id, now=now, policy=policy)
        release_person_place(booking.person_key)
        cancel_pending_for_booking(booking.id)
        notices.booking_cancelled(notices.facts_of(booking), now=now)
        if staff:
            audit.record("booking.cancel", booking, actor_id=by_id, now=now,
                         before={"status": "confirmed"},
                         after={"status": "cancelled", "reason": reason[:200]})
        db.session.flush()
        return booking
    except Exception:
        db.session.rollback()
        raise


def free_place(slot_id: int, *, now: datetime, policy: BookingPolicy) -> None:
    """A place in the slot came free: the first waiter gets it, else the slot does."""
    from app.bookings.services.waitlist import pass_place_on

    pass_place_on(slot_id, now=now, policy=policy)


def reschedule_targets(booking: Booking, *, now: datetime,
                       policy: BookingPolicy | None = None) -> list[Slot]:
    """Where a booking may move: open slots of its session or of the same experts'
    other published sessions that online booking accepts now."""
    policy = policy or rules.current_policy()
    same_experts = select(SessionExpert.session_id).where(
        SessionExpert.expert_id.in_([e.id for e in booking.session.experts])
    )
    candidates = db.session.scalars(
        select(Slot).join(Slot.session)
        .where(Session.status == SessionStatus.PUBLISHED, Slot.id != booking.slot_id,
               Slot.booked_count < Slot.capacity, Slot.start_dt > now,
               (Slot.session_id == booking.session_id) | Slot.session_id.in_(same_experts))
        .order_by(Slot.start_dt, Slot.id).limit(80)
    ).all()
    return [
        slot for slot in candidates
        if (t := rules.slot_times(slot.start_dt, policy)).opens_dt <= now < t.booking_closes_dt
    ]


def reschedule_booking(booking: Booking, new_slot_id: int, *, by: User, now: datetime,
                       policy: BookingPolicy | None = None) -> Booking:
    """Move a booking to another slot of its session or of the same expert, atomically:
    if the new place is taken meanwhile, the old one is kept."""
    policy = policy or rules.current_policy()
    if booking.status != BookingStatus.CONFIRMED:
        raise NotBookable(_("该预约已不能改约"))
    rules.check_cancel_window(booking.slot.start_dt, policy, now=now)
    if new_slot_id not in {s.id for s in reschedule_targets(booking, now=now, policy=policy)}:
        raise NotBookable(_("只能改约到同一场次或同一位专家其他场次中可预约的时段"))
    new_slot = load_slot(new_slot_id)
    booking_id, old_slot_id, old_session_id = booking.id, booking.slot_id, booking.session_id
    new_session_id, name, key, by_id = (new_slot.session_id, booking.patient.name,
                                        booking.person_key, by.id)
    one_per_session = policy.one_per_session
    restart_as_write(db.session)
    try:
        lock_sessions(old_session_id, new_session_id)
        values = {"slot_id": new_slot_id, "session_id": new_session_id, "updated_dt": now,
                  "sequence": Booking.sequence + 1}
        if new_session_id != old_session_id:
            values["queue_number"] = next_queue_number(new_session_id)
            values["one_per_session_guard"] = new_session_id if one_per_session else None
        if not take_capacity(new_slot_id):
            raise SlotFull(_("新时段刚刚约满，原预约保持不变"))
        moved = db.session.execute(
            update(Booking)
            .where(Booking.id == booking_id, Booking.status == BookingStatus.CONFIRMED,
                   Booking.slot_id == old_slot_id)
            .values(**values)
        ).rowcount
        if not moved:
            raise NotBookable(_("该预约已不能改约"))
        free_place(old_slot_id, now=now, policy=policy)
        booking = db.session.get(Booking, booking_id)
        db.session.refresh(booking)
        cancel_pending_for_booking(booking.id)
        notices.booking_rescheduled(notices.facts_of(booking), now=now)
        db.session.flush()
        return booking
    except IntegrityError as exc:
        db.session.rollback()
        raise refusals.about_person(
            AlreadyBooked(_("%(name)s已预约该场次，同一场次每人只能预约一个号", name=name)),
            name=name, key=key, asker_id=by_id,
            counted_by=queries.active_booked_by(key, session_id=new_session_id)) from exc
    except Exception:
        db.session.rollback()
        raise

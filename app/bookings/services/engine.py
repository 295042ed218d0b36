"""Booking: the race-safe core every bookable kind shares — a clinic's half-hour slots,
a lecture's seats, the front desk's walk-ins, a waitlist's held place.

``book`` is the one booking function: the pages, the API, the front desk and the
waitlist all book through it. A booking is two steps in one unit of work:

1. reads without a lock: the slot with its session, venue, experts and the booking
   policy (one statement), and the rules that cannot race (release window, cut-off,
   kind of session);
2. ``restart_as_write`` (on SQLite the read transaction ends and ``BEGIN IMMEDIATE``
   waits for the write lock), then writes the database arbitrates:

   a. the booking its idempotency key made already, if any, is the answer;
   b. ``UPDATE sessions … WHERE status = 'published'`` — proof the session was not
      stopped meanwhile (and its row lock); then the queue number: the lowest of the
      slot's range that no active booking holds (``next_queue_number``);
   c. ``slots.booked_count + 1 WHERE booked_count < capacity`` — the place;
   d. ``persons.active_count + 1 WHERE active_count < max`` and, online, not suspended
      — the per-person limit and the no-show suspension; that update is also the
      person's row lock, under which their clinic bookings in the session's day, week
      and month are counted against the per-period limits (``check_periods``);
   e. the booking row, under its unique indexes (one active booking per person and
      session; one active booking per queue number and session; one booking per
      idempotency key);
   f. its confirmation and reminders, into the outbox.

A row count of zero is a clean refusal (``SlotFull``, ``LimitReached`` …), never an
overbooking. The caller commits (or rolls back on a refusal). On PostgreSQL every
writer takes row locks in one order — session, slot, person — so bookings,
cancellations and stops never deadlock.
"""

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Row, bindparam, case, func, select, text, update

from app.auth.models import User
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
from app.bookings.models import (
    ACTIVE_SQL,
    Booking,
    BookingPolicy,
    BookingSource,
    BookingStatus,
)
from app.bookings.services import notices, refusals
from app.core import metrics
from app.core.db import insert_ignore, restart_as_write
from app.core.errors import DomainError
from app.core.formatting import month_name, short_date, short_datetime
from app.core.phones import mask_phone
from app.core.time import local_day_bounds, to_local
from app.extensions import db
from app.notifications.compose import recipient_of
from app.patients.models import Patient, Person, Relation
from app.scheduling.models import (
    COUNTED_KINDS,
    Session,
    SessionKind,
    SessionStatus,
    Slot,
)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read aloud at a desk
CODE_LENGTH = 6
CODE_ATTEMPTS = 5


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class Booked:
    """A booking just written (or, ``replayed``, the one its idempotency key made
    first), as plain values; a new one with its slot's facts and its own columns, so
    that an answer about it needs no read back."""

    id: int
    code: str
    queue_number: int
    replayed: bool = False
    slot: queries.SlotFacts | None = None
    row: dict | None = None


@dataclass(frozen=True)
class PatientFacts:
    """What a booking reads of its patient, as plain values."""

    id: int
    account_id: int | None
    name: str
    phone: str
    id_number_hash: str

    @classmethod
    def of(cls, patient: Patient | Row) -> "PatientFacts":
        return cls(id=patient.id, account_id=patient.account_id, name=patient.name,
                   phone=patient.phone, id_number_hash=patient.id_number_hash)


def book(slot_id: int, patient: Patient | Row, *, by: User | Caller, now: datetime,
         source: BookingSource = BookingSource.WEB, idempotency_key: str | None = None,
         held: bool = False, referral_note: str = "", professional: bool = False
         ) -> Booked:
    """Book ``patient`` into a slot on behalf of ``by``; the caller commits.

    Returns the new booking — or, when ``by`` made one with this ``idempotency_key``
    already, that one (``replayed``): a repeated request books once. Refusals raise a
    BookingError with a message that says why (``refusals``: only what ``by`` may
    know). Online (web, API) bookings follow the release window, the cut-off and
    suspensions; the front desk books until the slot ends. ``held``: the place is one a
    waitlist offer holds (counted in the slot already, no window to check).
    ``patient``: the model or a row of its plain values (``patient_facts``). After a
    refusal the unit of work holds the attempt's writes: the caller rolls back.
    ``source`` REFERRAL takes one of the slot's referral places (app.bookings.services.
    referrals decides who may) with ``referral_note``, before public release too;
    ``professional``: ``by`` may book sessions for local doctors online (a township
    doctor)."""
    try:
        return _book(slot_id, patient, by=by, now=now, source=source,
                     idempotency_key=idempotency_key, held=held, referral_note=referral_note,
                     professional=professional)
    except DomainError as refused:
        metrics.BOOKING_REFUSALS.labels(reason=refused.code).inc()
        raise


def _book(slot_id: int, patient: Patient | Row, *, by: User | Caller, now: datetime,
          source: BookingSource, idempotency_key: str | None, held: bool,
          referral_note: str, professional: bool) -> Booked:
    slot = queries.slot_facts(slot_id)
    if slot is None:
        raise BookingNotFound(_("找不到这个号源"))
    policy = slot.policy
    if not held:
        _check_rules(slot, policy, source=source, now=now, professional=professional)
    to = recipient_of(by if patient.account_id == by.id else
                      db.session.get(User, patient.account_id) if patient.account_id else None)
    tell = whom_to_tell(patient, by=by, source=source)
    # Plain values from here on: the restart expires loaded models, and reloading one
    # would hold the write lock for another statement.
    patient, by_id = PatientFacts.of(patient), by.id
    restart_as_write(db.session)  # the lock-free reads end here
    if (first := first_booking(by_id, idempotency_key)) is not None:
        return first
    row = booking_row({
        "slot_id": slot.id, "session_id": slot.session_id, "patient_id": patient.id,
        "person_key": patient.id_number_hash, "account_id": patient.account_id,
        "booked_by_id": by_id, "source": source, "idempotency_key": idempotency_key,
        "referral_note": referral_note[:200],
    }, now=now, one_per_session=policy.one_per_session)
    try:
        booked = write_booking(row, name=patient.name, now=now, policy=policy, held=held,
                               counted=slot.kind.counts_toward_limit, numbers=slot.numbers,
                               day=to_local(slot.start_dt).date())
    except Repeated:
        # A twin request with the same key committed between the look above and the
        # row (PostgreSQL; SQLite's write lock makes the look exact): this attempt is
        # undone and the twin's booking is the answer. Its key is the caller's own, so
        # nothing else of the unit of work can be lost with it.
        db.session.rollback()
        return first_booking(by_id, idempotency_key)
    notices.booking_confirmed(notices.BookingFacts(
        booking_id=booked.id, code=booked.code, queue_number=booked.queue_number,
        name=patient.name, phone=patient.phone, account_id=patient.account_id,
        start_dt=slot.start_dt, place=slot.venue_name, what=slot.title, to=to,
    ), now=now, tell=tell)
    return replace(booked, slot=slot, row={**row, "id": booked.id, "code": booked.code,
                                          "queue_number": booked.queue_number})


def _check_rules(slot: queries.SlotFacts, policy: BookingPolicy, *,
                 source: BookingSource, now: datetime, professional: bool = False) -> None:
    """The rules that need no lock; the writes re-check what can race (a referral
    place's release time among them)."""
    policy.check_bookable(slot.session_status, slot.kind.has_public_slots)
    if source == BookingSource.FRONT_DESK:
        policy.check_desk_window(slot.end_dt, now=now)
        return
    if source == BookingSource.REFERRAL:
        policy.check_desk_window(slot.start_dt, now=now)  # referred before it begins
        return
    if not professional:
        policy.check_open_online(slot.audience)
    policy.check_online_window(slot.start_dt, now=now)


def whom_to_tell(patient: Patient | Row, *, by: User | Caller,
                 source: BookingSource) -> notices.Tell | None:
    """When anyone but the person's own account books them, their own account's phone
    and inbox hear of it — else the phone a front desk recorded for them last — so that
    a stranger booking with their ID number shows."""
    if patient.relation == Relation.SELF and patient.account_id == by.id:
        return None  # an account booking its own holder: it is theirs to tell
    account_id, phone = queries.person_contact(patient.id_number_hash)
    if account_id == by.id or not phone:
        return None
    if account_id is None and phone == patient.phone:
        return None  # the confirmation goes to that phone already
    return notices.Tell(
        phone=None if phone == patient.phone else phone,
        to=recipient_of(db.session.get(User, account_id)) if account_id else None,
        booker_phone="" if source == BookingSource.FRONT_DESK else mask_phone(by.phone))


_FIRST = select(Booking.id, Booking.code, Booking.queue_number).where(
    Booking.booked_by_id == bindparam("by_id"), Booking.idempotency_key == bindparam("key"))


def first_booking(user_id: int, key: str | None) -> Booked | None:
    """The booking ``user_id`` made with idempotency ``key``, if any."""
    if not key:
        return None
    row = db.session.connection().execute(_FIRST, {"by_id": user_id, "key": key}).first()
    return Booked(*row, replayed=True) if row else None


def booking_row(who_where: dict, *, now: datetime, one_per_session: bool) -> dict:
    """A new booking's columns but its id, queue number and code, from ``who_where``:
    its slot_id, session_id, patient_id, person_key, account_id, booked_by_id, source
    and idempotency_key (and a referral's referral_note)."""
    return {"referral_note": "", **who_where, "status": BookingStatus.CONFIRMED,
            "one_per_session_guard": who_where["session_id"] if one_per_session else None,
            "cancel_reason": "", "created_dt": now, "updated_dt": now,
            "cancelled_dt": None, "checked_in_dt": None, "sequence": 0}


# --- the writes ------------------------------------------------------------------------


class Repeated(Exception):  # noqa: N818 (a signal, not a failure)
    """The booking's idempotency key made a booking already (``book`` answers with it)."""


def write_booking(planned: dict, *, name: str, now: datetime, policy: BookingPolicy,
                  held: bool = False, counted: bool = True,
                  numbers: tuple[int, int] = (0, 0), day: date | None = None) -> Booked:
    """The writes of a booking (module docstring, b–e), of the row ``booking_row``
    made. ``held``: the place is already counted in the slot; ``counted``: the booking
    counts toward the person's limits (a lecture's seat does not; online, a suspension
    still applies); ``numbers``: the slot's queue-number range as read before the lock
    (``next_queue_number``); ``day``: the session's local day, for the per-period
    limits."""
    queue_number = next_queue_number(planned["session_id"], planned["slot_id"],
                                     numbers=numbers)
    referral = planned["source"] == BookingSource.REFERRAL
    if not held and not take_capacity(planned["slot_id"], now=now, referral=referral):
        if referral:
            raise SlotFull(_("这个时段的转诊号已用完或已放出，请选择其他时段"))
        raise SlotFull(_("该时段已约满，可以登记候补"))
    online = planned["source"] != BookingSource.FRONT_DESK
    max_active = policy.max_active_per_person
    if not counted:
        if online:
            _check_not_suspended(planned, name, now=now, policy=policy)
        # The person's row, which the booking's key refers to, made on their first one.
        insert_ignore(db.session, Person, {"key": planned["person_key"], "active_count": 0})
    elif not _take_person_place(planned["person_key"], max_active=max_active, now=now,
                                online=online):
        if online:
            _check_not_suspended(planned, name, now=now, policy=policy)
        raise _about_person(
            LimitReached(_("%(name)s已有%(n)s个未就诊的预约，达到上限，请先就诊或取消一个",
                           name=name, n=max_active)),
            planned, name, counted_by=queries.active_booked_by(planned["person_key"]))
    if counted and day is not None and policy.period_limits:
        check_periods(planned, name, day=day, policy=policy)
    row = {**planned, "queue_number": queue_number}
    for _attempt in range(CODE_ATTEMPTS):
        code = new_code()
        # A clash with any unique index leaves the row out instead of failing the
        # transaction, which stays usable to find out which index it was.
        booking_id = insert_ignore(db.session, Booking, {**row, "code": code})
        if booking_id is not None:
            return Booked(booking_id, code, queue_number)
        _explain_clash(row, name)
        # Else the code: another booking holds it already, so it is drawn again (1 in
        # 10⁹ per booking and stored code: rare, but a busy year's bookings make it).
    raise RuntimeError(f"no free booking code in {CODE_ATTEMPTS} draws")


# --- limits per day, week and month -----------------------------------------------------

# What a period limit counts: the person's clinic bookings but cancelled or stopped ones.
PERIOD_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED,
                   BookingStatus.NO_SHOW)
_BOOKED_IN = (
    select(Booking.id, Booking.booked_by_id, Session.start_dt)
    .join(Session, Session.id == Booking.session_id)
    .where(Booking.person_key == bindparam("b_key"), Booking.status.in_(PERIOD_STATUSES),
           Session.kind.in_(COUNTED_KINDS), Session.start_dt >= bindparam("b_from"),
           Session.start_dt < bindparam("b_to"))
)


def periods_of(day: date) -> dict[str, tuple[date, date]]:
    """The first and last local day of the day, the week (Monday to Sunday) and the
    calendar month that hold ``day``."""
    monday = day - timedelta(days=day.weekday())
    first = day.replace(day=1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return {"day": (day, day), "week": (monday, monday + timedelta(days=6)),
            "month": (first, last)}


def check_periods(planned: dict, name: str, *, day: date, policy: BookingPolicy,
                  moving: int | None = None) -> None:
    """Refuse a clinic booking on local ``day`` that would pass the admin's limit per
    person per day, week or month (LimitReached, naming the period); ``moving``: the
    booking a reschedule moves there, which does not count. Run under the person's row
    lock (module docstring, d; ``lock_person``), so two bookings racing for the last
    place of a period are counted one after the other: one of them is refused.
    ``planned`` names the person_key, the source and booked_by_id (the asker)."""
    limits = policy.period_limits
    periods = {name_: bounds for name_, bounds in periods_of(day).items() if name_ in limits}
    if not periods:
        return
    start_dt, end_dt = local_day_bounds(min(f for f, _l in periods.values()),
                                        max(last for _f, last in periods.values()))
    booked = [(by_id, to_local(start).date()) for booking_id, by_id, start
              in db.session.connection().execute(_BOOKED_IN, {
                  "b_key": planned["person_key"], "b_from": start_dt, "b_to": end_dt})
              if booking_id != moving]
    for period, (first, last) in periods.items():
        counted_by = [by_id for by_id, booked_day in booked if first <= booked_day <= last]
        if len(counted_by) >= limits[period]:
            raise _about_person(LimitReached(_period_message(
                period, name=name, first=first, last=last, n=limits[period])),
                planned, name, counted_by=counted_by)


def _period_message(period: str, *, name: str, first: date, last: date, n: int) -> str:
    if period == "day":
        return _("%(name)s在%(when)s已有%(n)s个门诊预约，每人每天最多%(n)s个，请换一天",
                 name=name, when=short_date(first), n=n)
    if period == "week":
        return _("%(name)s在%(first)s至%(last)s这一周已有%(n)s个门诊预约，每人每周最多%(n)s个，"
                 "请换一周", name=name, first=short_date(first), last=short_date(last), n=n)
    return _("%(name)s在%(month)s已有%(n)s个门诊预约，每人每月最多%(n)s个，请换一个月",
             name=name, month=month_name(first), n=n)


def _explain_clash(planned: dict, name: str) -> None:
    """Raise for the unique index a booking's row met, but the code's: a repeat of the
    idempotency key, one active booking per person and session, or its queue number
    held (which the session's lock rules out; should it happen, a refusal to retry
    rather than a failure)."""
    if first_booking(planned["booked_by_id"], planned["idempotency_key"]) is not None:
        raise Repeated(planned["idempotency_key"])
    if planned["one_per_session_guard"] is not None and (booked_by := queries.active_booked_by(
            planned["person_key"], session_id=planned["session_id"])):
        raise _about_person(
            AlreadyBooked(_("%(name)s已预约本场，同一场次每人只能预约一个号", name=name)),
            planned, name, counted_by=booked_by)
    held = db.session.connection().execute(_NUMBERS_HELD, {
        "b_session": planned["session_id"], "b_first": planned["queue_number"],
        "b_last": planned["queue_number"]}).first()
    if held is not None:
        raise NotBookable(_("这个号刚被占用，请重新预约"))


def _about_person(error: BookingError, planned: dict, name: str, *,
                  counted_by: list[int]) -> BookingError:
    """``error``, or the refusal that tells nothing when bookings another account made
    count towards it (app.bookings.services.refusals); the front desk hears it all."""
    if planned["source"] == BookingSource.FRONT_DESK:
        return error
    return refusals.about_person(error, name=name, key=planned["person_key"],
                                 asker_id=planned["booked_by_id"], counted_by=counted_by)


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
                        name=name, when=short_datetime(until))),
            planned, name, counted_by=queries.no_shows_booked_by(key, since=since))


# Built once, bound by parameter, and run as Core statements on the unit of work's
# connection: nothing they touch is loaded, the ORM has nothing to do.
_LOCK_PUBLISHED_SESSION = (
    update(Session)
    .where(Session.id == bindparam("b_session"), Session.status == SessionStatus.PUBLISHED)
    .values(last_queue_number=Session.last_queue_number)
    .returning(Session.last_queue_number)
)
_SLOT_RANGE = select(Slot.first_number, Slot.numbers).where(Slot.id == bindparam("b_slot"))
# The status test is the partial unique index's own predicate, written out, so that
# SQLite answers from that index (it cannot match a bound IN list to it).
_NUMBERS_HELD = select(Booking.queue_number).where(
    Booking.session_id == bindparam("b_session"),
    Booking.queue_number.between(bindparam("b_first"), bindparam("b_last")),
    text(ACTIVE_SQL))
_NUMBER_AFTER_THE_RANGES = (
    update(Session)
    .where(Session.id == bindparam("b_session"))
    .values(last_queue_number=Session.last_queue_number + 1)
    .returning(Session.last_queue_number)
)
# A public place: one not booked, but not one of the referral places held until their
# release — computed from the clock here, in the update that takes the place.
_TAKE_CAPACITY = (
    update(Slot)
    .where(Slot.id == bindparam("b_slot"), Slot.has_public_place(bindparam("b_now")))
    .values(booked_count=Slot.booked_count + 1)
)
# A referral place (转诊号): one of the reserved ones, before their release.
_TAKE_REFERRAL_PLACE = (
    update(Slot)
    .where(Slot.id == bindparam("b_slot"), Slot.booked_count < Slot.capacity,
           Slot.referred_count < Slot.reserved, Slot.reserved_until > bindparam("b_now"))
    .values(booked_count=Slot.booked_count + 1, referred_count=Slot.referred_count + 1)
)
_TAKE_PERSON_PLACE = (
    update(Person)
    .where(Person.key == bindparam("b_key"), Person.active_count < bindparam("b_max"))
    .values(active_count=Person.active_count + 1)
)
# Online, also only while not suspended.
_TAKE_PERSON_PLACE_ONLINE = _TAKE_PERSON_PLACE.where(
    Person.suspended_until.is_(None) | (Person.suspended_until <= bindparam("b_now")))


def next_queue_number(session_id: int, slot_id: int, *,
                      numbers: tuple[int, int] = (0, 0)) -> int:
    """A queue number for a new place in the slot while its session is published (else
    NotBookable): the lowest number of the slot's range that no active booking holds,
    so numbers follow the clock and a cancelled place's number is used again. A place
    beyond the range (capacity added later) takes the next number after the session's
    last. ``numbers``: the slot's range as read before the lock — a range once given
    never changes; (0, 0), none then: the session's slots without one get theirs now
    (``give_ranges``), unless another booking gave them meanwhile. On PostgreSQL this
    takes the session's row lock first, as the lock order says; on SQLite the caller
    holds the write lock."""
    connection = db.session.connection()
    last = connection.execute(_LOCK_PUBLISHED_SESSION, {"b_session": session_id}).scalar()
    if last is None:
        raise NotBookable(_("本场已停诊或不再接受预约"))
    first, count = numbers
    if count == 0:
        given = give_ranges(session_id, after=last)
        if slot_id in given:
            # Numbers after the session's last, given just now: no booking holds one.
            return given[slot_id][0]
        first, count = connection.execute(_SLOT_RANGE, {"b_slot": slot_id}).one()
    held = set(connection.execute(_NUMBERS_HELD, {
        "b_session": session_id, "b_first": first, "b_last": first + count - 1}).scalars())
    for number in range(first, first + count):
        if number not in held:
            return number
    return connection.execute(_NUMBER_AFTER_THE_RANGES, {"b_session": session_id}).scalar()


# The slots without a range, each with the running total of the numbers they own in
# time order (a slot owns as many as it has places, one at least: ``queue_ranges``).
_OWNS = case((Slot.capacity > 1, Slot.capacity), else_=1)
_WITHOUT_RANGE = (
    select(Slot.id, _OWNS.label("owns"),
           func.sum(_OWNS).over(order_by=(Slot.start_dt, Slot.id)).label("through"))
    .where(Slot.session_id == bindparam("b_session"), Slot.numbers == 0)
    .subquery()
)
_GIVE_RANGES = (
    update(Slot)
    .where(Slot.id == _WITHOUT_RANGE.c.id)
    .values(first_number=bindparam("b_after") + _WITHOUT_RANGE.c.through
            - _WITHOUT_RANGE.c.owns + 1,
            numbers=_WITHOUT_RANGE.c.owns)
    .returning(Slot.id, Slot.first_number, Slot.numbers)
)
_SET_LAST_NUMBER = (
    update(Session.__table__).where(Session.__table__.c.id == bindparam("b_session"))
    .values(last_queue_number=bindparam("b_last"))
)


def give_ranges(session_id: int, *, after: int) -> dict[int, tuple[int, int]]:
    """Give the session's slots that have no range yet one each, in time order, after
    number ``after`` (the session's last): a slot owns as many numbers as it has
    places. Under the session's lock (``next_queue_number``); one statement, and a
    second for the session's new last number. Returns the ranges given, by slot id."""
    connection = db.session.connection()
    given = {slot_id: (first, count) for slot_id, first, count
             in connection.execute(_GIVE_RANGES, {"b_session": session_id, "b_after": after})}
    if given:
        connection.execute(_SET_LAST_NUMBER, {
            "b_session": session_id,
            "b_last": max(first + count - 1 for first, count in given.values())})
    return given


def lock_sessions(*session_ids: int) -> None:
    """Take the sessions' row locks in id order (a no-op under SQLite's one writer)."""
    for session_id in sorted(set(session_ids)):
        db.session.execute(select(Session.id).where(Session.id == session_id).with_for_update())


def take_capacity(slot_id: int, *, now: datetime, referral: bool = False) -> bool:
    """One place in the slot if one is left — a public one, or with ``referral`` one of
    its referral places before their release; the database decides, atomically."""
    query = _TAKE_REFERRAL_PLACE if referral else _TAKE_CAPACITY
    return db.session.connection().execute(query, {"b_slot": slot_id, "b_now": now}
                                           ).rowcount == 1


def release_capacity(slot_id: int) -> None:
    db.session.execute(
        update(Slot).where(Slot.id == slot_id).values(booked_count=Slot.booked_count - 1)
    )


def release_referral(slot_id: int, *, now: datetime) -> bool:
    """A cancelled referral booking's place: back among the slot's referral places
    while they are held (True: nothing more to do), else counted as a public place
    (False: the caller passes it on, to a waiter or the slot)."""
    connection = db.session.connection()
    back = connection.execute(
        update(Slot).where(Slot.id == slot_id, Slot.reserved_until > now)
        .values(booked_count=Slot.booked_count - 1, referred_count=Slot.referred_count - 1)
    ).rowcount == 1
    if not back:
        connection.execute(update(Slot).where(Slot.id == slot_id)
                           .values(referred_count=Slot.referred_count - 1))
    return back


def _take_person_place(key: str, *, max_active: int, now: datetime, online: bool) -> bool:
    """The person's place under their limit; their row is made on their first booking."""
    if take_person_place(key, max_active=max_active, now=now, online=online):
        return True
    if db.session.connection().execute(_PERSON_SUSPENDED, {"key": key}).first() is not None:
        return False
    insert_ignore(db.session, Person, {"key": key, "active_count": 0})
    return take_person_place(key, max_active=max_active, now=now, online=online)


_LOCK_PERSON = (update(Person).where(Person.key == bindparam("b_key"))
                .values(active_count=Person.active_count))


def lock_person(key: str) -> None:
    """The person's row lock (PostgreSQL; SQLite's one writer holds it already), taken
    after the session's and slot's as the lock order says."""
    db.session.connection().execute(_LOCK_PERSON, {"b_key": key})


def take_person_place(key: str, *, max_active: int, now: datetime, online: bool) -> bool:
    if online:
        query, params = _TAKE_PERSON_PLACE_ONLINE, {"b_key": key, "b_max": max_active,
                                                    "b_now": now}
    else:
        query, params = _TAKE_PERSON_PLACE, {"b_key": key, "b_max": max_active}
    return db.session.connection().execute(query, params).rowcount == 1


def release_person_place(key: str, kind: SessionKind) -> None:
    """The person's place under their limit back, when a booking of ``kind`` took one."""
    if not kind.counts_toward_limit:
        return
    db.session.execute(
        update(Person).where(Person.key == key).values(active_count=Person.active_count - 1)
    )

"""Read-side queries for a resident's bookings, patients and waitlist entries."""

import functools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.bookings.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingPolicy,
    BookingSource,
    BookingStatus,
    WaitlistEntry,
    WaitlistStatus,
    shown_booker,
)
from app.directory.models import Expert, Specialty, Township, Venue
from app.extensions import db
from app.patients.models import Patient, Relation
from app.patients.queries import holder_key
from app.scheduling.models import (
    COUNTED_KINDS,
    PUBLIC_STATUSES,
    Audience,
    Places,
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


def last_booked_for(user: User) -> int | None:
    """The patient this account booked for last (the booking form's default)."""
    return db.session.scalar(
        select(Booking.patient_id).where(Booking.booked_by_id == user.id)
        .order_by(Booking.id.desc()).limit(1))


def _my_bookings(user: User) -> Select:
    """The account's bookings and the active ones anyone made for its holder (their
    own account sees them all): active first (soonest first), then the rest (newest
    first)."""
    active = Booking.status.in_(ACTIVE_STATUSES)
    active_first = case((active, 0), else_=1)
    return (
        select(Booking).join(Booking.slot)
        .where(or_(Booking.account_id == user.id,
                   and_(Booking.person_key == holder_key(user.id), active)))
        .order_by(active_first, case((active, Slot.start_dt)),
                  Slot.start_dt.desc(), Booking.id.desc())
        .options(selectinload(Booking.slot), selectinload(Booking.patient),
                 selectinload(Booking.booked_by),
                 selectinload(Booking.session).selectinload(Session.experts))
    )


def my_bookings(user: User, *, limit: int = 100) -> list[Booking]:
    """Active bookings first (soonest first), then the rest (newest first)."""
    return db.session.scalars(_my_bookings(user).limit(limit)).all()


def my_bookings_page(user: User, *, page: int, per_page: int):
    """One page of ``my_bookings`` (a Flask-SQLAlchemy Pagination), for the API."""
    return db.paginate(_my_bookings(user), page=page, per_page=per_page, max_per_page=100,
                       error_out=False)


@dataclass(frozen=True)
class Offer:
    """A place the waitlist holds for one of the account's patients, as plain values."""

    entry_id: int
    name: str
    start_dt: datetime
    expires_dt: datetime


def open_offers(user_id: int, *, now: datetime) -> list[Offer]:
    """The account's waitlist offers not yet answered and not yet expired."""
    rows = db.session.execute(
        select(WaitlistEntry.id, Patient.name, Slot.start_dt, WaitlistEntry.offer_expires_dt)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .join(Slot, Slot.id == WaitlistEntry.slot_id)
        .where(WaitlistEntry.account_id == user_id,
               WaitlistEntry.status == WaitlistStatus.OFFERED,
               WaitlistEntry.offer_expires_dt > now)
        .order_by(WaitlistEntry.offer_expires_dt))
    return [Offer(*row) for row in rows]


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
class SlotFacts(Places):
    """What booking a slot, and answering about the booking, needs to know of the slot
    and its session, venue and experts, as plain values."""

    id: int
    session_id: int
    start_dt: datetime
    end_dt: datetime
    session_status: SessionStatus
    kind: SessionKind
    venue_name: str
    title: str  # the session's display title
    venue_id: int = 0
    venue_address: str = ""
    township: dict = field(default_factory=dict)  # id, name, kind
    experts: tuple = ()  # ({id, name, title}, …) in the order pages list them
    capacity: int = 0
    booked_count: int = 0
    audience: Audience = Audience.PUBLIC
    numbers: tuple[int, int] = (0, 0)  # the slot's queue-number range: first, how many
    policy: BookingPolicy | None = None  # the booking policy in force, read with it
    reserved: int = 0  # referral places (Places.public_left)
    referred_count: int = 0
    reserved_until: datetime | None = None

    @property
    def is_public(self) -> bool:
        return self.session_status in PUBLIC_STATUSES


# The hot reads are built once (bound by parameter), not per call: building a
# statement costs more than running it on SQLite.
_POLICY = BookingPolicy.__table__
_SLOT_FACTS = (
    select(Slot.id, Slot.session_id, Slot.start_dt, Slot.end_dt, Session.status,
           Session.kind, Session.title, Venue.name, Specialty.name, Venue.id, Venue.address,
           Township.id, Township.name, Township.kind, Slot.capacity, Slot.booked_count,
           Expert.id, Expert.name, Expert.title, Session.audience, Slot.first_number,
           Slot.numbers, Slot.reserved, Slot.referred_count, Slot.reserved_until,
           *_POLICY.columns)
    .join(Session, Session.id == Slot.session_id)
    .join(Venue, Venue.id == Session.venue_id)
    .join(Township, Township.id == Venue.township_id)
    .outerjoin(Specialty, Specialty.id == Session.specialty_id)
    .outerjoin(SessionExpert, SessionExpert.session_id == Session.id)
    .outerjoin(Expert, Expert.id == SessionExpert.expert_id)
    .outerjoin(_POLICY, _POLICY.c.id == 1)  # the saved policy, when there is one
    .where(Slot.id == bindparam("slot_id"))
    .order_by(Expert.id)
)
_FIRST_POLICY_COLUMN = 25


def slot_facts(slot_id: int) -> SlotFacts | None:
    """The slot with its session, venue, township and experts, and the booking
    policy, in one statement (a row per expert) on the unit of work's connection,
    without building ORM objects: the booking engine's hot read."""
    rows = db.session.connection().execute(_SLOT_FACTS, {"slot_id": slot_id}).all()
    if not rows:
        return None
    row = rows[0]
    experts = tuple({"id": r[16], "name": r[17], "title": r[18]}
                    for r in rows if r[16] is not None)
    policy = _policy(row[_FIRST_POLICY_COLUMN:])
    return SlotFacts(id=row[0], session_id=row[1], start_dt=row[2], end_dt=row[3],
                     session_status=row[4], kind=row[5], venue_name=row[7],
                     title=display_title(row[6], [e["name"] for e in experts], row[8]),
                     venue_id=row[9], venue_address=row[10],
                     township={"id": row[11], "name": row[12], "kind": row[13]},
                     experts=experts, capacity=row[14], booked_count=row[15],
                     audience=row[19], numbers=(row[20], row[21]), policy=policy,
                     reserved=row[22], referred_count=row[23], reserved_until=row[24])


@functools.lru_cache(maxsize=8)
def _policy(saved: tuple) -> BookingPolicy:
    """The policy of the saved row's values (all None: none saved), built once per
    version of it: building the object costs more than reading it. Shared, so
    read-only — no session holds it, and nobody changes it."""
    return BookingPolicy.unsaved(
        None if saved[0] is None else
        {column.key: value for column, value in zip(_POLICY.columns, saved, strict=True)})


_BOOKING_ROW = (
    select(Booking.id, Booking.code, Booking.queue_number, Booking.status, Booking.source,
           Booking.cancel_reason, Booking.created_dt, Booking.updated_dt,
           Booking.cancelled_dt, Booking.checked_in_dt, Booking.slot_id,
           Patient.id.label("patient_id"), Patient.name, Patient.relation,
           User.phone.label("booker_phone"))
    .join(Patient, Patient.id == Booking.patient_id)
    .join(User, User.id == Booking.booked_by_id)
    .where(Booking.id == bindparam("booking_id"))
)


def booking_view(booking_id: int) -> dict | None:
    """A booking as an answer about it shows it — its slot, its session with venue,
    township and experts, its patient — as nested plain values, in three statements on
    the unit of work's connection (building the ORM graph for it costs ~2 ms)."""
    row = db.session.connection().execute(_BOOKING_ROW, {"booking_id": booking_id}).first()
    if row is None:
        return None
    slot = slot_facts(row.slot_id)
    return view_of_booking(row._asdict(), slot, {"id": row.patient_id, "name": row.name,
                                                 "relation": row.relation})


def view_of_booking(booking: dict, slot: SlotFacts, patient: dict) -> dict:
    """``booking_view``'s shape from values in hand: the booking's own columns
    (``booking``), its slot's facts and its patient's id, name and relation — so a
    booking just made is answered without reading it back."""
    return {
        "id": booking["id"], "code": booking["code"], "queue_number": booking["queue_number"],
        "status": booking["status"], "source": booking["source"],
        "cancel_reason": booking["cancel_reason"], "created_dt": booking["created_dt"],
        "updated_dt": booking["updated_dt"], "cancelled_dt": booking["cancelled_dt"],
        "checked_in_dt": booking["checked_in_dt"],
        "booked_by_phone": shown_booker(booking["source"], booking["booker_phone"]),
        **view_around_booking(slot, patient),
    }


def new_booking_view(row: dict, slot: SlotFacts, patient: dict, *, booker_phone: str) -> dict:
    """``view_of_booking`` of a booking just written, from its row as written."""
    return view_of_booking({**row, "booker_phone": booker_phone}, slot, patient)


def view_around_booking(slot: SlotFacts, patient: dict) -> dict:
    """The part of ``view_of_booking`` that is known before the booking is written:
    its slot, its session (venue, township, experts) and its patient."""
    return {
        "slot": {"id": slot.id, "start_dt": slot.start_dt, "end_dt": slot.end_dt},
        "session": {
            "id": slot.session_id, "kind": slot.kind, "status": slot.session_status,
            "experts": list(slot.experts), "display_title": slot.title,
            "venue": {"id": slot.venue_id, "name": slot.venue_name,
                      "address": slot.venue_address, "township": slot.township},
        },
        "patient": patient,
    }


def slot_with_session(slot_id: int) -> Slot | None:
    return db.session.get(Slot, slot_id, options=[joinedload(Slot.session)])


def active_booked_by(key: str, *, session_id: int | None = None) -> list[int]:
    """Who booked each active booking of a person that counts toward their limit (in
    one session, if given): what a refusal about the person counts
    (app.bookings.services.refusals)."""
    query = select(Booking.booked_by_id).where(Booking.person_key == key,
                                               Booking.status.in_(ACTIVE_STATUSES))
    if session_id is not None:
        query = query.where(Booking.session_id == session_id)
    else:
        query = query.join(Session, Session.id == Booking.session_id).where(
            Session.kind.in_(COUNTED_KINDS))
    return list(db.session.scalars(query))


def no_shows_booked_by(key: str, *, since: datetime) -> list[int]:
    """Who booked each of a person's clinic no-shows at slots that began after ``since``
    (the day they did not come counts, not the day the desk marked it; an empty
    lecture seat does not)."""
    return list(db.session.scalars(
        select(Booking.booked_by_id).join(Slot, Slot.id == Booking.slot_id)
        .join(Session, Session.id == Booking.session_id)
        .where(Booking.person_key == key, Booking.status == BookingStatus.NO_SHOW,
               Slot.start_dt > since, Session.kind.in_(COUNTED_KINDS))))


def waiting_for_by(key: str, slot_id: int) -> list[int]:
    """Which accounts put a person on a slot's waitlist (open entries)."""
    return list(db.session.scalars(
        select(WaitlistEntry.account_id)
        .where(WaitlistEntry.person_key == key, WaitlistEntry.slot_id == slot_id,
               WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)))))


# Whom to tell when someone else books a person (engine.whom_to_tell).
_HOLDER = (Patient.id_number_hash == bindparam("key"), Patient.relation == Relation.SELF,
           Patient.account_id.is_not(None))
_HOLDER_CONTACT = select(User.id, User.phone).join(Patient, Patient.account_id == User.id)\
    .where(*_HOLDER)
_LAST_DESK_PHONE = (select(Patient.phone)
                    .where(Patient.id_number_hash == bindparam("key"),
                           Patient.account_id.is_(None))
                    .order_by(Patient.id.desc()).limit(1))


def person_contact(key: str) -> tuple[int | None, str | None]:
    """Whom to tell when someone else books this person: their own account (its id and
    phone), else the phone a front desk recorded for them last (and no account)."""
    connection = db.session.connection()
    if (row := connection.execute(_HOLDER_CONTACT, {"key": key}).first()) is not None:
        return row.id, row.phone
    return None, connection.execute(_LAST_DESK_PHONE, {"key": key}).scalar()


# --- What /metrics reports (app.web.metrics) ------------------------------------------


def booking_counts() -> list[tuple[str, str, int]]:
    """(status, source, bookings) over every booking ever stored."""
    return [(str(status), str(source), count) for status, source, count in db.session.execute(
        select(Booking.status, Booking.source, func.count())
        .group_by(Booking.status, Booking.source))]


def offer_counts() -> list[tuple[str, int]]:
    """(what became of it, waitlist places) over every place ever offered."""
    return [(str(status), count) for status, count in db.session.execute(
        select(WaitlistEntry.status, func.count())
        .where(WaitlistEntry.offered_dt.is_not(None)).group_by(WaitlistEntry.status))]


def referred_by(user_id: int, *, since: datetime, limit: int = 200) -> list[Booking]:
    """The patients ``user_id`` referred (转诊) into slots starting after ``since``:
    the coming ones first (soonest first), then the rest (latest first)."""
    coming = case((Booking.status.in_(ACTIVE_STATUSES), 0), else_=1)
    return db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.booked_by_id == user_id, Booking.source == BookingSource.REFERRAL,
               Slot.start_dt >= since)
        .options(joinedload(Booking.slot), joinedload(Booking.patient),
                 joinedload(Booking.session))
        .order_by(coming, case((Booking.status.in_(ACTIVE_STATUSES), Slot.start_dt)),
                  Slot.start_dt.desc())
        .limit(limit)).all()

"""Read-side queries for the public schedule. Each runs a bounded number of statements."""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from app.core.time import local_day_bounds, local_today, to_local
from app.directory.models import Specialty, Township, Venue
from app.extensions import db
from app.scheduling.models import (
    PUBLIC_STATUSES,
    Session,
    SessionExpert,
    SessionKind,
    SessionStatus,
    Slot,
    held_for_referrals,
)

HOME_KINDS = tuple(kind for kind in SessionKind if kind.has_public_slots)
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class ScheduleFilter:
    """What a visitor asked the schedule for; every field optional."""

    start: date | None = None
    end: date | None = None
    township_id: int | None = None
    venue_id: int | None = None
    specialty_id: int | None = None
    expert_id: int | None = None
    kind: SessionKind | None = None
    # Without a kind asked for, only these (the resident's pages: no surgeries or ward
    # rounds); not part of the query string.
    kinds: tuple[SessionKind, ...] | None = None

    def as_args(self) -> dict[str, str]:
        """Query-string arguments that reproduce this filter (for pagination links)."""
        names = {"township_id": "township", "venue_id": "venue", "specialty_id": "specialty",
                 "expert_id": "expert"}
        args = {}
        for field in fields(self):
            if field.name == "kinds":
                continue
            value = getattr(self, field.name)
            if value is not None:
                args[names.get(field.name, field.name)] = str(value)
        return args


def public_sessions(flt: ScheduleFilter, *, now: datetime) -> Select:
    """Public sessions matching ``flt``, in time order. With no start date: from today."""
    first = flt.start or local_today(now)
    last = flt.end or first + timedelta(days=MAX_RANGE_DAYS)
    start_dt, end_dt = local_day_bounds(first, last)
    query = (
        select(Session)
        .join(Session.venue)
        .where(Session.status.in_(PUBLIC_STATUSES))
        .where(Session.start_dt >= start_dt, Session.start_dt < end_dt)
        .order_by(Session.start_dt, Session.id)
        .options(selectinload(Session.experts))
    )
    if flt.township_id:
        query = query.where(Venue.township_id == flt.township_id)
    if flt.venue_id:
        query = query.where(Session.venue_id == flt.venue_id)
    if flt.specialty_id:
        query = query.where(Session.specialty_id == flt.specialty_id)
    if flt.kind:
        query = query.where(Session.kind == flt.kind)
    elif flt.kinds:
        query = query.where(Session.kind.in_(flt.kinds))
    if flt.expert_id:
        query = query.where(
            select(SessionExpert.session_id)
            .where(SessionExpert.session_id == Session.id,
                   SessionExpert.expert_id == flt.expert_id)
            .exists()
        )
    return query


class SessionPlaces(NamedTuple):
    left: int
    capacity: int
    slots: tuple[tuple[datetime, int], ...]  # (start, places left) of each slot, in order
    booked: int = 0  # places taken (a referral place still held is neither booked nor left)


def places_left(session_ids: list[int], *, now: datetime) -> dict[int, SessionPlaces]:
    """Places the public may book at ``now`` and capacity, per session and per slot, in
    one statement: referral places held until their release are not among those left
    (Places.public_left)."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(Slot.session_id, Slot.start_dt, Slot.capacity, Slot.booked_count,
               Slot.reserved, Slot.referred_count, Slot.reserved_until)
        .where(Slot.session_id.in_(session_ids))
        .order_by(Slot.session_id, Slot.start_dt)
    )
    slots: dict[int, list] = {}
    for session_id, start_dt, capacity, booked, reserved, referred, until in rows:
        held = held_for_referrals(reserved, referred, until, now=now)
        slots.setdefault(session_id, []).append(
            (start_dt, max(capacity - booked - held, 0), capacity, booked))
    return {sid: SessionPlaces(sum(s[1] for s in own), sum(s[2] for s in own),
                               tuple((s[0], s[1]) for s in own), sum(s[3] for s in own))
            for sid, own in slots.items()}


def schedule_page(flt: ScheduleFilter, *, now: datetime, page: int, per_page: int):
    """One page of the schedule (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(
        public_sessions(flt, now=now), page=page, per_page=per_page, max_per_page=100,
        error_out=False,
    )


@dataclass
class TownshipWeek:
    township: Township
    sessions: list[Session]
    total: int


def week_by_township(*, now: datetime, per_township: int = 5) -> list[TownshipWeek]:
    """The next seven days of bookable public sessions, grouped by township: the first
    ``per_township`` of each and how many there are, in a few statements however many
    sessions the week holds."""
    today = local_today(now)
    week = (public_sessions(ScheduleFilter(start=today, end=today + timedelta(days=6)),
                            now=now)
            .where(Session.kind.in_(HOME_KINDS)).order_by(None).options())
    ranked = week.with_only_columns(
        Session.id, Venue.township_id,
        func.row_number().over(partition_by=Venue.township_id,
                               order_by=(Session.start_dt, Session.id)).label("rank"),
        func.count().over(partition_by=Venue.township_id).label("total"),
    ).subquery()
    firsts = db.session.execute(
        select(ranked.c.id, ranked.c.township_id, ranked.c.total)
        .where(ranked.c.rank <= per_township)).all()
    sessions = {s.id: s for s in db.session.scalars(
        select(Session).where(Session.id.in_([row.id for row in firsts]))
        .options(joinedload(Session.venue).joinedload(Venue.township)))}
    groups: dict[int, TownshipWeek] = {}
    for row in firsts:
        session = sessions[row.id]
        group = groups.setdefault(row.township_id, TownshipWeek(
            session.venue.township, [], row.total))
        group.sessions.append(session)
    for group in groups.values():
        group.sessions.sort(key=lambda s: (s.start_dt, s.id))
    return sorted(groups.values(), key=lambda g: (-g.total, g.township.id))


@dataclass(frozen=True)
class FilterChoices:
    townships: list[Township]
    venues: list[Venue]
    specialties: list[Specialty]


@dataclass
class TownshipDays:
    """One township's next seven days for the home page: each day (local date) with
    its bookable public sessions, in time order."""

    township: Township
    days: list[tuple[date, list[Session]]]


def township_days(township_id: int, *, now: datetime) -> TownshipDays | None:
    """The next seven days of one township's clinics, lectures and forums."""
    township = db.session.get(Township, township_id)
    if township is None:
        return None
    today = local_today(now)
    sessions = db.session.scalars(public_sessions(
        ScheduleFilter(start=today, end=today + timedelta(days=6), township_id=township_id,
                       kinds=HOME_KINDS), now=now)
        .options(joinedload(Session.venue))).all()
    by_day = {today + timedelta(days=n): [] for n in range(7)}
    for session in sessions:
        by_day[to_local(session.start_dt).date()].append(session)
    return TownshipDays(township, list(by_day.items()))


def townships() -> list[Township]:
    return db.session.scalars(select(Township).where(Township.is_enabled)
                              .order_by(Township.id)).all()


def filter_choices() -> FilterChoices:
    """The options of the schedule's filter form (three small reads)."""
    return FilterChoices(
        townships=db.session.scalars(select(Township).where(Township.is_enabled)
                                     .order_by(Township.id)).all(),
        venues=db.session.scalars(select(Venue).where(Venue.is_enabled)
                                  .order_by(Venue.id)).all(),
        specialties=db.session.scalars(select(Specialty).where(Specialty.is_enabled)
                                       .order_by(Specialty.id)).all(),
    )


def session_detail(session_id: int) -> Session | None:
    """A public session with its slots, experts and venue (or None)."""
    return db.session.scalars(
        select(Session)
        .where(Session.id == session_id, Session.status.in_(PUBLIC_STATUSES))
        .options(selectinload(Session.slots), selectinload(Session.experts))
    ).first()


def expert_upcoming(expert_id: int, *, now: datetime, limit: int = 20) -> list[Session]:
    flt = ScheduleFilter(expert_id=expert_id)
    return db.session.scalars(public_sessions(flt, now=now).limit(limit)).all()


def venue_upcoming(venue_id: int, *, now: datetime, limit: int = 30) -> list[Session]:
    flt = ScheduleFilter(venue_id=venue_id)
    return db.session.scalars(public_sessions(flt, now=now).limit(limit)).all()



ALTERNATIVES = 3


def nearest_alternatives(session: Session, *, now: datetime,
                         limit: int = ALTERNATIVES) -> list[Session]:
    """Published sessions of the same specialty and kind with places, soonest first
    (what a stopped session's patients are offered instead)."""
    if session.specialty_id is None:
        return []
    return db.session.scalars(
        select(Session)
        .where(Session.id != session.id, Session.status == SessionStatus.PUBLISHED,
               Session.kind == session.kind, Session.specialty_id == session.specialty_id,
               Session.start_dt > now,
               select(Slot.id).where(Slot.session_id == Session.id,
                                     Slot.has_public_place(now)).exists())
        .order_by(Session.start_dt).limit(limit)
    ).all()

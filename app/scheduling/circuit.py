"""An expert's circuit (巡回): their sessions across every venue for a week or a month,
in time order, with the way between consecutive sessions of a day — the minutes the
travel-time table gives the two townships, the time the plan leaves, and whether the
two overlap (a clash) or leave too little to get there (too short)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.time import local_day_bounds, to_local
from app.extensions import db
from app.scheduling.conflicts import HOLDING, TravelTimes
from app.scheduling.models import Session, SessionExpert, SessionStatus

SHOWN = (*HOLDING, SessionStatus.COMPLETED)  # stopped sessions no longer hold the expert


@dataclass(frozen=True)
class Leg:
    """The way to a session from the one before it on the same day."""

    minutes: int  # what the way takes (0 within a township)
    gap: int  # minutes between the end of the one and the start of the next; < 0: overlap

    @property
    def clash(self) -> bool:
        return self.gap < 0

    @property
    def too_short(self) -> bool:
        return 0 <= self.gap < self.minutes


@dataclass(frozen=True)
class Stop:
    session: Session
    leg: Leg | None  # None: the day's first


def circuit(expert_id: int, *, first: date, last: date,
            travel: TravelTimes) -> list[tuple[date, list[Stop]]]:
    """The expert's sessions on local days ``first`` … ``last`` by day, each with the
    leg from the day's previous one."""
    start_dt, end_dt = local_day_bounds(first, last)
    sessions = db.session.scalars(
        select(Session)
        .join(SessionExpert, SessionExpert.session_id == Session.id)
        .where(SessionExpert.expert_id == expert_id, Session.status.in_(SHOWN),
               Session.start_dt >= start_dt, Session.start_dt < end_dt)
        .order_by(Session.start_dt, Session.id)
        .options(selectinload(Session.experts))
    ).all()
    days: dict[date, list[Stop]] = {}
    for session in sessions:
        stops = days.setdefault(to_local(session.start_dt).date(), [])
        leg = None
        if stops:
            before = stops[-1].session
            leg = Leg(travel.minutes(before.venue.township_id, session.venue.township_id),
                      int((session.start_dt - before.end_dt).total_seconds() // 60))
        stops.append(Stop(session, leg))
    return sorted(days.items())

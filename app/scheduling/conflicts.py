"""An expert is never in two places at once (SPEC §4).

A new or moved session clashes with an expert's other sessions (drafts and published
ones; stopped and completed ones no longer hold the expert) and with the busy times
uploaded from the expert's own calendar when they overlap, or when they are in a
different township and leave less than the travel time between them.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.directory.models import Expert, Venue
from app.extensions import db
from app.scheduling.models import ExpertBusy, Session, SessionExpert, SessionStatus

DEFAULT_TRAVEL_MINUTES = 30
HOLDING = (SessionStatus.DRAFT, SessionStatus.PUBLISHED)


def travel_minutes() -> int:
    """The ``TRAVEL_MINUTES`` setting: minutes between venues in different townships."""
    return int(current_app.config.get("TRAVEL_MINUTES", DEFAULT_TRAVEL_MINUTES))


@dataclass(frozen=True)
class Conflict:
    expert_id: int
    expert_name: str
    start_dt: datetime
    end_dt: datetime
    what: str  # the other session's title and venue, or the busy time's summary
    session_id: int | None
    reason: str  # "overlap" or "travel"


def find_conflicts(expert_ids: list[int], start_dt: datetime, end_dt: datetime,
                   venue_id: int, *, travel_minutes: int = DEFAULT_TRAVEL_MINUTES,
                   exclude_session_ids: tuple[int, ...] = ()) -> list[Conflict]:
    """Every clash the planned time would make for these experts (empty: none)."""
    if not expert_ids:
        return []
    travel = timedelta(minutes=travel_minutes)
    township = db.session.scalar(select(Venue.township_id).where(Venue.id == venue_id))
    names = dict(db.session.execute(
        select(Expert.id, Expert.name).where(Expert.id.in_(expert_ids))).all())
    nearby = (
        select(Session, SessionExpert.expert_id)
        .join(SessionExpert, SessionExpert.session_id == Session.id)
        .where(SessionExpert.expert_id.in_(expert_ids), Session.status.in_(HOLDING),
               Session.start_dt < end_dt + travel, Session.end_dt > start_dt - travel)
        .order_by(Session.start_dt)
    )
    if exclude_session_ids:
        nearby = nearby.where(Session.id.not_in(exclude_session_ids))
    conflicts = []
    for other, expert_id in db.session.execute(nearby).all():
        overlap = other.start_dt < end_dt and other.end_dt > start_dt
        if overlap or other.venue.township_id != township:
            conflicts.append(Conflict(
                expert_id, names.get(expert_id, ""), other.start_dt, other.end_dt,
                f"{other.display_title} · {other.venue.name}", other.id,
                "overlap" if overlap else "travel"))
    busy = db.session.scalars(
        select(ExpertBusy).where(ExpertBusy.expert_id.in_(expert_ids),
                                 ExpertBusy.start_dt < end_dt, ExpertBusy.end_dt > start_dt)
    ).all()
    conflicts += [
        Conflict(b.expert_id, names.get(b.expert_id, ""), b.start_dt, b.end_dt,
                 b.summary, None, "overlap")
        for b in busy
    ]
    return conflicts

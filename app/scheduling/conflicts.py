"""An expert is never in two places at once (SPEC §4).

A new or moved session clashes with an expert's other sessions (drafts and published
ones; stopped and completed ones no longer hold the expert) and with the busy times
uploaded from the expert's own calendar when they overlap, or when they are in a
different township and leave less than the travel time between them.
"""

from bisect import bisect_left
from collections import defaultdict
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
        if _clash(overlap, other.venue.township_id, township):
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


def _clash(overlap: bool, other_township: int, township: int) -> bool:
    """Overlapping, or too close (within the travel time) in another township."""
    return overlap or other_township != township


def find_conflicts_many(plans: list[tuple[int, datetime, datetime]], venue_id: int, *,
                        travel_minutes: int = DEFAULT_TRAVEL_MINUTES) -> list[list[Conflict]]:
    """:func:`find_conflicts` for many (expert id, start, end) at one venue — an
    import's thousands — in a handful of statements instead of three each: every
    plan's clashes, sessions by start and then busy times. Only the clashing sessions
    load as objects (for their titles)."""
    if not plans:
        return []
    travel = timedelta(minutes=travel_minutes)
    expert_ids = sorted({expert_id for expert_id, _start, _end in plans})
    first = min(start for _e, start, _end in plans) - travel
    last = max(end for _e, _start, end in plans) + travel
    township = db.session.scalar(select(Venue.township_id).where(Venue.id == venue_id))
    names = dict(db.session.execute(
        select(Expert.id, Expert.name).where(Expert.id.in_(expert_ids))).all())
    sessions, busy = _timelines(expert_ids, first, last)
    found = []  # per plan: the clashing sessions' rows (with overlap or not), busy rows
    for expert_id, start_dt, end_dt in plans:
        near = [(row, row.start_dt < end_dt and row.end_dt > start_dt)
                for row in sessions.near(expert_id, start_dt - travel, end_dt + travel)]
        found.append(([(row, overlap) for row, overlap in near
                       if _clash(overlap, row.township_id, township)],
                      busy.near(expert_id, start_dt, end_dt)))
    others = _sessions_by_id([row.id for clashes, _busy in found for row, _o in clashes])
    return [
        [Conflict(row.expert_id, names.get(row.expert_id, ""), row.start_dt, row.end_dt,
                  f"{others[row.id].display_title} · {others[row.id].venue.name}", row.id,
                  "overlap" if overlap else "travel") for row, overlap in clashes]
        + [Conflict(b.expert_id, names.get(b.expert_id, ""), b.start_dt, b.end_dt, b.summary,
                    None, "overlap") for b in busy_rows]
        for clashes, busy_rows in found]


def _timelines(expert_ids: list[int], first: datetime,
               last: datetime) -> tuple["_Timelines", "_Timelines"]:
    """The experts' holding sessions (with their venue's township) and busy times that
    overlap ``first``–``last``: two statements, plain rows."""
    sessions = db.session.execute(
        select(SessionExpert.expert_id, Session.start_dt, Session.end_dt, Session.id,
               Venue.township_id)
        .join(Session, Session.id == SessionExpert.session_id)
        .join(Venue, Venue.id == Session.venue_id)
        .where(SessionExpert.expert_id.in_(expert_ids), Session.status.in_(HOLDING),
               Session.start_dt < last, Session.end_dt > first))
    busy = db.session.execute(
        select(ExpertBusy.expert_id, ExpertBusy.start_dt, ExpertBusy.end_dt, ExpertBusy.id,
               ExpertBusy.summary)
        .where(ExpertBusy.expert_id.in_(expert_ids), ExpertBusy.start_dt < last,
               ExpertBusy.end_dt > first))
    return _Timelines(sessions), _Timelines(busy)


class _Timelines:
    """Rows of (expert_id, start_dt, end_dt, id, …) by expert and start, to find those
    that overlap a time without scanning them all."""

    def __init__(self, rows):
        self.rows: dict[int, list] = defaultdict(list)
        for row in sorted(rows, key=lambda r: (r.start_dt, r.id)):
            self.rows[row.expert_id].append(row)
        self.starts = {e: [r.start_dt for r in rows] for e, rows in self.rows.items()}
        self.longest = {e: max(r.end_dt - r.start_dt for r in rows)
                        for e, rows in self.rows.items()}

    def near(self, expert_id: int, start_dt: datetime, end_dt: datetime) -> list:
        """The expert's rows that overlap ``start_dt``–``end_dt``."""
        rows = self.rows.get(expert_id)
        if not rows:
            return []
        # No row that starts before this can still be running at start_dt.
        low = bisect_left(self.starts[expert_id], start_dt - self.longest[expert_id])
        high = bisect_left(self.starts[expert_id], end_dt)
        return [row for row in rows[low:high] if row.end_dt > start_dt]


def _sessions_by_id(ids: list[int]) -> dict[int, Session]:
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(select(Session).where(Session.id.in_(ids)))}

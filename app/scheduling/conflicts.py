"""An expert is never in two places at once (SPEC §4).

A new or moved session clashes with an expert's other sessions (drafts and published
ones; stopped and completed ones no longer hold the expert) and with the busy times
uploaded from the expert's own calendar when they overlap, or when they leave less
than the travel time between their townships (``TravelTimes``: the admin's township ×
township table, ``TRAVEL_MINUTES`` for pairs not in it, nothing within a township).
"""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.directory.models import Expert, TravelTime, Venue
from app.extensions import db
from app.scheduling.models import ExpertBusy, Session, SessionExpert, SessionStatus

DEFAULT_TRAVEL_MINUTES = 30
HOLDING = (SessionStatus.DRAFT, SessionStatus.PUBLISHED)


def travel_minutes() -> int:
    """The ``TRAVEL_MINUTES`` setting: minutes between venues in different townships
    whose pair is not in the travel-time table."""
    return int(current_app.config.get("TRAVEL_MINUTES", DEFAULT_TRAVEL_MINUTES))


class TravelTimes:
    """Minutes from one township to another: the table's, else ``default``; none
    within one township."""

    def __init__(self, table: dict[tuple[int, int], int] | None = None,
                 default: int = DEFAULT_TRAVEL_MINUTES):
        self.table, self.default = table or {}, default
        self.longest = timedelta(minutes=max([default, *self.table.values()]))

    def minutes(self, a: int, b: int) -> int:
        if a == b:
            return 0
        return self.table.get((min(a, b), max(a, b)), self.default)

    def leaves_too_little(self, a: int, b: int, gap: timedelta) -> bool:
        """Whether ``gap`` between a session in township ``a`` and one in ``b`` is
        shorter than the way from one to the other."""
        return gap < timedelta(minutes=self.minutes(a, b))


def travel_times() -> TravelTimes:
    """The admin's travel-time table (one statement) with the setting for the rest."""
    table = {(a, b): minutes for a, b, minutes in db.session.execute(
        select(TravelTime.from_township_id, TravelTime.to_township_id, TravelTime.minutes))}
    return TravelTimes(table, travel_minutes())


def _gap(start_dt: datetime, end_dt: datetime, other_start: datetime,
         other_end: datetime) -> timedelta:
    """The time between two sessions that do not overlap (zero when they do)."""
    return max(other_start - end_dt, start_dt - other_end, timedelta(0))


@dataclass(frozen=True)
class Conflict:
    expert_id: int
    expert_name: str
    start_dt: datetime
    end_dt: datetime
    what: str  # the other session's title and venue, or the busy time's summary
    session_id: int | None
    reason: str  # "overlap" or "travel"
    travel_minutes: int = 0  # for "travel": the way between the two townships


def find_conflicts(expert_ids: list[int], start_dt: datetime, end_dt: datetime,
                   venue_id: int, *, travel: TravelTimes | None = None,
                   exclude_session_ids: tuple[int, ...] = ()) -> list[Conflict]:
    """Every clash the planned time would make for these experts (empty: none)."""
    if not expert_ids:
        return []
    times = travel or TravelTimes()
    travel = times.longest
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
        if overlap or times.leaves_too_little(
                other.venue.township_id, township,
                _gap(start_dt, end_dt, other.start_dt, other.end_dt)):
            conflicts.append(Conflict(
                expert_id, names.get(expert_id, ""), other.start_dt, other.end_dt,
                f"{other.display_title} · {other.venue.name}", other.id,
                "overlap" if overlap else "travel",
                times.minutes(other.venue.township_id, township)))
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


def find_conflicts_many(plans: list[tuple[int, datetime, datetime]], venue_id: int, *,
                        travel: TravelTimes | None = None) -> list[list[Conflict]]:
    """:func:`find_conflicts` for many (expert id, start, end) at one venue — an
    import's thousands — in a handful of statements instead of three each: every
    plan's clashes, sessions by start and then busy times. Only the clashing sessions
    load as objects (for their titles)."""
    if not plans:
        return []
    times = travel or TravelTimes()
    travel = times.longest
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
                       if overlap or times.leaves_too_little(
                           row.township_id, township,
                           _gap(start_dt, end_dt, row.start_dt, row.end_dt))],
                      busy.near(expert_id, start_dt, end_dt)))
    others = _sessions_by_id([row.id for clashes, _busy in found for row, _o in clashes])
    return [
        [Conflict(row.expert_id, names.get(row.expert_id, ""), row.start_dt, row.end_dt,
                  f"{others[row.id].display_title} · {others[row.id].venue.name}", row.id,
                  "overlap" if overlap else "travel", times.minutes(row.township_id, township))
         for row, overlap in clashes]
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

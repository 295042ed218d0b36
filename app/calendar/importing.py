"""Importing a hospital's schedule (.ics or CSV) as draft sessions, and an expert's busy
times (.ics) for conflict checks.

Two phases, as a booking has. The read phase parses and expands the whole file, stops
at the first occurrence past the cap (2,000 sessions, 5,000 busy times) before building
anything for it, and checks every session against the experts and their other
sessions and busy times — with plain reads, holding no write lock however long the
file takes. Only a clean plan reaches the write phase: a short write transaction
(SQLite's write lock) that re-checks the clashes and inserts every row in a few
statements; either everything is written or nothing. The rules the project chose where
the corpus README leaves a choice (pinned in ``tests/calendar/test_import_corpus.py``):

- occurrences that have already ended are not imported (they cannot be booked); they
  are counted in the summary, never dropped silently;
- all-day events (closures such as 清明节放假) are not sessions: counted and skipped;
  an event without DTSTART has nothing to schedule: counted and skipped;
- STATUS:CANCELLED or a 【已停诊】 summary imports as a stopped session (the prefix is
  not kept in the title: the status says it, and the feeds add it back);
- imported dates are taken as given (no holiday skipping); clinics get 30-minute slots
  of 5 patients (or ``X-XQ-CAPACITY``), the last one shorter when the time does not
  divide; a clash with the expert's other sessions or busy times, or with another event
  of the same file, is an error.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete

from app.auth.models import User
from app.calendar.csvread import read_csv
from app.calendar.icsread import Cap, Problem, Reading, read
from app.calendar.planning import (
    ExpertFinder,
    Planned,
    clashes_in_file,
    plan_occurrence,
    stored_clashes,
)
from app.core import audit
from app.core.bulk import insert_many, insert_many_with_ids
from app.core.db import restart_as_write
from app.directory.models import Expert, Venue
from app.extensions import db
from app.scheduling.models import ExpertBusy, Session, SessionExpert, SessionStatus, Slot
from app.scheduling.services import PlanError

MAX_SESSIONS = 2000  # sessions a schedule file may bring in (past ones not counted)
# Their slots: 2,000 half-day clinics (08:00–11:30) of seven half-hour slots, the
# largest import the bench measures (bench/README.md: the write under the lock grows
# with the rows).
MAX_SLOTS = 14_000
MAX_BUSY = 5000  # busy times an expert's calendar file may bring in


@dataclass
class ImportResult:
    created: int = 0  # sessions written, the stopped ones included
    stopped: int = 0
    past: int = 0  # occurrences that had already ended
    all_day: int = 0  # all-day events skipped
    undated: int = 0  # events without a start skipped
    errors: list[Problem] = field(default_factory=list)
    session_ids: list[int] = field(default_factory=list)
    busy: bool = False  # an expert's busy times, not sessions

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        if self.errors:
            return _("导入失败，没有导入任何内容：发现 %(n)s 个问题。", n=len(self.errors))
        if self.busy:
            text = _("已保存 %(n)s 段忙碌时间（替换了之前上传的）。", n=self.created)
        else:
            text = _("已导入 %(n)s 个草稿场次（其中 %(s)s 个为停诊），请在工作台核对后发布。",
                     n=self.created, s=self.stopped)
        skipped = []
        if self.past:
            skipped.append(_("%(n)s 场已经过去", n=self.past))
        if self.all_day:
            skipped.append(_("%(n)s 个全天日程", n=self.all_day))
        if self.undated:
            skipped.append(_("%(n)s 个没有开始时间的日程", n=self.undated))
        if skipped:
            text += _("未导入：%(what)s。", what="、".join(skipped))
        return text


@dataclass
class SchedulePlan:
    """What the read phase found: the result so far (problems, what is skipped) and the
    sessions to write, as plain values — nothing that the write phase would reload."""

    result: ImportResult
    venue_id: int
    source: str
    items: list[Planned] = field(default_factory=list)


@dataclass
class BusyPlan:
    """What the read phase of a busy-time upload found: the result so far and the rows."""

    result: ImportResult
    expert_id: int
    rows: list[dict] = field(default_factory=list)


def import_ics(raw: bytes, *, venue_id: int, default_expert_id: int | None, by: User | None,
               now: datetime, horizon_weeks: int = 26) -> ImportResult:
    """Import an .ics schedule for one venue as draft sessions, all or nothing. Each
    event's expert is its ``X-XQ-EXPERT`` (an expert id or an expert's phone), else the
    default expert; its kind ``X-XQ-KIND`` (default clinic). Open-ended rules expand
    ``horizon_weeks`` ahead of ``now``. Never raises for bad input. The caller commits."""
    return write_schedule(plan_ics(raw, venue_id=venue_id, default_expert_id=default_expert_id,
                                   now=now, horizon_weeks=horizon_weeks), by=by, now=now)


def import_csv(raw: bytes, *, venue_id: int, default_expert_id: int | None, by: User | None,
               now: datetime) -> ImportResult:
    """Import a CSV schedule (``app.calendar.csvread``: a header ``date,start,end`` and
    optionally ``expert``, ``kind``, ``title``, ``capacity``, ``description``). Same
    rules as :func:`import_ics`."""
    return write_schedule(plan_csv(raw, venue_id=venue_id, default_expert_id=default_expert_id,
                                   now=now), by=by, now=now)


def import_busy_ics(raw: bytes, *, expert_id: int, by: User | None, now: datetime,
                    horizon_weeks: int = 26) -> ImportResult:
    """Replace the expert's uploaded busy times with the file's (.ics): every event that
    is not cancelled, not marked free (TRANSP:TRANSPARENT) and not over; all-day events
    are busy for the whole local day. All or nothing; the caller commits."""
    return write_busy(plan_busy_ics(raw, expert_id=expert_id, now=now,
                                    horizon_weeks=horizon_weeks), by=by, now=now)


# --- the read phase: no write lock -----------------------------------------------------


def plan_ics(raw: bytes, *, venue_id: int, default_expert_id: int | None, now: datetime,
             horizon_weeks: int = 26) -> SchedulePlan:
    """:func:`import_ics` up to the writing: read, expand and check the whole file."""
    reading = read(raw, now=now, horizon=timedelta(weeks=horizon_weeks),
                   cap=Cap(MAX_SESSIONS, all_day=False))
    return _plan_schedule(reading, venue_id=venue_id, default_expert_id=default_expert_id,
                          now=now, source="ics")


def plan_csv(raw: bytes, *, venue_id: int, default_expert_id: int | None,
             now: datetime) -> SchedulePlan:
    """:func:`import_csv` up to the writing."""
    return _plan_schedule(read_csv(raw, now=now, limit=MAX_SESSIONS), venue_id=venue_id,
                          default_expert_id=default_expert_id, now=now, source="csv")


def plan_busy_ics(raw: bytes, *, expert_id: int, now: datetime,
                  horizon_weeks: int = 26) -> BusyPlan:
    """:func:`import_busy_ics` up to the writing."""
    reading = read(raw, now=now, horizon=timedelta(weeks=horizon_weeks),
                   cap=Cap(MAX_BUSY, not_busy=False))
    plan = BusyPlan(ImportResult(undated=reading.undated, errors=list(reading.problems),
                                 busy=True), expert_id)
    result = plan.result
    if reading.over_cap:
        result.errors.append(Problem(None, "", _(
            "一次最多上传 %(n)s 段忙碌时间，这个文件超过了 %(n)s 段，请缩短日历的时间范围后再上传",
            n=MAX_BUSY)))
    if db.session.get(Expert, expert_id) is None:
        result.errors.append(Problem(None, "", _("找不到这位专家")))
    if result.errors:
        return plan
    for occ in reading.occurrences:
        if occ.cancelled or occ.transparent:
            continue
        if occ.end_dt <= now:
            result.past += 1
            continue
        plan.rows.append({"expert_id": expert_id, "start_dt": occ.start_dt,
                          "end_dt": occ.end_dt, "summary": occ.summary[:200],
                          "uid": occ.uid[:255], "created_dt": now})
    return plan


def _plan_schedule(reading: Reading, *, venue_id: int, default_expert_id: int | None,
                   now: datetime, source: str) -> SchedulePlan:
    plan = SchedulePlan(ImportResult(undated=reading.undated, errors=list(reading.problems)),
                        venue_id, source)
    result = plan.result
    if reading.over_cap:
        result.errors.append(Problem(None, "", _(
            "一次最多导入 %(n)s 场，这个文件超过了 %(n)s 场，请分批导入", n=MAX_SESSIONS)))
    if db.session.get(Venue, venue_id) is None:
        result.errors.append(Problem(None, "", _("找不到这个地点")))
    if result.errors:
        return plan
    experts = ExpertFinder(default_expert_id)
    all_day = set()
    for occ in reading.occurrences:
        if occ.all_day:
            all_day.add(occ.uid or occ.line)
        elif occ.end_dt <= now:
            result.past += 1
        else:
            try:
                plan.items.append(plan_occurrence(occ, experts))
            except PlanError as error:
                result.errors.append(Problem(occ.line, occ.label, error.message))
    result.all_day = len(all_day)
    slots = sum(len(item.slots) for item in plan.items)
    if slots > MAX_SLOTS:
        result.errors.append(Problem(None, "", _(
            "一次最多导入 %(n)s 个预约时段，这个文件的场次共有 %(m)s 个时段，请分批导入",
            n=MAX_SLOTS, m=slots)))
    if not result.errors:
        result.errors += (clashes_in_file(plan.items)
                          + stored_clashes(plan.items, plan.venue_id))
    return plan


# --- the write phase: one short write transaction ------------------------------------


def write_schedule(plan: SchedulePlan, *, by: User | None, now: datetime) -> ImportResult:
    """Write a clean plan's sessions in a write transaction of their own (SQLite: the
    write lock) and record it; nothing when the plan has problems. The caller commits,
    or rolls back a result that is not ``ok``."""
    result = plan.result
    if not result.ok:
        return result
    actor_id = by.id if by else None  # loaded objects expire when the write begins
    restart_as_write(db.session)
    # What may have been committed since the read phase is checked again: sessions and
    # busy times of these experts (a few statements). On SQLite nothing else writes
    # until this commits, so the check is exact; PostgreSQL has no such lock, and this
    # narrows the race to this transaction, as the planner's own check does.
    result.errors += stored_clashes(plan.items, plan.venue_id)
    if result.errors:
        return result
    result.session_ids = _insert_sessions(plan, now)
    result.created = len(result.session_ids)
    result.stopped = sum(1 for item in plan.items if item.occ.cancelled)
    audit.record("schedule.import", db.session.get(Venue, plan.venue_id), actor_id=actor_id,
                 now=now, after={
                     "source": plan.source, "created": result.created,
                     "stopped": result.stopped,
                     "first_session_id": min(result.session_ids, default=None),
                     "last_session_id": max(result.session_ids, default=None)})
    db.session.flush()
    return result


def write_busy(plan: BusyPlan, *, by: User | None, now: datetime) -> ImportResult:
    """Replace the expert's busy times with the plan's in a write transaction of their
    own; nothing when the plan has problems. The caller commits or rolls back."""
    result = plan.result
    if not result.ok:
        return result
    actor_id = by.id if by else None
    restart_as_write(db.session)
    db.session.execute(delete(ExpertBusy).where(ExpertBusy.expert_id == plan.expert_id))
    insert_many(db.session, ExpertBusy.__table__, plan.rows)
    result.created = len(plan.rows)
    audit.record("busy.import", db.session.get(Expert, plan.expert_id), actor_id=actor_id,
                 now=now, after={"busy": result.created})
    db.session.flush()
    return result


def _insert_sessions(plan: SchedulePlan, now: datetime) -> list[int]:
    """The sessions, their experts and their slots in a few multi-row statements
    (``app.core.bulk``); a flush per object held the write lock for seconds
    (bench/README.md, imports)."""
    ids = insert_many_with_ids(db.session, Session.__table__, [
        _session_row(item, plan.venue_id, now) for item in plan.items])
    insert_many(db.session, SessionExpert.__table__, [
        {"session_id": session_id, "expert_id": item.expert.id}
        for session_id, item in zip(ids, plan.items, strict=True)])
    insert_many(db.session, Slot.__table__, [
        {"session_id": session_id, "start_dt": start_dt, "end_dt": end_dt,
         "capacity": capacity, "booked_count": 0}
        for session_id, item in zip(ids, plan.items, strict=True)
        for start_dt, end_dt, capacity in item.slots])
    return ids


def _session_row(item: Planned, venue_id: int, now: datetime) -> dict:
    occ, stopped = item.occ, item.occ.cancelled
    return {
        "kind": item.kind, "status": SessionStatus.STOPPED if stopped else SessionStatus.DRAFT,
        "title": occ.summary, "description": occ.description, "venue_id": venue_id,
        "specialty_id": item.expert.specialty_id, "start_dt": occ.start_dt,
        "end_dt": occ.end_dt, "created_dt": now, "updated_dt": now,
        "stop_reason": _("导入的日程已取消") if stopped else "",
        "stopped_dt": now if stopped else None,
    }

"""Recurring series: one plan (every Tuesday morning at 浦口镇卫生院 for three months …)
that generates one session per occurrence, linked by ``series_id``.

Which dates a series meets on — statutory holidays skipped, adjusted working days
(调休) followed, per-date overrides — is ``app.scheduling.workdays``; this module
checks the plan, refuses clashes and writes the sessions:

- **create**: every occurrence is checked against the experts' other sessions and busy
  times before anything is written; a single clash refuses the whole series, and the
  message lists every clashing date (a coordinator then skips those dates or changes
  the time). ``count`` counts the rule's dates (RRULE ``COUNT``), holidays included.
- **update**: only occurrences that start after ``now`` change; past ones are left as
  they were, and so are stopped ones (a stopped date is not generated again). A future
  occurrence that was never booked is rebuilt freely. One that has been booked keeps
  its slots, venue and kind: its time moves only when the new plan has as many slots
  and each holds at least the places already taken; otherwise the update is refused
  with the date. A date that leaves the series is deleted when it is an unbooked
  draft, stopped when published (so calendars show it cancelled), refused when booked.
  Every changed session gets ``sequence + 1`` and ``updated_dt = now``.
- **stopping one occurrence** is ``stop_session`` on that session; the rest stay.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.models import User
from app.core import audit
from app.core.db import restart_as_write
from app.core.time import local_to_utc, to_local
from app.extensions import db
from app.scheduling import workdays
from app.scheduling.models import (
    Audience,
    Session,
    SessionKind,
    SessionSeries,
    SessionStatus,
)
from app.scheduling.services import (
    ClashError,
    PlanError,
    build_slots,
    check_experts_free,
    reshape_session,
    resolve_plan,
)

MAX_OCCURRENCES = 200
MAX_SPAN_DAYS = 400
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
ACTIVE = (SessionStatus.DRAFT, SessionStatus.PUBLISHED)
WITHDRAWN_REASON = "系列调整，本场取消"


@dataclass(frozen=True)
class SeriesPlan:
    """What the planner asked for, in local dates and wall-clock times. The pattern is
    ``weekdays`` (0 = Monday) or an RRULE in ``rule``; the end is ``last_day`` or
    ``count`` (or the rule's own UNTIL / COUNT)."""

    venue_id: int
    kind: SessionKind
    expert_ids: list[int]
    first_day: date
    start: time
    end: time
    last_day: date | None = None
    count: int | None = None
    weekdays: tuple[int, ...] = ()
    rule: str = ""
    specialty_id: int | None = None
    title: str = ""
    audience: Audience = Audience.PUBLIC
    slot_minutes: int = 30
    per_slot: int = 5
    seats: int | None = None
    skip_holidays: bool = True
    skip_dates: tuple[date, ...] = ()
    hold_dates: tuple[date, ...] = ()
    status: SessionStatus = SessionStatus.DRAFT


class SeriesClashError(ClashError):
    """Some occurrences clash; ``dates`` are the clashing local dates."""

    def __init__(self, lines: list[str], dates: list[date]):
        super().__init__(lines, [])
        self.dates = dates


@dataclass
class _Dates:
    rule: str
    first_day: date
    last_day: date
    held: list[date]
    skipped: dict[date, str] = field(default_factory=dict)
    overrides: dict[date, str] = field(default_factory=dict)


def create_series(plan: SeriesPlan, *, by: User, now: datetime) -> SessionSeries:
    """Create a series and one session (with its slots) per occurrence; refused whole
    if any occurrence is in the past or clashes. Audited. The caller commits."""
    restart_as_write(db.session)
    if plan.status not in ACTIVE:
        raise PlanError(_("新场次只能保存为草稿或直接发布"), field="status")
    venue, experts, specialty_id, title = resolve_plan(plan)
    dates = _dates(plan)
    if any(local_to_utc(day, plan.start) <= now for day in dates.held):
        raise PlanError(_("第一天不能早于明天；已经过去的日期请用“跳过”去掉"), field="first_day")
    expert_ids = [e.id for e in experts]
    _check_free(plan, dates.held, expert_ids, venue.id, exclude=())
    series = SessionSeries(created_by_id=by.id, created_dt=now)
    _apply(series, plan, dates, venue.id, expert_ids, specialty_id, title, now)
    db.session.add(series)
    db.session.flush()
    for day in dates.held:
        db.session.add(_new_session(series, plan, day, experts, now))
    db.session.flush()
    audit.record("series.create", series, actor_id=by.id, now=now, after={
        **_summary(series), "dates": [d.isoformat() for d in dates.held],
        "skipped": {d.isoformat(): why for d, why in dates.skipped.items()},
    })
    return series


def update_series(series: SessionSeries, plan: SeriesPlan, *, by: User,
                  now: datetime) -> dict[str, list[int]]:
    """Change the future of a series to ``plan`` (see the module docstring for what
    happens to booked occurrences; saved as published, its future drafts are
    published). Returns the ids of the sessions ``created``, ``changed`` (``moved``,
    those of them whose booked patients must hear of it), ``published`` and
    ``withdrawn``. Audited. The caller commits."""
    series_id = series.id
    restart_as_write(db.session)
    series = db.session.get(SessionSeries, series_id)
    venue, experts, specialty_id, title = resolve_plan(plan)
    dates = _dates(plan)
    future = db.session.scalars(
        select(Session).where(Session.series_id == series_id, Session.start_dt > now)
        .order_by(Session.start_dt)).all()
    current = {to_local(s.start_dt).date(): s for s in future if s.status in ACTIVE}
    stopped = {to_local(s.start_dt).date() for s in future if s.status not in ACTIVE}
    days = [d for d in dates.held
            if local_to_utc(d, plan.start) > now and d not in stopped]
    expert_ids = [e.id for e in experts]
    _check_free(plan, days, expert_ids, venue.id,
                exclude=tuple(s.id for s in current.values()))
    before = _summary(series)
    done: dict[str, list[int]] = {"created": [], "changed": [], "moved": [], "published": [],
                                  "withdrawn": []}
    for day in days:
        session = current.pop(day, None)
        if session is None:
            session = _new_session(series, plan, day, experts, now)
            db.session.add(session)
            db.session.flush()
            done["created"].append(session.id)
        else:
            reshaped = reshape_session(session, plan, day, venue.id, experts, specialty_id,
                                       title, now)
            if reshaped.changed:
                done["changed"].append(session.id)
            if reshaped.moved:
                done["moved"].append(session.id)
            if plan.status == SessionStatus.PUBLISHED and _publish_draft(session, now):
                done["published"].append(session.id)
    for session in current.values():
        _withdraw(session, now)
        done["withdrawn"].append(session.id)
    _apply(series, plan, dates, venue.id, expert_ids, specialty_id, title, now)
    db.session.flush()
    audit.record("series.update", series, actor_id=by.id, now=now, before=before,
                 after={**_summary(series), "created": done["created"],
                        "changed": done["changed"], "published": done["published"],
                        "withdrawn": done["withdrawn"]})
    return done


def series_sessions(series_id: int) -> list[Session]:
    """Every session of a series, past and future, in time order."""
    return db.session.scalars(
        select(Session).where(Session.series_id == series_id).order_by(Session.start_dt)
    ).all()


def plan_of(series: SessionSeries) -> SeriesPlan:
    """The series as a plan again (what the edit form starts from)."""
    overrides = {date.fromisoformat(d): what for d, what in (series.overrides or {}).items()}
    return SeriesPlan(
        venue_id=series.venue_id, kind=series.kind, expert_ids=list(series.expert_ids),
        first_day=series.first_day, last_day=series.last_day, start=series.start_time,
        end=series.end_time, rule=series.rule, specialty_id=series.specialty_id,
        title=series.title, audience=series.audience, slot_minutes=series.slot_minutes or 30,
        per_slot=series.per_slot or 5, seats=series.seats, skip_holidays=series.skip_holidays,
        skip_dates=tuple(sorted(d for d, w in overrides.items() if w == workdays.SKIP)),
        hold_dates=tuple(sorted(d for d, w in overrides.items() if w == workdays.HOLD)),
    )


# --- the dates ---------------------------------------------------------------------------


def _rule(plan: SeriesPlan) -> str:
    if plan.weekdays:
        if not set(plan.weekdays) <= set(range(7)):
            raise PlanError(_("请选择星期几"), field="weekdays")
        days = ",".join(RRULE_DAYS[d] for d in sorted(set(plan.weekdays)))
        return f"FREQ=WEEKLY;BYDAY={days}"
    rule = plan.rule.strip().upper().removeprefix("RRULE:")
    if not rule:
        raise PlanError(_("请选择星期几，或填写重复规则"), field="weekdays")
    parts = dict(p.partition("=")[::2] for p in rule.split(";") if p)
    if parts.get("FREQ") not in FREQUENCIES or {"BYHOUR", "BYMINUTE", "BYSECOND"} & set(parts):
        raise PlanError(_("重复规则只能按天、周、月或年重复，例如 FREQ=WEEKLY;BYDAY=TU"),
                        field="rule")
    return rule


def _dates(plan: SeriesPlan) -> _Dates:
    if plan.end <= plan.start:
        raise PlanError(_("结束时间必须晚于开始时间（同一天内）"), field="end")
    rule = _rule(plan)
    last_day = plan.last_day
    try:
        if last_day is None:
            last_day = _last_day(plan, rule)
        pattern = workdays.rule_dates(rule, plan.first_day, last_day)
    except ValueError as error:
        raise PlanError(_("看不懂这个重复规则：%(rule)s", rule=rule), field="rule") from error
    if last_day < plan.first_day:
        raise PlanError(_("结束日期不能早于第一天"), field="last_day")
    if (last_day - plan.first_day).days > MAX_SPAN_DAYS or len(pattern) > MAX_OCCURRENCES:
        raise PlanError(_("一个系列最多 %(n)s 场、跨度不超过一年多；请分成几个系列",
                          n=MAX_OCCURRENCES), field="last_day")
    overrides = _overrides(plan, plan.first_day, last_day)
    held, skipped = workdays.series_dates(rule, plan.first_day, last_day,
                                          skip_holidays=plan.skip_holidays, overrides=overrides)
    if not held:
        raise PlanError(_("按这个规则，起止日期之间没有任何一场"), field="first_day")
    return _Dates(rule, plan.first_day, last_day, held, skipped, overrides)


def _last_day(plan: SeriesPlan, rule: str) -> date:
    """The end of a series given by a count (or by the rule's own UNTIL / COUNT)."""
    if plan.count is not None:
        if not 1 <= plan.count <= MAX_OCCURRENCES:
            raise PlanError(_("次数应为 1 到 %(n)s", n=MAX_OCCURRENCES), field="count")
        rule = ";".join(p for p in rule.split(";") if not p.startswith(("COUNT=", "UNTIL=")))
        rule = f"{rule};COUNT={plan.count}"
    elif "COUNT=" not in rule and "UNTIL=" not in rule:
        raise PlanError(_("请填写最后一天或次数"), field="last_day")
    far = date.fromordinal(plan.first_day.toordinal() + MAX_SPAN_DAYS + 1)
    found = workdays.rule_dates(rule, plan.first_day, far)
    if not found:
        raise PlanError(_("按这个规则，起止日期之间没有任何一场"), field="first_day")
    return found[-1]


def _overrides(plan: SeriesPlan, first_day: date, last_day: date) -> dict[date, str]:
    overrides = {d: workdays.HOLD for d in plan.hold_dates}
    for day in plan.skip_dates:
        if day in overrides:
            raise PlanError(_("%(day)s 不能既跳过又保留", day=day.isoformat()),
                            field="skip_dates")
        overrides[day] = workdays.SKIP
    outside = sorted(d.isoformat() for d in overrides if not first_day <= d <= last_day)
    if outside:
        raise PlanError(_("这些日期不在系列的起止日期之内：%(days)s", days="、".join(outside)),
                        field="hold_dates")
    return dict(sorted(overrides.items()))


def _check_free(plan: SeriesPlan, days: list[date], expert_ids: list[int], venue_id: int,
                *, exclude: tuple[int, ...]) -> None:
    lines, clashing = [], []
    for day in days:
        try:
            check_experts_free(expert_ids, local_to_utc(day, plan.start),
                               local_to_utc(day, plan.end), venue_id, exclude_session_ids=exclude)
        except ClashError as error:
            clashing.append(day)
            lines += error.lines
    if clashing:
        head = _("这些日期专家没有空：%(days)s。可以把它们填进“跳过的日期”，或换个时间。",
                 days="、".join(d.isoformat() for d in clashing))
        raise SeriesClashError([head, *lines], clashing)


# --- the rows ----------------------------------------------------------------------------


def _apply(series: SessionSeries, plan: SeriesPlan, dates: _Dates, venue_id: int,
           expert_ids: list[int], specialty_id: int, title: str, now: datetime) -> None:
    series.kind, series.audience, series.title = plan.kind, plan.audience, title
    series.venue_id, series.specialty_id, series.expert_ids = venue_id, specialty_id, expert_ids
    series.rule, series.first_day, series.last_day = dates.rule, dates.first_day, dates.last_day
    series.start_time, series.end_time = plan.start, plan.end
    series.slot_minutes, series.per_slot, series.seats = (
        plan.slot_minutes, plan.per_slot, plan.seats)
    series.skip_holidays = plan.skip_holidays
    series.overrides = {d.isoformat(): what for d, what in dates.overrides.items()}
    series.updated_dt = now


def _new_session(series: SessionSeries, plan: SeriesPlan, day: date, experts,
                 now: datetime) -> Session:
    start_dt, end_dt = local_to_utc(day, plan.start), local_to_utc(day, plan.end)
    return Session(
        kind=series.kind, status=plan.status, audience=series.audience, title=series.title,
        venue_id=series.venue_id, specialty_id=series.specialty_id, start_dt=start_dt,
        end_dt=end_dt, experts=list(experts), slots=build_slots(plan, start_dt, end_dt),
        series_id=series.id, created_dt=now, updated_dt=now,
    )


def _publish_draft(session: Session, now: datetime) -> bool:
    """A draft occurrence published with its series (unless stopped meanwhile)."""
    if session.status != SessionStatus.DRAFT:
        return False
    return db.session.execute(
        update(Session).where(Session.id == session.id, Session.status == SessionStatus.DRAFT)
        .values(status=SessionStatus.PUBLISHED, updated_dt=now)).rowcount == 1


def _withdraw(session: Session, now: datetime) -> None:
    """A future date that left the series."""
    day = to_local(session.start_dt).date().isoformat()
    if any(s.booked_count for s in session.slots):
        raise PlanError(_("%(day)s 的场次已有人预约，不能从系列中去掉；请先单独停诊这一场。",
                          day=day), field="weekdays")
    if session.status == SessionStatus.DRAFT and session.last_queue_number == 0:
        db.session.delete(session)
        return
    session.status, session.stop_reason, session.stopped_dt = (
        SessionStatus.STOPPED, WITHDRAWN_REASON, now)
    session.sequence += 1
    session.updated_dt = now


def _summary(series: SessionSeries) -> dict:
    return {
        "kind": series.kind.value, "venue_id": series.venue_id,
        "expert_ids": list(series.expert_ids), "rule": series.rule,
        "first_day": series.first_day.isoformat(), "last_day": series.last_day.isoformat(),
        "start": series.start_time.isoformat("minutes"),
        "end": series.end_time.isoformat("minutes"),
        "skip_holidays": series.skip_holidays, "overrides": dict(series.overrides or {}),
    }

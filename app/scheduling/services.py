"""Planning sessions: a coordinator's (or admin's, or assistant's) one-off session.

What a one-off session and a recurring series share lives here too: checking the
venue, experts, specialty and title of a plan, building the slots, and refusing a
time at which an expert is not free (``app.scheduling.conflicts``).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.models import User
from app.core import audit
from app.core.db import restart_as_write
from app.core.errors import DomainError
from app.core.formatting import short_datetime
from app.core.time import local_to_utc, to_local
from app.directory.models import Expert, Specialty, Venue
from app.extensions import db
from app.scheduling import workdays
from app.scheduling.conflicts import Conflict, find_conflicts, travel_times
from app.scheduling.models import (
    Audience,
    Proposal,
    ProposalStatus,
    Session,
    SessionKind,
    SessionSeries,
    SessionStatus,
    Slot,
)

TITLED_KINDS = (SessionKind.LECTURE, SessionKind.FORUM)
SEATED_KINDS = (SessionKind.LECTURE, SessionKind.FORUM, SessionKind.TEACHING)
MIN_SLOT_MINUTES, MAX_SLOT_MINUTES = 5, 240
MAX_PER_SLOT = 100
MAX_SEATS = 5000


class PlanError(DomainError):
    """A session plan was refused; ``field`` names the form field at fault, if one is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class ClashError(PlanError):
    """An expert is not free at the planned time; ``conflicts`` lists every clash."""

    code = "clash"
    status = 409

    def __init__(self, lines: list[str], conflicts: list[Conflict]):
        super().__init__("；".join(lines), field="experts")
        self.lines = lines  # one per clash, for a form to list
        self.conflicts = conflicts


@dataclass(frozen=True)
class SessionPlan:
    """What the planner asked for, in local wall-clock time."""

    venue_id: int
    kind: SessionKind
    expert_ids: list[int]
    day: date
    start: time
    end: time
    specialty_id: int | None = None
    title: str = ""
    description: str = ""
    audience: Audience = Audience.PUBLIC
    slot_minutes: int = 30  # clinics
    per_slot: int = 5  # clinics
    seats: int | None = None  # lectures, forums, teaching visits
    status: SessionStatus = SessionStatus.DRAFT
    # Clinics: places of each slot kept for referred patients (转诊号), released to the
    # public ``referral_hours`` before the session starts.
    referral_places: int = 0
    referral_hours: int = 24


def create_session(plan: SessionPlan, *, by: User, now: datetime) -> Session:
    """Create a one-off session with its slots: a clinic gets ``slot_minutes`` slots of
    ``per_slot`` patients covering it exactly, a lecture, forum or teaching visit one
    slot of ``seats``, a surgery or ward round none. Lectures and forums need a title;
    the specialty defaults to the first expert's. Sessions in the past are refused, and
    so is a time at which an expert is not free (see ``check_experts_free``).
    Saved as a draft or published at once; audited. The caller commits."""
    restart_as_write(db.session)
    if plan.status not in (SessionStatus.DRAFT, SessionStatus.PUBLISHED):
        raise PlanError(_("新场次只能保存为草稿或直接发布"), field="status")
    venue, experts, specialty_id, title = resolve_plan(plan)
    start_dt, end_dt = plan_times(plan, now=now)
    slots = build_slots(plan, start_dt, end_dt)
    check_experts_free([e.id for e in experts], start_dt, end_dt, venue.id)
    session = Session(
        kind=plan.kind, status=plan.status, audience=plan.audience, title=title,
        description=plan.description.strip(), venue_id=venue.id, specialty_id=specialty_id,
        start_dt=start_dt, end_dt=end_dt, experts=experts, slots=slots,
        created_dt=now, updated_dt=now,
    )
    db.session.add(session)
    db.session.flush()
    audit.record("session.create", session, actor_id=by.id, now=now, after={
        "kind": plan.kind.value, "status": plan.status.value, "venue_id": venue.id,
        "expert_ids": [e.id for e in experts], "start_dt": start_dt.isoformat(),
        "end_dt": end_dt.isoformat(), "slots": len(session.slots),
        "capacity": sum(s.capacity for s in session.slots),
    })
    return session


def plan_of_session(session: Session) -> SessionPlan:
    """The plan that would make ``session`` as it is now (the start of a partial edit)."""
    start, end = to_local(session.start_dt), to_local(session.end_dt)
    slots = session.slots
    clinic = session.kind.has_public_slots and session.kind not in SEATED_KINDS and slots
    return SessionPlan(
        venue_id=session.venue_id, kind=session.kind, expert_ids=[e.id for e in session.experts],
        day=start.date(), start=start.time(), end=end.time(), specialty_id=session.specialty_id,
        title=session.title, description=session.description, audience=session.audience,
        slot_minutes=int((slots[0].end_dt - slots[0].start_dt).total_seconds() // 60)
        if clinic else 30,
        per_slot=slots[0].capacity if clinic else 5,
        seats=slots[0].capacity if session.kind in SEATED_KINDS and slots else None,
        status=session.status,
        # Its referral places, kept relative to its start when it moves.
        referral_places=slots[0].reserved if clinic else 0,
        referral_hours=int((session.start_dt - slots[0].reserved_until).total_seconds()
                           // 3600) if clinic and slots[0].reserved_until else 24,
    )


class Reshaped(NamedTuple):
    """What changing a session did: ``changed``, anything; ``moved``, what its booked
    patients must hear of — the time of a slot, the place or the experts (a new
    capacity, title or description is not news to them)."""

    changed: bool
    moved: bool


def update_session(session: Session, plan: SessionPlan, *, by: User,
                   now: datetime) -> Reshaped:
    """Change a draft or published session that has not started to ``plan``, by the
    rules of planning one (venue, experts free, slots, title). A booked session keeps
    its slots, moved in place, and never below what is booked (``reshape_session``).
    The caller tells booked patients when it ``moved``
    (``app.bookings.services.stopping.sessions_moved``). Audited. The caller commits."""
    session_id = session.id
    restart_as_write(db.session)
    session = db.session.get(Session, session_id)
    if session.status not in (SessionStatus.DRAFT, SessionStatus.PUBLISHED):
        raise PlanError(_("只能修改草稿或已发布的场次"), field="status")
    if session.start_dt <= now:
        raise PlanError(_("不能修改已经开始或已经过去的场次"), field="day")
    venue, experts, specialty_id, title = resolve_plan(plan)
    start_dt, end_dt = plan_times(plan, now=now)
    check_experts_free([e.id for e in experts], start_dt, end_dt, venue.id,
                       exclude_session_ids=(session.id,))
    before = _audit_state(session)
    reshaped = reshape_session(session, plan, plan.day, venue.id, experts, specialty_id,
                               title, now)
    if session.description != plan.description.strip():
        session.description, session.updated_dt = plan.description.strip(), now
        reshaped = reshaped._replace(changed=True)
    db.session.flush()
    if reshaped.changed:
        audit.record("session.update", session, actor_id=by.id, now=now, before=before,
                     after=_audit_state(session))
    return reshaped


def discard_draft(session: Session, *, by: User, now: datetime) -> None:
    """Delete a draft nobody needs: it was never public and nobody booked it. An
    occurrence of a series becomes one of the series' skipped dates (a later edit of
    the series does not plan it again); a proposal planned into it is open again.
    Audited. The caller commits."""
    session_id = session.id
    restart_as_write(db.session)
    session = db.session.get(Session, session_id)
    if session is None or session.status != SessionStatus.DRAFT or session.last_queue_number:
        raise PlanError(_("只有草稿可以删除；已发布的场次请用停诊"), field="status")
    if session.series_id is not None:
        series = db.session.get(SessionSeries, session.series_id)
        day = to_local(session.start_dt).date().isoformat()
        series.overrides = {**(series.overrides or {}), day: workdays.SKIP}
    db.session.execute(update(Proposal).where(Proposal.session_id == session_id)
                       .values(status=ProposalStatus.OPEN, session_id=None, updated_dt=now))
    audit.record("session.discard", session, actor_id=by.id, now=now,
                 before=_audit_state(session))
    db.session.delete(session)
    db.session.flush()


def _audit_state(session: Session) -> dict:
    return {"kind": session.kind.value, "venue_id": session.venue_id,
            "expert_ids": [e.id for e in session.experts], "title": session.title,
            "start_dt": session.start_dt.isoformat(), "end_dt": session.end_dt.isoformat(),
            "slots": [[s.start_dt.isoformat(), s.capacity] for s in session.slots]}


def reshape_session(session: Session, plan, day: date, venue_id: int, experts,
                    specialty_id: int, title: str, now: datetime) -> Reshaped:
    """Bring a future session (a one-off, or an occurrence of a series) in line with
    ``plan`` on local ``day``; what changed."""
    start_dt, end_dt = local_to_utc(day, plan.start), local_to_utc(day, plan.end)
    new_slots = build_slots(plan, start_dt, end_dt)
    before, where_before = _state(session), _whereabouts(session)
    if session.last_queue_number == 0:  # never booked: nothing refers to its slots
        if [(s.start_dt, s.end_dt, s.capacity, s.reserved, s.reserved_until)
                for s in session.slots] != [
                (s.start_dt, s.end_dt, s.capacity, s.reserved or 0, s.reserved_until)
                for s in new_slots]:
            session.slots = new_slots
        session.kind, session.venue_id = plan.kind, venue_id
    else:
        _map_slots(session, new_slots, day, plan.kind, venue_id)
    session.start_dt, session.end_dt = start_dt, end_dt
    session.experts, session.specialty_id = list(experts), specialty_id
    session.title, session.audience = title, plan.audience
    if _state(session) == before:
        return Reshaped(changed=False, moved=False)
    session.sequence += 1
    session.updated_dt = now
    return Reshaped(changed=True, moved=_whereabouts(session) != where_before)


def _map_slots(session: Session, new_slots, day: date, kind: SessionKind,
               venue_id: int) -> None:
    """A booked session keeps its slots (bookings refer to them): move them in place."""
    old = session.slots
    fits = (kind == session.kind and venue_id == session.venue_id
            and len(old) == len(new_slots)
            and all(n.capacity >= o.booked_count for o, n in zip(old, new_slots, strict=True)))
    if not fits:
        raise PlanError(_("%(day)s 的场次已有人预约，新的安排（地点、类型或时段）和原有的号对不上，"
                          "不能修改。请保持时段数和地点不变，或先单独停诊这一场。",
                          day=day.isoformat()), field="start")
    for slot, new in zip(old, new_slots, strict=True):
        slot.start_dt, slot.end_dt, slot.capacity = new.start_dt, new.end_dt, new.capacity
        # Referral places move with the session; those referred already stay kept.
        slot.reserved = min(max(new.reserved or 0, slot.referred_count), new.capacity)
        slot.reserved_until = new.reserved_until if slot.reserved else None


def _state(session: Session) -> tuple:
    return (session.kind, session.venue_id, session.start_dt, session.end_dt,
            session.title, session.audience, session.specialty_id,
            tuple(e.id for e in session.experts),
            tuple((s.start_dt, s.end_dt, s.capacity, s.reserved, s.reserved_until)
                  for s in session.slots))


def _whereabouts(session: Session) -> tuple:
    """Where, when and with whom a booked patient is seen."""
    return (session.venue_id, tuple(e.id for e in session.experts),
            tuple((s.start_dt, s.end_dt) for s in session.slots))


def plan_times(plan, *, now: datetime) -> tuple[datetime, datetime]:
    """The plan's start and end in UTC: on one day, in that order, not in the past."""
    start_dt, end_dt = local_to_utc(plan.day, plan.start), local_to_utc(plan.day, plan.end)
    if end_dt <= start_dt:
        raise PlanError(_("结束时间必须晚于开始时间（同一天内）"), field="end")
    if start_dt <= now:
        raise PlanError(_("不能安排已经开始或已经过去的场次"), field="day")
    return start_dt, end_dt


def resolve_plan(plan) -> tuple[Venue, list[Expert], int, str]:
    """Check what a session plan and a series plan share (anything with ``venue_id``,
    ``expert_ids``, ``specialty_id``, ``kind`` and ``title``): the venue, the enabled
    experts in the order chosen, the specialty (default: the first expert's) and the
    title that lectures and forums need."""
    venue = db.session.get(Venue, plan.venue_id)
    if venue is None or not venue.is_enabled:  # retired: out of new plans
        raise PlanError(_("找不到这个地点"), field="venue")
    experts = _experts(plan.expert_ids)
    specialty_id = _specialty_id(plan, experts)
    title = plan.title.strip()
    if plan.kind in TITLED_KINDS and not title:
        raise PlanError(_("讲座和讲坛需要填写标题"), field="title")
    return venue, experts, specialty_id, title


def check_experts_free(expert_ids: list[int], start_dt: datetime, end_dt: datetime,
                       venue_id: int, *, exclude_session_ids: tuple[int, ...] = ()) -> None:
    """Refuse a time at which an expert is not free (SPEC §4): another of their draft or
    published sessions overlaps it, or is at a venue in a different township and leaves
    less than the travel time between the two townships (the admin's table, else
    ``TRAVEL_MINUTES``), or a busy time from their own calendar overlaps it. The message
    names every clash: who, when, what and why."""
    conflicts = find_conflicts(expert_ids, start_dt, end_dt, venue_id, travel=travel_times(),
                               exclude_session_ids=exclude_session_ids)
    if conflicts:
        raise ClashError([clash_message(c) for c in conflicts], conflicts)


def clash_message(conflict: Conflict) -> str:
    """One clash for people: '张医生 12月3日 08:00–11:30 已有安排：… （时间重叠）'."""
    when = f"{short_datetime(conflict.start_dt)}–{to_local(conflict.end_dt):%H:%M}"
    if conflict.session_id is None:
        return _("%(expert)s %(when)s 在个人日程中已有安排：%(what)s（时间重叠）",
                 expert=conflict.expert_name, when=when, what=conflict.what or _("忙碌"))
    if conflict.reason == "overlap":
        return _("%(expert)s %(when)s 已有安排：%(what)s（时间重叠）",
                 expert=conflict.expert_name, when=when, what=conflict.what)
    return _("%(expert)s %(when)s 在另一个乡镇有安排：%(what)s（两地之间至少要留 %(n)s 分钟路程）",
             expert=conflict.expert_name, when=when, what=conflict.what,
             n=conflict.travel_minutes)


def _experts(expert_ids: list[int]) -> list[Expert]:
    if not expert_ids:
        raise PlanError(_("请至少选择一位专家"), field="experts")
    found = {e.id: e for e in db.session.scalars(
        select(Expert).where(Expert.id.in_(expert_ids), Expert.is_enabled))}
    if len(found) != len(set(expert_ids)):
        raise PlanError(_("找不到所选的专家"), field="experts")
    return [found[i] for i in dict.fromkeys(expert_ids)]


def _specialty_id(plan: SessionPlan, experts: list[Expert]) -> int:
    if plan.specialty_id is None:
        return experts[0].specialty_id
    specialty = db.session.get(Specialty, plan.specialty_id)
    if specialty is None or not specialty.is_enabled:
        raise PlanError(_("找不到这个科室"), field="specialty")
    return plan.specialty_id


MIN_REFERRAL_HOURS, MAX_REFERRAL_HOURS = 1, 14 * 24


def build_slots(plan, start_dt: datetime, end_dt: datetime) -> list[Slot]:
    """The slots of one session (or one occurrence of a series): ``plan`` is anything
    with ``kind``, ``slot_minutes``, ``per_slot`` and ``seats``."""
    if not plan.kind.has_public_slots:
        return []
    if plan.kind in SEATED_KINDS:
        if not plan.seats or not 1 <= plan.seats <= MAX_SEATS:
            raise PlanError(_("请填写座位数（1 到 %(n)s）", n=MAX_SEATS), field="seats")
        return [Slot(start_dt=start_dt, end_dt=end_dt, capacity=plan.seats)]
    return _clinic_slots(plan, start_dt, end_dt)


def _clinic_slots(plan, start_dt: datetime, end_dt: datetime) -> list[Slot]:
    minutes = plan.slot_minutes
    if not MIN_SLOT_MINUTES <= minutes <= MAX_SLOT_MINUTES:
        raise PlanError(_("每个时段应为 %(a)s 到 %(b)s 分钟", a=MIN_SLOT_MINUTES,
                          b=MAX_SLOT_MINUTES), field="slot_minutes")
    if not 1 <= plan.per_slot <= MAX_PER_SLOT:
        raise PlanError(_("每个时段人数应为 1 到 %(n)s", n=MAX_PER_SLOT), field="per_slot")
    total = int((end_dt - start_dt).total_seconds() // 60)
    if total % minutes:
        raise PlanError(
            _("开诊时长 %(total)s 分钟不能平均分成每段 %(m)s 分钟，请调整时间或时段长度",
              total=total, m=minutes), field="slot_minutes")
    reserved = getattr(plan, "referral_places", 0) or 0
    if not 0 <= reserved <= plan.per_slot:
        raise PlanError(_("每个时段的转诊号应为 0 到 %(n)s 个", n=plan.per_slot),
                        field="referral_places")
    hours = getattr(plan, "referral_hours", 24)
    if reserved and not MIN_REFERRAL_HOURS <= hours <= MAX_REFERRAL_HOURS:
        raise PlanError(_("转诊号应在开诊前 %(a)s 到 %(b)s 小时放出", a=MIN_REFERRAL_HOURS,
                          b=MAX_REFERRAL_HOURS), field="referral_hours")
    until = start_dt - timedelta(hours=hours) if reserved else None
    step = timedelta(minutes=minutes)
    return [
        Slot(start_dt=start_dt + i * step, end_dt=start_dt + (i + 1) * step,
             capacity=plan.per_slot, reserved=reserved, reserved_until=until)
        for i in range(total // minutes)
    ]

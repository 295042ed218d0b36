"""Planning sessions: a coordinator's (or admin's, or assistant's) one-off session.

Checking an expert for overlapping sessions (with travel time) is a later issue.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import audit
from app.core.db import restart_as_write
from app.core.errors import DomainError
from app.core.time import local_to_utc
from app.directory.models import Expert, Specialty, Venue
from app.extensions import db
from app.scheduling.models import Audience, Session, SessionKind, SessionStatus, Slot

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


def create_session(plan: SessionPlan, *, by: User, now: datetime) -> Session:
    """Create a one-off session with its slots: a clinic gets ``slot_minutes`` slots of
    ``per_slot`` patients covering it exactly, a lecture, forum or teaching visit one
    slot of ``seats``, a surgery or ward round none. Lectures and forums need a title;
    the specialty defaults to the first expert's. Sessions in the past are refused.
    Saved as a draft or published at once; audited. The caller commits."""
    restart_as_write(db.session)
    if plan.status not in (SessionStatus.DRAFT, SessionStatus.PUBLISHED):
        raise PlanError(_("新场次只能保存为草稿或直接发布"), field="status")
    venue = db.session.get(Venue, plan.venue_id)
    if venue is None:
        raise PlanError(_("找不到这个地点"), field="venue")
    experts = _experts(plan.expert_ids)
    specialty_id = _specialty_id(plan, experts)
    title = plan.title.strip()
    if plan.kind in TITLED_KINDS and not title:
        raise PlanError(_("讲座和讲坛需要填写标题"), field="title")
    start_dt, end_dt = local_to_utc(plan.day, plan.start), local_to_utc(plan.day, plan.end)
    if end_dt <= start_dt:
        raise PlanError(_("结束时间必须晚于开始时间（同一天内）"), field="end")
    if start_dt <= now:
        raise PlanError(_("不能安排已经开始或已经过去的场次"), field="day")
    session = Session(
        kind=plan.kind, status=plan.status, audience=plan.audience, title=title,
        description=plan.description.strip(), venue_id=venue.id, specialty_id=specialty_id,
        start_dt=start_dt, end_dt=end_dt, experts=experts, slots=_slots(plan, start_dt, end_dt),
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
    if db.session.get(Specialty, plan.specialty_id) is None:
        raise PlanError(_("找不到这个科室"), field="specialty")
    return plan.specialty_id


def _slots(plan: SessionPlan, start_dt: datetime, end_dt: datetime) -> list[Slot]:
    if not plan.kind.has_public_slots:
        return []
    if plan.kind in SEATED_KINDS:
        if not plan.seats or not 1 <= plan.seats <= MAX_SEATS:
            raise PlanError(_("请填写座位数（1 到 %(n)s）", n=MAX_SEATS), field="seats")
        return [Slot(start_dt=start_dt, end_dt=end_dt, capacity=plan.seats)]
    return _clinic_slots(plan, start_dt, end_dt)


def _clinic_slots(plan: SessionPlan, start_dt: datetime, end_dt: datetime) -> list[Slot]:
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
    step = timedelta(minutes=minutes)
    return [
        Slot(start_dt=start_dt + i * step, end_dt=start_dt + (i + 1) * step,
             capacity=plan.per_slot)
        for i in range(total // minutes)
    ]

"""Planning sessions: a coordinator's (or admin's, or assistant's) one-off session.

What a one-off session and a recurring series share lives here too: checking the
venue, experts, specialty and title of a plan, building the slots, and refusing a
time at which an expert is not free (``app.scheduling.conflicts``).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.core import audit
from app.core.db import restart_as_write
from app.core.errors import DomainError
from app.core.formatting import short_datetime
from app.core.time import local_to_utc, to_local
from app.directory.models import Expert, Specialty, Venue
from app.extensions import db
from app.scheduling.conflicts import Conflict, find_conflicts, travel_minutes
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


class ClashError(PlanError):
    """An expert is not free at the planned time; ``conflicts`` lists every clash."""

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
    start_dt, end_dt = local_to_utc(plan.day, plan.start), local_to_utc(plan.day, plan.end)
    if end_dt <= start_dt:
        raise PlanError(_("结束时间必须晚于开始时间（同一天内）"), field="end")
    if start_dt <= now:
        raise PlanError(_("不能安排已经开始或已经过去的场次"), field="day")
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


def resolve_plan(plan) -> tuple[Venue, list[Expert], int, str]:
    """Check what a session plan and a series plan share (anything with ``venue_id``,
    ``expert_ids``, ``specialty_id``, ``kind`` and ``title``): the venue, the enabled
    experts in the order chosen, the specialty (default: the first expert's) and the
    title that lectures and forums need."""
    venue = db.session.get(Venue, plan.venue_id)
    if venue is None:
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
    less than ``TRAVEL_MINUTES`` between them, or a busy time from their own calendar
    overlaps it. The message names every clash: who, when, what and why."""
    travel = travel_minutes()
    conflicts = find_conflicts(expert_ids, start_dt, end_dt, venue_id, travel_minutes=travel,
                               exclude_session_ids=exclude_session_ids)
    if conflicts:
        raise ClashError([clash_message(c, travel) for c in conflicts], conflicts)


def clash_message(conflict: Conflict, travel: int) -> str:
    """One clash for people: '张医生 12月3日 08:00–11:30 已有安排：… （时间重叠）'."""
    when = f"{short_datetime(conflict.start_dt)}–{to_local(conflict.end_dt):%H:%M}"
    if conflict.session_id is None:
        return _("%(expert)s %(when)s 在个人日程中已有安排：%(what)s（时间重叠）",
                 expert=conflict.expert_name, when=when, what=conflict.what or _("忙碌"))
    if conflict.reason == "overlap":
        return _("%(expert)s %(when)s 已有安排：%(what)s（时间重叠）",
                 expert=conflict.expert_name, when=when, what=conflict.what)
    return _("%(expert)s %(when)s 在另一个乡镇有安排：%(what)s（两地之间至少要留 %(n)s 分钟路程）",
             expert=conflict.expert_name, when=when, what=conflict.what, n=travel)


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
    step = timedelta(minutes=minutes)
    return [
        Slot(start_dt=start_dt + i * step, end_dt=start_dt + (i + 1) * step,
             capacity=plan.per_slot)
        for i in range(total // minutes)
    ]

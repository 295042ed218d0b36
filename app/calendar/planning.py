"""How an imported occurrence becomes a planned session: its expert (``X-XQ-EXPERT``
or the default), its kind, its slots, and its clashes — with another event of the same
file, and with the experts' sessions and busy times in the database. Plain values in
and out, so the import's write phase has nothing to reload."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import User
from app.calendar.icsread import Occurrence, Problem
from app.core.coerce import digits, id_or_none
from app.core.time import FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY, to_local
from app.directory.models import Expert
from app.extensions import db
from app.scheduling.conflicts import find_conflicts_many, travel_times
from app.scheduling.models import SessionKind, Slot
from app.scheduling.services import (
    SEATED_KINDS,
    TITLED_KINDS,
    PlanError,
    build_slots,
    clash_message,
)

SLOT_MINUTES, PER_SLOT = 30, 5
PHONE = re.compile(r"^1[3-9]\d{9}$")
KIND_NAMES = {
    "门诊": SessionKind.CLINIC, "坐诊": SessionKind.CLINIC, "专家门诊": SessionKind.CLINIC,
    "查房": SessionKind.WARD_ROUND, "手术": SessionKind.SURGERY, "讲座": SessionKind.LECTURE,
    "讲坛": SessionKind.FORUM, "渌江讲坛": SessionKind.FORUM, "送教": SessionKind.TEACHING,
}


class ExpertFacts(NamedTuple):
    """What a session needs of its expert, read once (no model to reload)."""

    id: int
    name: str
    specialty_id: int


@dataclass
class Planned:
    """One session to write, in plain values."""

    occ: Occurrence
    expert: ExpertFacts
    kind: SessionKind
    slots: list[tuple[datetime, datetime, int]]  # start, end, capacity


class ExpertFinder:
    """An event's expert: ``X-XQ-EXPERT`` as an id or an expert's phone, else the default."""

    def __init__(self, default_id: int | None):
        self.default_id = default_id
        self.cache: dict[str, ExpertFacts | None] = {}

    def __call__(self, key: str | None) -> ExpertFacts:
        key = (key or "").replace(" ", "").replace("-", "")
        if not key:
            if self.default_id is None:
                raise PlanError(_("没有指定专家（X-XQ-EXPERT 或 expert 列），也没有选择默认专家"))
            key = str(self.default_id)
        if key not in self.cache:
            query = select(Expert.id, Expert.name, Expert.specialty_id).where(Expert.is_enabled)
            if PHONE.match(key):
                query = query.join(User, User.id == Expert.user_id).where(User.phone == key)
            elif digits(key):
                query = query.where(Expert.id == (id_or_none(key) or 0))
            else:
                raise PlanError(_("专家“%(key)s”应写专家编号或专家账号的手机号", key=key))
            row = db.session.execute(query).first()
            self.cache[key] = ExpertFacts(*row) if row else None
        if self.cache[key] is None:
            raise PlanError(_("找不到专家“%(key)s”（专家编号或手机号）", key=key))
        return self.cache[key]


class _SlotPlan:
    """What app.scheduling.services.build_slots reads from a plan."""

    def __init__(self, kind: SessionKind, per_slot: int, seats: int | None):
        self.kind, self.slot_minutes = kind, SLOT_MINUTES
        self.per_slot, self.seats = per_slot, seats


def plan_occurrence(occ: Occurrence, experts: ExpertFinder) -> Planned:
    """The session an occurrence asks for; PlanError names what is wrong with it."""
    if not FIRST_PLAUSIBLE_DAY <= to_local(occ.start_dt).date() <= LAST_PLAUSIBLE_DAY:
        raise PlanError(_("请填写 2000 年到 2100 年之间的日期"))
    expert = experts(occ.props.get("X-XQ-EXPERT"))
    kind = _kind(occ.props.get("X-XQ-KIND"))
    capacity = occ.props.get("X-XQ-CAPACITY")
    if capacity is not None and not digits(capacity):
        raise PlanError(_("人数/座位数“%(v)s”应为整数", v=capacity))
    number = int(capacity) if capacity else None
    if kind in TITLED_KINDS and not occ.summary:
        raise PlanError(_("讲座和讲坛需要标题"))
    if len(occ.summary) > 120:
        raise PlanError(_("标题超过 120 个字"))
    plan = _SlotPlan(kind, number or PER_SLOT, number if kind in SEATED_KINDS else None)
    return Planned(occ, expert, kind, _slots(plan, occ.start_dt, occ.end_dt))


def _kind(value: str | None) -> SessionKind:
    if not value:
        return SessionKind.CLINIC
    value = value.strip()
    if value.lower() in {kind.value for kind in SessionKind}:
        return SessionKind(value.lower())
    if value in KIND_NAMES:
        return KIND_NAMES[value]
    raise PlanError(_("不认识的类型“%(v)s”（可写 clinic、lecture、门诊、讲座等）", v=value))


def _slots(plan: _SlotPlan, start_dt: datetime,
           end_dt: datetime) -> list[tuple[datetime, datetime, int]]:
    """The planner's slots; times are taken as given, so a clinic whose time does not
    divide into whole slots gets a shorter last slot instead of a refusal."""
    if plan.kind in SEATED_KINDS or not plan.kind.has_public_slots:
        return _times(build_slots(plan, start_dt, end_dt))
    step = timedelta(minutes=plan.slot_minutes)
    whole = start_dt + ((end_dt - start_dt) // step) * step
    slots = _times(build_slots(plan, start_dt, whole)) if whole > start_dt else []
    if whole < end_dt:
        build_slots(plan, start_dt, start_dt + step)  # checks per_slot like the planner
        slots.append((whole, end_dt, plan.per_slot))
    return slots


def _times(slots: list[Slot]) -> list[tuple[datetime, datetime, int]]:
    return [(slot.start_dt, slot.end_dt, slot.capacity) for slot in slots]


def _holding(items: list[Planned]) -> list[Planned]:
    """The sessions that will hold their expert (not the cancelled ones), by expert."""
    return sorted((p for p in items if not p.occ.cancelled),
                  key=lambda p: (p.expert.id, p.occ.start_dt))


def clashes_in_file(items: list[Planned]) -> list[Problem]:
    holding = _holding(items)
    return [
        Problem(after.occ.line, after.occ.label, _(
            "%(expert)s 在文件中另一个日程（%(other)s，%(when)s）的同一时间",
            expert=after.expert.name, other=before.occ.label,
            when=_when(before.occ.start_dt, before.occ.end_dt)))
        for before, after in zip(holding, holding[1:], strict=False)
        if before.expert.id == after.expert.id and after.occ.start_dt < before.occ.end_dt]


def stored_clashes(items: list[Planned], venue_id: int) -> list[Problem]:
    """Clashes with the experts' sessions and busy times in the database (a few
    statements for the whole file)."""
    holding = _holding(items)
    found = find_conflicts_many([(p.expert.id, p.occ.start_dt, p.occ.end_dt) for p in holding],
                                venue_id, travel=travel_times())
    return [Problem(item.occ.line, item.occ.label, clash_message(clash))
            for item, clashes in zip(holding, found, strict=True) for clash in clashes]


def _when(start_dt: datetime, end_dt: datetime) -> str:
    return f"{to_local(start_dt):%Y-%m-%d %H:%M}–{to_local(end_dt):%H:%M}"

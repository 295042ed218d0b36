"""Planning a one-off session: slots, refusals, the audit entry."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.core.models import AuditEntry
from app.core.time import local_to_utc
from app.extensions import db as _db
from app.scheduling.models import SessionKind, SessionStatus
from app.scheduling.services import PlanError, SessionPlan, create_session
from tests.factories import (
    NOW,
    TODAY,
    create_expert,
    create_specialty,
    create_user,
    create_venue,
)

DAY = TODAY + timedelta(days=2)


def _create(plan: SessionPlan, *, by, now):
    """The service ends the caller's reads (it restarts as a write), so commit the setup."""
    _db.session.commit()
    return create_session(plan, by=by, now=now)


def _plan(**kw) -> SessionPlan:
    kw.setdefault("venue_id", create_venue().id)
    kw.setdefault("expert_ids", [create_expert().id])
    kw.setdefault("kind", SessionKind.CLINIC)
    kw.setdefault("day", DAY)
    kw.setdefault("start", time(8, 0))
    kw.setdefault("end", time(11, 30))
    return SessionPlan(**kw)


def _refusal(plan: SessionPlan) -> tuple[str | None, str]:
    with pytest.raises(PlanError) as info:
        _create(plan, by=create_user(), now=NOW)
    return info.value.field, info.value.message


def test_clinic_slots_cover_the_session_exactly(db):
    session = _create(_plan(start=time(14, 0), end=time(16, 0), slot_minutes=20,
                                   per_slot=3), by=create_user(), now=NOW)

    assert [(s.start_dt, s.capacity) for s in session.slots] == [
        (local_to_utc(DAY, time(14, 0)) + timedelta(minutes=20 * i), 3) for i in range(6)]
    assert session.slots[-1].end_dt == session.end_dt == local_to_utc(DAY, time(16, 0))


def test_surgery_and_ward_round_have_no_slots(db):
    for kind in (SessionKind.SURGERY, SessionKind.WARD_ROUND):
        assert _create(_plan(kind=kind), by=create_user(), now=NOW).slots == []


def test_teaching_visit_has_one_slot_of_its_seats_and_no_title_needed(db):
    session = _create(_plan(kind=SessionKind.TEACHING, seats=40), by=create_user(),
                             now=NOW)

    assert [s.capacity for s in session.slots] == [40]


def test_specialty_defaults_to_the_first_experts_and_can_be_chosen(db):
    first, second = create_expert(), create_expert()
    other = create_specialty()

    default = _create(_plan(expert_ids=[first.id, second.id]), by=create_user(), now=NOW)
    chosen = _create(_plan(expert_ids=[first.id], specialty_id=other.id,
                           day=DAY + timedelta(days=1)), by=create_user(), now=NOW)

    assert [e.id for e in default.experts] == [first.id, second.id]
    assert (default.specialty_id, chosen.specialty_id) == (first.specialty_id, other.id)


def test_audit_entry_records_the_creator(db):
    user = create_user()
    session = _create(_plan(status=SessionStatus.PUBLISHED), by=user, now=NOW)

    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_id == session.id))
    assert (entry.action, entry.actor_id, entry.created_dt, entry.after["status"]) == (
        "session.create", user.id, NOW, "published")


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"end": time(8, 0)}, "end", "结束时间必须晚于开始时间（同一天内）"),
    ({"day": TODAY, "start": time(8, 0)}, "day", "不能安排已经开始或已经过去的场次"),
    ({"end": time(11, 15)}, "slot_minutes",
     "开诊时长 195 分钟不能平均分成每段 30 分钟，请调整时间或时段长度"),
    ({"slot_minutes": 1}, "slot_minutes", "每个时段应为 5 到 240 分钟"),
    ({"per_slot": 0}, "per_slot", "每个时段人数应为 1 到 100"),
    ({"kind": SessionKind.LECTURE, "seats": 10}, "title", "讲座和讲坛需要填写标题"),
    ({"kind": SessionKind.LECTURE, "title": "讲座"}, "seats", "请填写座位数（1 到 5000）"),
    ({"expert_ids": []}, "experts", "请至少选择一位专家"),
    ({"expert_ids": [999999]}, "experts", "找不到所选的专家"),
    ({"venue_id": 999999}, "venue", "找不到这个地点"),
    ({"status": SessionStatus.STOPPED}, "status", "新场次只能保存为草稿或直接发布"),
])
def test_refusals_say_why(db, changes, field, message):
    assert _refusal(_plan(**changes)) == (field, message)

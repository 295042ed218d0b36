"""An expert is never in two places at once: overlaps, travel time between townships,
uploaded busy times (SPEC §4), as the planner meets them."""

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from app.core.time import local_to_utc
from app.extensions import db as _db
from app.scheduling.conflicts import find_conflicts, find_conflicts_many
from app.scheduling.models import ExpertBusy, Session, SessionKind, SessionStatus
from app.scheduling.services import ClashError, SessionPlan, create_session
from tests.factories import (
    NOW,
    TODAY,
    create_coordinator,
    create_expert,
    create_township,
    create_user,
    create_venue,
)
from tests.factories import create_session as create_existing
from tests.helpers import PASSWORD, csrf_token, login

DAY = TODAY + timedelta(days=2)  # Thursday 3 December 2026


@pytest.fixture
def world(db):
    """Expert 张医生 holds a clinic 08:00–11:30 at 浦口 (township A); venues: another in
    township A, one in township B."""
    here, there = create_township(), create_township()
    venue = create_venue(township=here, name="浦口镇卫生院")
    expert = create_expert(name="张医生")
    existing = create_existing(day=DAY, start=time(8, 0), hours=3.5, venue=venue,
                               experts=[expert], title="张医生门诊")
    return {
        "expert": expert, "existing": existing, "same_venue": venue,
        "same_township": create_venue(township=here),
        "other_township": create_venue(township=there),
    }


def _plan(venue, experts, start: time, end: time) -> SessionPlan:
    # Surgeries have no slots, so any length of time plans without slot arithmetic.
    return SessionPlan(venue_id=venue.id, kind=SessionKind.SURGERY,
                       expert_ids=[e.id for e in experts], day=DAY, start=start, end=end)


def _try(plan: SessionPlan):
    """Plan it; the refusal's messages, or [] when it was created."""
    _db.session.commit()
    try:
        create_session(plan, by=create_user(), now=NOW)
    except ClashError as error:
        _db.session.rollback()
        return error.lines
    return []


OVERLAP = "张医生 12月3日 08:00–11:30 已有安排：张医生门诊 · 浦口镇卫生院（时间重叠）"
TRAVEL = ("张医生 12月3日 08:00–11:30 在另一个乡镇有安排：张医生门诊 · 浦口镇卫生院"
          "（两地之间至少要留 30 分钟路程）")


@pytest.mark.parametrize(("where", "start", "end", "expected"), [
    ("same_venue", time(10, 0), time(12, 0), [OVERLAP]),
    ("same_venue", time(7, 0), time(8, 1), [OVERLAP]),
    ("other_township", time(9, 0), time(10, 0), [OVERLAP]),
    ("same_township", time(11, 30), time(13, 0), []),  # end-to-start, same township
    ("same_venue", time(6, 0), time(8, 0), []),  # start-to-end, same venue
    ("other_township", time(11, 50), time(13, 0), [TRAVEL]),  # 20 minutes to travel
    ("other_township", time(6, 0), time(7, 40), [TRAVEL]),  # 20 minutes, before
    ("other_township", time(12, 0), time(13, 0), []),  # 30 minutes: enough
    ("other_township", time(6, 0), time(7, 30), []),
])
def test_clash_rules(world, where, start, end, expected):
    assert _try(_plan(world[where], [world["expert"]], start, end)) == expected


@pytest.mark.parametrize("status", [SessionStatus.STOPPED, SessionStatus.COMPLETED])
def test_stopped_or_completed_session_does_not_hold_the_expert(world, status):
    world["existing"].status = status

    assert _try(_plan(world["same_venue"], [world["expert"]], time(9, 0), time(10, 0))) == []


def test_a_draft_holds_the_expert(world):
    world["existing"].status = SessionStatus.DRAFT

    assert _try(_plan(world["same_venue"], [world["expert"]], time(9, 0), time(10, 0))) == [
        OVERLAP]


BUSY = "张医生 12月3日 14:30–16:00 在个人日程中已有安排：省院会诊（时间重叠）"


@pytest.mark.parametrize(("start", "end", "expected"), [
    (time(14, 0), time(15, 0), [BUSY]),
    (time(16, 0), time(17, 0), []),  # a busy time has no place: no travel counted
    (time(13, 0), time(14, 30), []),
])
def test_uploaded_busy_time_holds_the_expert(world, start, end, expected):
    _db.session.add(ExpertBusy(expert_id=world["expert"].id, summary="省院会诊",
                               start_dt=local_to_utc(DAY, time(14, 30)),
                               end_dt=local_to_utc(DAY, time(16, 0))))

    assert _try(_plan(world["same_venue"], [world["expert"]], start, end)) == expected


def test_two_experts_only_the_busy_one_is_named(world):
    free = create_expert(name="李医生")
    before = _db.session.scalar(select(func.count(Session.id)))

    lines = _try(_plan(world["same_venue"], [free, world["expert"]], time(9, 0), time(10, 0)))

    assert lines == [OVERLAP]
    assert _db.session.scalar(select(func.count(Session.id))) == before


def test_travel_minutes_is_a_setting(world, app):
    app.config["TRAVEL_MINUTES"] = 60
    try:
        lines = _try(_plan(world["other_township"], [world["expert"]], time(12, 0),
                           time(13, 0)))
    finally:
        app.config["TRAVEL_MINUTES"] = 30

    assert lines == [TRAVEL.replace("30 分钟", "60 分钟")]


def test_find_conflicts_excludes_the_session_being_moved(world):
    existing = world["existing"]

    found = find_conflicts([world["expert"].id], existing.start_dt, existing.end_dt,
                           world["same_venue"].id, exclude_session_ids=(existing.id,))

    assert found == []


def test_the_planner_page_shows_the_clash(world, client):
    coordinator = create_coordinator(world["same_venue"], password=PASSWORD)
    _db.session.commit()
    assert login(client, coordinator.phone).status_code == 302
    token = csrf_token(client.get("/console/sessions/new").text)

    page = client.post("/console/sessions/new", data={
        "csrf_token": token, "venue": world["same_venue"].id, "kind": "surgery",
        "experts": [world["expert"].id], "day": DAY.isoformat(), "start": "09:00",
        "end": "10:00", "audience": "public", "status": "draft"})

    assert page.status_code == 200
    assert OVERLAP in page.text


WINDOWS = [(time(10, 0), time(12, 0)), (time(7, 0), time(8, 1)), (time(9, 0), time(10, 0)),
           (time(11, 30), time(13, 0)), (time(6, 0), time(8, 0)), (time(11, 50), time(13, 0)),
           (time(6, 0), time(7, 40)), (time(12, 0), time(13, 0)), (time(6, 0), time(7, 30)),
           (time(14, 0), time(15, 0)), (time(13, 0), time(14, 30)), (time(7, 0), time(17, 0))]


@pytest.mark.parametrize("where", ["same_venue", "same_township", "other_township"])
def test_many_plans_at_once_clash_as_each_alone(world, where):
    """An import checks its thousands of sessions in one go (``find_conflicts_many``);
    each plan gets what ``find_conflicts`` gives it alone: overlaps, travel, busy times,
    and nothing from another expert's sessions."""
    expert, other = world["expert"], create_expert(name="李医生")
    _db.session.add(ExpertBusy(expert_id=expert.id, summary="省院会诊",
                               start_dt=local_to_utc(DAY, time(14, 30)),
                               end_dt=local_to_utc(DAY, time(16, 0))))
    _db.session.flush()
    venue_id = world[where].id
    plans = [(who.id, local_to_utc(DAY, start), local_to_utc(DAY, end))
             for start, end in WINDOWS for who in (expert, other)]

    many = find_conflicts_many(plans, venue_id)

    alone = [find_conflicts([who], start, end, venue_id) for who, start, end in plans]
    assert many == alone
    assert sum(map(len, many)) >= 5  # the table does clash: overlaps, travel, busy

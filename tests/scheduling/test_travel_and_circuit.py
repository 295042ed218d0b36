"""Issue #17, item 5: the township × township travel-time table the admin keeps drives
the conflict check (TRAVEL_MINUTES for pairs not in it), and an expert's circuit shows
their week or month across every venue with the legs between sessions, clashes and
too-short legs marked."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.admin import travel
from app.admin.directory_import import ImportRefused
from app.core.models import AuditEntry
from app.directory.models import TravelTime
from app.extensions import db
from app.scheduling.models import SessionKind, SessionStatus
from app.scheduling.services import ClashError, SessionPlan, create_session
from tests.factories import (
    NOW,
    TODAY,
    create_admin,
    create_assistant,
    create_coordinator,
    create_expert,
    create_township,
    create_user,
    create_venue,
)
from tests.factories import create_session as create_existing
from tests.helpers import login_as, post_form

DAY = TODAY + timedelta(days=2)  # Thursday 3 December 2026


@pytest.fixture
def world(db):
    north, south, east = (create_township(name="大障镇"), create_township(name="嘉树乡"),
                          create_township(name="东富镇"))
    expert = create_expert(name="张医生")
    venues = {t.name: create_venue(township=t, name=f"{t.name}卫生院")
              for t in (north, south, east)}
    create_existing(day=DAY, start=time(8, 0), hours=2, venue=venues["大障镇"],
                    experts=[expert], title="张医生门诊")
    db.session.add(TravelTime(from_township_id=min(north.id, south.id),
                              to_township_id=max(north.id, south.id), minutes=90))
    db.session.commit()
    return {"expert": expert, "venues": venues, "north": north, "south": south,
            "east": east}


def _plan(world, where: str, start: time, end: time):
    db.session.commit()
    plan = SessionPlan(venue_id=world["venues"][where].id, kind=SessionKind.SURGERY,
                       expert_ids=[world["expert"].id], day=DAY, start=start, end=end)
    try:
        create_session(plan, by=create_user(), now=NOW)
    except ClashError as error:
        db.session.rollback()
        return error.lines
    db.session.rollback()
    return []


def test_the_table_drives_the_conflict_check(world):
    # 大障镇 → 嘉树乡 takes 90 minutes by the table: leaving 60 is a clash, 90 is not.
    lines = _plan(world, "嘉树乡", time(11, 0), time(12, 0))
    assert len(lines) == 1 and "两地之间至少要留 90 分钟路程" in lines[0]
    assert _plan(world, "嘉树乡", time(11, 30), time(12, 30)) == []
    # A pair not in the table takes TRAVEL_MINUTES (30).
    assert "至少要留 30 分钟路程" in _plan(world, "东富镇", time(10, 15), time(11, 0))[0]
    assert _plan(world, "东富镇", time(10, 30), time(11, 0)) == []


def test_the_admin_sets_and_clears_a_pair(world, client):
    admin = create_admin()
    login_as(client, admin)
    north, east = world["north"], world["east"]

    assert "已填写 1 对" in client.get("/admin/travel").text
    response = post_form(client, "/admin/travel", {"a": east.id, "b": north.id,
                                                   "minutes": "75"})
    assert response.status_code == 302
    assert db.session.get(TravelTime, (min(north.id, east.id), max(north.id, east.id))
                          ).minutes == 75
    page = post_form(client, "/admin/travel", {"a": east.id, "b": east.id, "minutes": "5"})
    assert "请选择两个不同的乡镇" in page.text
    page = post_form(client, "/admin/travel", {"a": east.id, "b": north.id, "minutes": "0"})
    assert "请填写 1 到 600 之间的整数" in page.text
    post_form(client, "/admin/travel", {"a": north.id, "b": east.id, "minutes": ""})
    db.session.expire_all()
    assert db.session.get(TravelTime, (min(north.id, east.id), max(north.id, east.id))) is None
    assert [e.after["minutes"] for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "travel_times.update")
        .order_by(AuditEntry.id))] == [75, None]
    login_as(client, create_coordinator(world["venues"]["东富镇"]))
    assert client.get("/admin/travel").status_code == 403


def test_importing_a_travel_file(world):
    good = "乡镇甲,乡镇乙,分钟\n东富镇,大障镇,70\n嘉树乡,东富镇,55\n".encode("gb18030")
    assert travel.import_file(good, by_id=None, now=NOW) == 2
    db.session.commit()
    assert len(travel.rows()) == 3

    bad = "乡镇甲,乡镇乙,分钟\n东富镇,火星镇,70\n东富镇,东富镇,10\n东富镇,大障镇,九十\n".encode()
    with pytest.raises(ImportRefused) as info:
        travel.import_file(bad, by_id=None, now=NOW)
    assert info.value.problems == ["第2行：找不到乡镇“火星镇”", "第3行：两个乡镇相同",
                                   "第4行：分钟数应为 1 到 600 的整数"]


def test_an_experts_circuit_marks_clashes_and_short_legs(world, client):
    venues, expert = world["venues"], world["expert"]
    # 08:00–10:00 at 大障镇 (the fixture), then 11:00 at 嘉树乡 (90 min away: too short),
    # then 11:30 at 嘉树乡 again (overlapping the 11:00 one: a clash). Drafts count.
    for start, hours, status in ((time(11, 0), 1, SessionStatus.PUBLISHED),
                                 (time(11, 30), 1, SessionStatus.DRAFT)):
        create_existing(day=DAY, start=start, hours=hours, venue=venues["嘉树乡"],
                        experts=[expert], status=status, kind=SessionKind.SURGERY, slots=0)
    create_existing(day=DAY + timedelta(days=1), venue=venues["东富镇"], experts=[expert])
    login_as(client, create_coordinator(venues["东富镇"]))

    page = client.get(f"/console/experts/{expert.id}/circuit?start={DAY.isoformat()}").text

    assert "有 1 处时间冲突，1 处路程时间不够" in page
    assert "⚠ 路程 90 分钟，只留了 60 分钟" in page
    assert "⚠ 时间冲突：与上一场重叠 30 分钟" in page
    assert page.count('class="stop') == 4
    month = client.get(f"/console/experts/{expert.id}/circuit?start={DAY.isoformat()}"
                       "&span=month").text
    assert "12月31日" in month and month.count('class="stop') == 4


def test_who_sees_a_circuit(world, client):
    expert = world["expert"]
    path = f"/console/experts/{expert.id}/circuit"
    login_as(client, create_assistant(expert))
    assert client.get(path).status_code == 200
    login_as(client, create_assistant(create_expert()))
    assert client.get(path).status_code == 404
    login_as(client, create_user())
    assert client.get(path).status_code == 403


def test_far_dates_in_the_address_fall_back_to_this_week(world, client):
    login_as(client, create_admin())
    expert, venue = world["expert"], world["venues"]["东富镇"]
    for query in ("start=9999-12-31", "start=0001-01-01", "start=9999-12-31&span=month"):
        assert client.get(f"/console/experts/{expert.id}/circuit?{query}").status_code == 200
        assert client.get(f"/console/venues/{venue.id}/week?{query}").status_code == 200
    for week in ("9999-W52", "0001-W01", "2026-W99", "x"):
        assert client.get(f"/venues/{venue.id}/poster?week={week}").status_code == 200
        assert client.get(f"/townships/{venue.township_id}/poster?week={week}"
                          ).status_code == 200

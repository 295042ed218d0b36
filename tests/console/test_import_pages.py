"""The console's upload pages: a schedule (.ics or CSV) as drafts for a coordinator's
venue, an expert's busy times for their assistant; refusals and over-size files."""

import io

import pytest
from sqlalchemy import func, select

from app.core.audit import AuditEntry
from app.scheduling.models import ExpertBusy, Session, SessionStatus
from tests.console.helpers import csrf
from tests.factories import (
    create_assistant,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_user,
    create_venue,
)
from tests.helpers import PASSWORD

# NOW (tests.factories) is 2026-12-01 09:00 in Shanghai; the events below are later.
EVENT = ("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
         "DTSTART;TZID=Asia/Shanghai:{start}\r\nDTEND;TZID=Asia/Shanghai:{end}\r\n"
         "SUMMARY:{summary}\r\nEND:VEVENT\r\n")


def _ics(*events: tuple[str, str, str]) -> bytes:
    body = "".join(EVENT.format(uid=f"e{i}@test", start=start, end=end, summary=summary)
                   for i, (start, end, summary) in enumerate(events))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"{body}END:VCALENDAR\r\n").encode()


GOOD_ICS = _ics(("20261208T080000", "20261208T113000", "心内科门诊"),
                ("20261210T140000", "20261210T160000", "心内科门诊"))
# The second event ends before it starts.
BROKEN_ICS = _ics(("20261208T080000", "20261208T113000", "心内科门诊"),
                  ("20261210T160000", "20261210T140000", "坏的门诊"))
GOOD_CSV = ("date,start,end,expert,kind,title,capacity\r\n"
            "2026-12-08,08:00,11:30,,,心内科门诊,\r\n"
            "2026-12-09,14:00,16:00,,lecture,高血压讲座,120\r\n").encode()


def _sessions(db) -> list[Session]:
    return db.session.scalars(select(Session).order_by(Session.start_dt)).all()


def _upload(client, path: str, raw: bytes, filename: str, **fields):
    token = csrf(client.get(path).text)
    return client.post(path, data={"csrf_token": token, "file": (io.BytesIO(raw), filename),
                                   **fields})


@pytest.fixture
def coordinator_place(db):
    venue, expert = create_venue(), create_expert(name="张医生")
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    return venue, expert, coordinator


def test_coordinator_imports_an_ics_as_drafts(db, client, login_as, coordinator_place):
    venue, expert, coordinator = coordinator_place
    login_as(coordinator)

    page = _upload(client, "/console/import", GOOD_ICS, "schedule.ics",
                   venue=venue.id, expert=expert.id)

    assert page.status_code == 200
    assert "已导入 2 个草稿场次" in page.text
    assert 'href="/console"' in page.text
    sessions = _sessions(db)
    assert [(s.venue_id, s.status, [e.name for e in s.experts]) for s in sessions] == [
        (venue.id, SessionStatus.DRAFT, ["张医生"])] * 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "schedule.import"))
    assert entry.actor_id == coordinator.id


def test_a_broken_file_lists_its_problems_and_imports_nothing(db, client, login_as,
                                                              coordinator_place):
    venue, expert, coordinator = coordinator_place
    login_as(coordinator)

    page = _upload(client, "/console/import", BROKEN_ICS, "schedule.ics",
                   venue=venue.id, expert=expert.id)

    assert page.status_code == 200
    assert "导入失败，没有导入任何内容：发现 1 个问题。" in page.text
    assert "<li>第 11 行 · e1@test：结束时间早于开始时间</li>" in page.text
    assert _sessions(db) == []


def test_csv_imports_with_its_kinds(db, client, login_as, coordinator_place):
    venue, expert, coordinator = coordinator_place
    login_as(coordinator)

    page = _upload(client, "/console/import", GOOD_CSV, "排班.CSV",
                   venue=venue.id, expert=expert.id)

    assert "已导入 2 个草稿场次" in page.text
    assert [s.title for s in _sessions(db)] == ["心内科门诊", "高血压讲座"]


def test_another_venue_is_refused(db, client, login_as, coordinator_place):
    _venue, expert, coordinator = coordinator_place
    other = create_venue(name="别的卫生院")
    db.session.commit()
    login_as(coordinator)

    page = _upload(client, "/console/import", GOOD_ICS, "schedule.ics",
                   venue=other.id, expert=expert.id)

    assert page.status_code == 200
    assert "别的卫生院" not in page.text
    assert 'class="error"' in page.text
    assert _sessions(db) == []


def test_other_file_types_are_refused(db, client, login_as, coordinator_place):
    venue, expert, coordinator = coordinator_place
    login_as(coordinator)

    page = _upload(client, "/console/import", GOOD_CSV, "schedule.xlsx",
                   venue=venue.id, expert=expert.id)

    assert "只能上传 .ics 或 .csv 文件" in page.text
    assert _sessions(db) == []


def test_an_over_size_upload_gets_a_clear_message(db, client, login_as, coordinator_place):
    venue, expert, coordinator = coordinator_place
    login_as(coordinator)
    raw = GOOD_ICS + b" " * (6 * 1024 * 1024)

    page = _upload(client, "/console/import", raw, "schedule.ics",
                   venue=venue.id, expert=expert.id)

    assert page.status_code == 413  # refused by MAX_CONTENT_LENGTH before it is read
    assert "上传的文件太大（最大 5 MB）" in page.text
    assert _sessions(db) == []


def test_a_file_just_over_the_limit_is_refused_by_the_form(db, client, login_as,
                                                             coordinator_place):
    venue, expert, coordinator = coordinator_place
    login_as(coordinator)
    raw = GOOD_ICS + b" " * (5 * 1024 * 1024)

    page = _upload(client, "/console/import", raw, "schedule.ics",
                   venue=venue.id, expert=expert.id)

    assert page.status_code == 200
    assert "文件太大：最大 5 MB" in page.text
    assert _sessions(db) == []


def test_a_resident_is_forbidden_and_a_visitor_sent_to_log_in(db, client, login_as):
    resident = create_user(password=PASSWORD)
    db.session.commit()

    assert client.get("/console/import").headers["Location"].startswith("/login")
    assert client.get("/console/busy").headers["Location"].startswith("/login")
    login_as(resident)
    assert client.get("/console/import").status_code == 403
    assert client.get("/console/busy").status_code == 403


def test_the_assistant_uploads_their_experts_busy_times(db, client, login_as):
    expert = create_expert(name="张医生")
    assistant = create_assistant(expert, password=PASSWORD)
    db.session.commit()
    login_as(assistant)

    page = _upload(client, "/console/busy", GOOD_ICS, "calendar.ics", expert=expert.id)

    assert page.status_code == 200
    assert "已保存 2 段忙碌时间" in page.text
    busy = db.session.scalars(select(ExpertBusy).where(ExpertBusy.expert_id == expert.id)).all()
    assert len(busy) == 2


def test_an_expert_uploads_only_their_own_busy_times(db, client, login_as):
    mine, theirs = create_expert(name="张医生"), create_expert(name="李医生")
    user = create_expert_user(mine, password=PASSWORD)
    db.session.commit()
    login_as(user)

    assert "李医生" not in client.get("/console/busy").text
    page = _upload(client, "/console/busy", GOOD_ICS, "calendar.ics", expert=theirs.id)

    assert 'class="error"' in page.text
    assert db.session.scalar(select(func.count()).select_from(ExpertBusy)) == 0


def test_the_nav_links_to_the_upload_pages(db, client, login_as, coordinator_place):
    login_as(coordinator_place[2])

    page = client.get("/console").text

    assert 'href="/console/import"' in page
    assert 'href="/console/busy"' not in page

"""Schedule import beyond the corpus: CSV, experts named in the file, clashes, busy
times, and the command line."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from app.calendar.importing import import_busy_ics, import_csv, import_ics
from app.core.time import local_to_utc, to_local
from app.scheduling.conflicts import find_conflicts
from app.scheduling.models import ExpertBusy, Session, SessionKind, SessionStatus
from tests.factories import (
    TODAY,
    create_admin,
    create_expert,
    create_expert_user,
    create_session,
    create_venue,
)

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
CAL = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
EVENT = ("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
         "DTSTART;TZID=Asia/Shanghai:{start}\r\nDTEND;TZID=Asia/Shanghai:{end}\r\n"
         "SUMMARY:{summary}\r\n{extra}END:VEVENT\r\n")


def _ics(*events) -> bytes:
    return CAL.format(events="".join(EVENT.format(**{"extra": "", **e}) for e in events)).encode()


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Session))


@pytest.fixture
def place(db):
    made = create_venue(), create_expert(name="张医生"), create_admin()
    db.session.commit()
    return made


def test_x_xq_expert_by_phone_or_id_picks_the_expert(db, place):
    venue, default, admin = place
    other = create_expert(name="李医生")
    create_expert_user(other, phone="13812345678")
    db.session.commit()
    raw = _ics(
        {"uid": "a", "start": "20261208T080000", "end": "20261208T113000", "summary": "门诊",
         "extra": "X-XQ-EXPERT:13812345678\r\n"},
        {"uid": "b", "start": "20261209T080000", "end": "20261209T090000", "summary": "讲座",
         "extra": f"X-XQ-EXPERT:{other.id}\r\nX-XQ-KIND:讲座\r\nX-XQ-CAPACITY:80\r\n"},
        {"uid": "c", "start": "20261210T080000", "end": "20261210T084500", "summary": "门诊"},
    )

    result = import_ics(raw, venue_id=venue.id, default_expert_id=default.id, by=admin, now=NOW)

    assert result.errors == []
    sessions = db.session.scalars(select(Session).order_by(Session.start_dt)).all()
    assert [(s.experts[0].name, s.kind, s.status) for s in sessions] == [
        ("李医生", SessionKind.CLINIC, SessionStatus.DRAFT),
        ("李医生", SessionKind.LECTURE, SessionStatus.DRAFT),
        ("张医生", SessionKind.CLINIC, SessionStatus.DRAFT)]
    assert [len(s.slots) for s in sessions] == [7, 1, 2]
    assert sessions[1].slots[0].capacity == 80
    # 45 minutes: a 30-minute slot and a shorter last one.
    assert [f"{to_local(s.end_dt):%H:%M}" for s in sessions[2].slots] == ["08:30", "08:45"]


def test_unknown_expert_is_an_error_naming_the_event(db, place):
    venue, default, admin = place
    raw = _ics({"uid": "a", "start": "20261208T080000", "end": "20261208T113000",
                "summary": "门诊", "extra": "X-XQ-EXPERT:13900009999\r\n"})

    result = import_ics(raw, venue_id=venue.id, default_expert_id=default.id, by=admin, now=NOW)

    assert [tuple(p) for p in result.errors] == [
        (4, "门诊", "找不到专家“13900009999”（专家编号或手机号）")]
    assert _count(db) == 0


def test_clash_with_an_existing_session_refuses_the_whole_file(db, place):
    venue, expert, admin = place
    create_session(day=TODAY.replace(day=8), start=time(9, 0), hours=2, experts=[expert],
                   venue=venue)
    db.session.commit()
    before = _count(db)
    raw = _ics(
        {"uid": "ok", "start": "20261207T080000", "end": "20261207T113000", "summary": "周一"},
        {"uid": "x", "start": "20261208T080000", "end": "20261208T113000", "summary": "周二"},
    )

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    assert [(p.event, "时间重叠" in p.reason) for p in result.errors] == [("周二", True)]
    assert _count(db) == before


def test_clash_inside_the_file_is_an_error(db, place):
    venue, expert, admin = place
    raw = _ics(
        {"uid": "a", "start": "20261208T080000", "end": "20261208T113000", "summary": "上午"},
        {"uid": "b", "start": "20261208T110000", "end": "20261208T120000", "summary": "加诊"},
    )

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    assert [p.event for p in result.errors] == ["加诊"]
    assert result.errors[0].reason.startswith(
        "张医生 在文件中另一个日程（上午，2026-12-08 08:00–11:30）")


CSV_GOOD = ("\ufeffdate,start,end,expert,kind,title,capacity\r\n"
            "2026-12-08,08:00,11:30,,,心内科门诊,\r\n"
            "2026-12-09,14:00,16:00,,lecture,高血压讲座,120\r\n")


def test_csv_with_bom_imports_drafts(db, place):
    venue, expert, admin = place

    result = import_csv(CSV_GOOD.encode(), venue_id=venue.id, default_expert_id=expert.id,
                        by=admin, now=NOW)

    assert (result.errors, result.created) == ([], 2)
    sessions = db.session.scalars(select(Session).order_by(Session.start_dt)).all()
    assert [(s.title, s.kind, s.start_dt) for s in sessions] == [
        ("心内科门诊", SessionKind.CLINIC, local_to_utc(TODAY.replace(day=8), time(8, 0))),
        ("高血压讲座", SessionKind.LECTURE, local_to_utc(TODAY.replace(day=9), time(14, 0)))]
    assert sessions[1].slots[0].capacity == 120


@pytest.mark.parametrize(("body", "errors"), [
    ("date,start,end\n2026-12-08,08:00,11:30\n2026/12/09,08:00,11:30\n",
     [(3, "日期应为 YYYY-MM-DD，例如 2026-12-08")]),
    ("date,start,end\n2026-02-30,08:00,11:30\n",
     [(2, "日期或时间不存在（日期 YYYY-MM-DD，时间 HH:MM）")]),
    ("date,start,end\n2026-12-08,11:30,08:00\n",
     [(2, "结束时间必须晚于开始时间（同一天内）")]),
    ("date,start,end,kind\n2026-12-08,08:00,11:30,party\n",
     [(2, "不认识的类型“party”（可写 clinic、lecture、门诊、讲座等）")]),
    ("day,from,to\n2026-12-08,08:00,11:30\n",
     [(1, "表头缺少 date、start、end 列；表头应为："
          "date,start,end,expert,kind,title,capacity,description")]),
])
def test_csv_errors_name_the_line(db, place, body, errors):
    venue, expert, admin = place

    result = import_csv(body.encode(), venue_id=venue.id, default_expert_id=expert.id,
                        by=admin, now=NOW)

    assert [(p.line, p.reason) for p in result.errors] == errors
    assert _count(db) == 0


def test_csv_in_gbk_is_refused(db, place):
    venue, expert, admin = place
    raw = "date,start,end,title\n2026-12-08,08:00,11:30,心内科门诊\n".encode("gbk")

    result = import_csv(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    assert [p.reason for p in result.errors] == [
        "文件不是 UTF-8 编码，请另存为 UTF-8（CSV UTF-8）后再导入"]


def test_busy_times_replace_the_old_ones_and_count_in_conflicts(db, place):
    venue, expert, admin = place
    first = _ics({"uid": "old", "start": "20261207T080000", "end": "20261207T100000",
                  "summary": "旧的"})
    import_busy_ics(first, expert_id=expert.id, by=admin, now=NOW)
    db.session.commit()
    raw = _ics(
        {"uid": "m", "start": "20261208T090000", "end": "20261208T100000", "summary": "院内会议"},
        {"uid": "f", "start": "20261209T090000", "end": "20261209T100000", "summary": "空闲",
         "extra": "TRANSP:TRANSPARENT\r\n"},
    )

    result = import_busy_ics(raw, expert_id=expert.id, by=admin, now=NOW)
    db.session.commit()

    assert (result.errors, result.created) == ([], 1)
    assert db.session.scalars(select(ExpertBusy.summary)).all() == ["院内会议"]
    clashes = find_conflicts([expert.id], local_to_utc(TODAY.replace(day=8), time(8, 0)),
                             local_to_utc(TODAY.replace(day=8), time(11, 30)), venue.id)
    assert [(c.what, c.reason) for c in clashes] == [("院内会议", "overlap")]
    clinic = _ics({"uid": "c", "start": "20261208T080000", "end": "20261208T113000",
                   "summary": "门诊"})
    refused = import_ics(clinic, venue_id=venue.id, default_expert_id=expert.id, by=admin,
                         now=NOW)
    assert "院内会议" in refused.errors[0].reason


def test_cli_imports_and_fails_with_exit_code(app, db, place, tmp_path):
    venue, expert, admin = place
    good, bad = tmp_path / "good.ics", tmp_path / "bad.ics"
    good.write_bytes(_ics({"uid": "a", "start": "20271208T080000", "end": "20271208T113000",
                           "summary": "门诊"}))
    bad.write_bytes(b"")
    runner = app.test_cli_runner()

    ok = runner.invoke(args=["import", "ics", str(good), "--venue", str(venue.id),
                             "--expert", str(expert.id), "--as", admin.phone])
    failed = runner.invoke(args=["import", "ics", str(bad), "--venue", str(venue.id)])
    csv_ok = runner.invoke(args=["import", "csv", str(tmp_path / "x.csv"), "--venue", "1"])

    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("已导入 1 个草稿场次")
    assert failed.exit_code == 1
    assert failed.output.splitlines() == [
        "导入失败，没有导入任何内容：发现 1 个问题。", "file: 文件是空的"]
    assert csv_ok.exit_code == 2  # no such file

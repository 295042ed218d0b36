"""Every file of the .ics corpus (tests/data/ics-corpus) through the schedule import, as
its README says: each either imports or fails as a whole with a clear error, never an
exception, and a failure leaves the database as it was."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.calendar.importing import import_ics
from app.core.models import AuditEntry
from app.core.time import to_local
from app.scheduling.models import Session, SessionExpert, SessionStatus, Slot
from tests.factories import create_admin, create_expert, create_venue

CORPUS = Path(__file__).resolve().parents[1] / "data" / "ics-corpus"
# Early 2025: the reference file's sessions (March to June 2025) are all ahead.
NOW = datetime(2025, 3, 1, tzinfo=UTC)

# The corpus leaves these to the project (README "policy"); our choices:
POLICY = {
    "apple-ical-request-floating-utc-date-mix.ics": "accept",  # floating = venue's clock
    "edge-duplicate-uids-sequence.ics": "accept",  # the higher SEQUENCE wins
    "exchange2010-blank-tzid.ics": "reject",  # no usable TZID
    "exchange2010-owa-windows-tzid-no-vtimezone.ics": "reject",  # no UID, unknown TZIDs
    "google-birthdays-rdate-recurrence-id.ics": "reject",  # invalid RDATE values
    "lastfm-feed-blank-lines-unfolded.ics": "reject",  # events longer than 24 hours
    "podio-request-tab-folded-trailing-text.ics": "accept",  # text after END ignored
    "synthetic-huge-description-line.ics": "reject",  # description too long
    "wordpress-events-duplicate-tzid-floating.ics": "reject",  # icalendar cannot read it
}


def _expectations() -> dict[str, str]:
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+\.ics)` \|.*\*\*(accept|reject|empty|policy)\*\* \|$",
                      readme, flags=re.MULTILINE)
    return {name: POLICY.get(name, expect) for name, expect in rows}


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():  # fail, never skip: the corpus is part of the contract
        raise AssertionError(f"the .ics corpus is missing: {CORPUS}")
    return sorted(CORPUS.glob("*.ics"))


EXPECT = _expectations() if CORPUS.is_dir() else {}


def _counts(db) -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Session, Slot, SessionExpert, AuditEntry))


@pytest.fixture
def target(db):
    made = create_venue(), create_expert(name="张医生"), create_admin()
    db.session.commit()  # the importer starts its own unit of work
    return made


def test_corpus_is_complete():
    files = _corpus_files()
    assert len(files) >= 50
    assert {f.name for f in files} == set(EXPECT)
    assert set(POLICY) <= set(EXPECT)


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_corpus_file_imports_or_fails_as_a_whole(db, target, path):
    venue, expert, admin = target
    before = _counts(db)

    # (Time is not asserted: the machines are shared. `pytest --durations` shows the
    # slowest file; the whole corpus runs in about a second and a half.)
    result = import_ics(path.read_bytes(), venue_id=venue.id, default_expert_id=expert.id,
                        by=admin, now=NOW)
    expect = EXPECT[path.name]
    if expect == "accept":
        assert result.errors == []
        assert result.ok is True
        sessions, slots, links, audits = _counts(db)
        assert (sessions, links, audits) == (before[0] + result.created,
                                             before[2] + result.created, before[3] + 1)
    else:  # reject, and empty: a clear "no events" refusal
        assert result.ok is False
        assert result.created == 0
        assert _counts(db) == before
        assert all(re.search(r"[\u4e00-\u9fff]", p.reason) for p in result.errors)
        assert result.summary.startswith("导入失败")
    if expect == "empty":
        assert [p.reason for p in result.errors] == ["文件中没有任何日程（VEVENT）"]


def _sessions(db, ids):
    return db.session.scalars(select(Session).where(Session.id.in_(ids))
                              .order_by(Session.start_dt, Session.id)).all()


def test_reference_clinic_file_in_detail(db, target):
    venue, expert, admin = target
    raw = (CORPUS / "synthetic-clinic-sessions-asia-shanghai.ics").read_bytes()

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    assert result.errors == []
    # 16 张医生 + 20 李医生 + 1 stopped 王医生 + 3 陈医生; the 清明节 closure is all-day.
    assert (result.created, result.stopped, result.all_day, result.past) == (40, 1, 1, 0)
    assert result.summary == ("已导入 40 个草稿场次（其中 1 个为停诊），请在工作台核对后发布。"
                              "未导入：1 个全天日程。")
    sessions = _sessions(db, result.session_ids)
    zhang = [s for s in sessions if s.title.startswith("心内科专家门诊 张医生")]
    assert len(zhang) == 16
    local_starts = [to_local(s.start_dt) for s in zhang]
    assert "2025-05-05" not in {f"{d:%Y-%m-%d}" for d in local_starts}  # EXDATE
    assert "2025-06-02" not in {f"{d:%Y-%m-%d}" for d in local_starts}
    moved = [s for s in zhang if f"{to_local(s.start_dt):%Y-%m-%d}" == "2025-04-14"]
    assert len(moved) == 1
    assert to_local(moved[0].start_dt).isoformat() == "2025-04-14T14:00:00+08:00"
    assert to_local(moved[0].end_dt).isoformat() == "2025-04-14T17:30:00+08:00"
    assert moved[0].title == "心内科专家门诊 张医生（本周改为下午）"
    first = zhang[0]
    assert to_local(first.start_dt).isoformat() == "2025-03-03T08:00:00+08:00"
    assert first.description == ("号源：20个\n挂号费：50元, 医保可报销; 请提前15分钟到诊。\n"
                                 "诊疗范围：高血压、冠心病、心律失常、心力衰竭随访。\n"
                                 "五一劳动节（5月5日）及端午节（6月2日）停诊。")
    assert [(s.start_dt, s.end_dt, s.capacity) for s in first.slots][:1] == [
        (first.start_dt, first.start_dt + timedelta(minutes=30), 5)]
    assert len(first.slots) == 7
    assert all(s.status == SessionStatus.DRAFT for s in sessions if not s.is_stopped)
    stopped = [s for s in sessions if s.is_stopped]
    assert [(s.title, f"{to_local(s.start_dt):%Y-%m-%d %H:%M}") for s in stopped] == [
        ("口腔科门诊 王医生", "2025-03-12 08:00")]
    li = [s for s in sessions if s.title == "儿科普通门诊 李医生"]
    assert len(li) == 20
    assert f"{to_local(li[-1].start_dt):%Y-%m-%d}" == "2025-03-28"
    chen = [f"{to_local(s.start_dt):%m-%d %H:%M}" for s in sessions if "陈医生" in s.title]
    assert chen == ["03-15 08:30", "03-22 08:30", "03-29 08:30"]
    assert all(s.experts == [expert] and s.venue_id == venue.id for s in sessions)
    assert not any("\ufffd" in s.title + s.description for s in sessions)


def test_emoji_split_by_folds_round_trips(db, target):
    venue, expert, admin = target
    raw = (CORPUS / "synthetic-emoji-cjk-folding.ics").read_bytes()

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    titles = [s.title for s in _sessions(db, result.session_ids)]
    assert result.created == 2
    assert titles[0].startswith("🏥 义诊活动 🩺 Free clinic day 👩‍⚕️")
    assert not any("\ufffd" in t for t in titles)


@pytest.mark.parametrize(("name", "line", "reason"), [
    ("synthetic-gb18030-encoded.ics", 6,
     "文件不是 UTF-8 编码（看起来是 GBK/GB18030），请另存为 UTF-8 后再导入"),
    ("synthetic-invalid-utf8-bytes.ics", 31, "文件含有无效的 UTF-8 字节，请用 UTF-8 编码重新导出"),
    ("synthetic-truncated-mid-event.ics", 73, "文件不完整：在一个字符中间被截断"),
    ("synthetic-empty-file.ics", None, "文件是空的"),
    ("synthetic-unknown-tzid.ics", 4,
     "无法识别的时区 Asia/Pukou_Local（文件中没有它的 VTIMEZONE 定义）"),
])
def test_broken_file_is_named_with_its_line(db, target, name, line, reason):
    venue, expert, admin = target

    result = import_ics((CORPUS / name).read_bytes(), venue_id=venue.id,
                        default_expert_id=expert.id, by=admin, now=NOW)

    assert (result.errors[0].line, result.errors[0].reason) == (line, reason)


def test_late_invalid_dates_name_every_bad_event(db, target):
    venue, expert, admin = target
    raw = (CORPUS / "edge-401-events-late-invalid-dates.ics").read_bytes()

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    assert [p.reason for p in result.errors] == ["属性 DTSTART、DTEND 的值无效"] * 6 + [
        "属性 DTSTART 出现了多次"]
    assert [p.line for p in result.errors][:2] == [359, 365]
    assert result.errors[-1].event == "event_error@example.com"


def test_dtend_before_dtstart_and_friends(db, target):
    venue, expert, admin = target
    raw = (CORPUS / "synthetic-dtend-before-dtstart.ics").read_bytes()

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    assert [p.reason for p in result.errors] == [
        "结束时间早于开始时间", "结束时间与开始时间相同", "时长 DURATION 必须大于零",
        "不能同时有 DTEND 和 DURATION"]


def test_duplicate_uid_higher_sequence_wins(db, target):
    venue, expert, admin = target
    raw = (CORPUS / "edge-duplicate-uids-sequence.ics").read_bytes()

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin,
                        now=datetime(2024, 1, 1, tzinfo=UTC))

    titles = sorted(s.title for s in _sessions(db, result.session_ids))
    assert titles == ["Team Meeting (SEQUENCE 2)", "Updated version (SEQUENCE 3) - should win"]


def test_open_ended_rule_expands_26_weeks_ahead(db, target):
    venue, expert, admin = target
    raw = (CORPUS / "outlook2007-kuala-lumpur-tab-folded-html.ics").read_bytes()

    result = import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)

    starts = [s.start_dt for s in _sessions(db, result.session_ids)]
    assert result.created == 26  # weekly on Fridays, 2025-03-07 … 2025-08-29
    assert NOW < starts[0] < NOW + timedelta(days=7)
    assert starts[-1] < NOW + timedelta(weeks=26)
    assert result.past > 800

"""Review item 2 (issue #14): what one file may bring in — 2,000 sessions with at most
14,000 slots, 5,000 busy times, 100,000 occurrences described — is counted while the
file is read, so a file over a cap is refused without the rest being expanded or built.
(That no import holds the write lock meanwhile: test_import_concurrency.py.)"""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.calendar.importing import import_busy_ics, import_csv, import_ics
from app.scheduling.models import ExpertBusy, Session, Slot
from tests.factories import create_admin, create_expert, create_venue

NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CAL = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n"
RULE = ("BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\n"
        "DTSTART;TZID=Asia/Shanghai:{day:%Y%m%d}T080000\r\nDURATION:{duration}\r\n"
        "RRULE:FREQ=DAILY;COUNT={count}\r\nSUMMARY:门诊\r\n{extra}END:VEVENT\r\n")
ALL_DAY = ("BEGIN:VEVENT\r\nUID:closed\r\nDTSTAMP:20261101T000000Z\r\n"
           "DTSTART;VALUE=DATE:20261210\r\nSUMMARY:清明节放假\r\nEND:VEVENT\r\n")
SESSIONS_CAP = "一次最多导入 2000 场，这个文件超过了 2000 场，请分批导入"
BUSY_CAP = "一次最多上传 5000 段忙碌时间，这个文件超过了 5000 段，请缩短日历的时间范围后再上传"
FIRST = date(2027, 1, 4)


def _rule(count: int, *, uid: str = "rule", day: date = FIRST, duration: str = "PT3H30M",
          extra: str = "") -> str:
    return RULE.format(uid=uid, day=day, duration=duration, count=count, extra=extra)


def _ics(*events: str) -> bytes:
    return CAL.format(events="".join(events)).encode()


def _counts(db) -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Session, Slot, ExpertBusy))


@pytest.fixture
def place(db):
    made = create_venue(), create_expert(name="张医生"), create_admin()
    db.session.commit()
    return made


def _import(raw: bytes, place):
    venue, expert, admin = place
    return import_ics(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin, now=NOW)


def test_review_2_over_cap_rule_is_refused_before_it_is_expanded(db, place):
    """30,000 clinics ahead in one rule: refused at the 2,001st with the cap's message
    alone. Expanding on, the rule would have reached the 20,000 steps a rule may take
    (the old code did, planned every occurrence, and answered with that refusal)."""
    result = _import(_ics(_rule(30000)), place)

    assert [tuple(p) for p in result.errors] == [(None, "", SESSIONS_CAP)]
    assert (result.created, _counts(db)) == (0, (0, 0, 0))


def test_session_cap_counts_only_the_sessions_ahead(db, place):
    """300 occurrences already over, 2,000 ahead (14,000 slots: both caps, exactly) and
    a closure: all imported as before."""
    raw = _ics(_rule(2300, day=NOW.date() - timedelta(days=300)), ALL_DAY)

    result = _import(raw, place)

    assert (result.errors, result.created, result.past, result.all_day) == ([], 2000, 300, 1)
    assert _counts(db) == (2000, 14000, 0)


def test_review_2_more_than_14000_slots_are_refused(db, place):
    """2,000 four-hour clinics: 16,000 slots, more than the write may take at once."""
    result = _import(_ics(_rule(2000, duration="PT4H")), place)

    assert [p.reason for p in result.errors] == [
        "一次最多导入 14000 个预约时段，这个文件的场次共有 16000 个时段，请分批导入"]
    assert _counts(db) == (0, 0, 0)


def test_review_2_a_file_describes_at_most_100000_occurrences(db, place):
    """Six rules of 19,999 days each, long over: nothing to import, but expanding them
    is work; the file is refused at the 100,001st occurrence."""
    raw = _ics(*(_rule(19999, uid=f"old-{i}", day=date(1960, 1, 1)) for i in range(6)))

    result = _import(raw, place)

    assert [p.reason for p in result.errors] == [
        "文件中的日程重复展开后超过 100000 次，请缩短重复范围或分批导入"]


def test_review_2_csv_reading_stops_at_the_first_row_past_the_cap(db, place):
    """2,001 rows ahead and then a bad row: the cap is the only problem, because the
    reading stopped before the bad row."""
    venue, expert, admin = place
    rows = [f"{FIRST + timedelta(days=i)},08:00,11:30" for i in range(2001)]
    raw = "\n".join(["date,start,end", *rows, "2027-02-30,08:00,11:30"]).encode()

    result = import_csv(raw, venue_id=venue.id, default_expert_id=expert.id, by=admin,
                        now=NOW)

    assert [tuple(p) for p in result.errors] == [(None, "", SESSIONS_CAP)]
    assert _counts(db) == (0, 0, 0)


def test_review_2_busy_upload_of_more_than_5000_is_refused(db, place):
    venue, expert, admin = place

    result = import_busy_ics(_ics(_rule(5001)), expert_id=expert.id, by=admin, now=NOW)

    assert [tuple(p) for p in result.errors] == [(None, "", BUSY_CAP)]
    assert _counts(db) == (0, 0, 0)


def test_busy_cap_counts_only_busy_times_ahead(db, place):
    """5,000 busy days ahead; past, free and cancelled ones do not count."""
    venue, expert, admin = place
    raw = _ics(_rule(5100, day=NOW.date() - timedelta(days=100)),
               _rule(50, uid="free", extra="TRANSP:TRANSPARENT\r\n"),
               _rule(50, uid="off", extra="STATUS:CANCELLED\r\n"))

    result = import_busy_ics(raw, expert_id=expert.id, by=admin, now=NOW)

    assert (result.errors, result.created, result.past) == ([], 5000, 100)
    assert _counts(db) == (0, 0, 5000)

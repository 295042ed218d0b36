"""Recurring series: the dates (holidays, 调休, overrides) on real 2026 calendars, the
sessions they generate, clashes, editing the future only, stopping one occurrence."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.bookings.models import Booking
from app.bookings.services import stopping
from app.bookings.services.stopping import stop_session
from app.core.models import AuditEntry
from app.core.time import local_to_utc, to_local
from app.extensions import db as _db
from app.notifications.models import Channel, Message, MessageStatus
from app.scheduling.models import Session, SessionKind, SessionStatus
from app.scheduling.series import (
    SeriesClashError,
    SeriesPlan,
    create_series,
    plan_of,
    series_sessions,
    update_series,
)
from app.scheduling.services import PlanError, discard_draft
from app.scheduling.workdays import series_dates
from tests.factories import book_slot, create_expert, create_patient, create_user, create_venue
from tests.factories import create_session as create_existing

D = date.fromisoformat
MO, TU, WE, FR, SA, SU = 0, 1, 2, 4, 5, 6
BEFORE = datetime(2025, 12, 1, 1, 0, tzinfo=UTC)  # the series below are planned then


def _weekly(days: str) -> str:
    return f"FREQ=WEEKLY;BYDAY={days}"


@pytest.mark.parametrize(("rule", "first", "last", "held", "skipped"), [
    # Spring Festival: 2026-02-15 … 23 off; Sat 02-14 works as Fri 02-20, Sat 02-28 as Mon 02-23.
    ("MO", "2026-02-01", "2026-03-10",
     ["2026-02-02", "2026-02-09", "2026-02-28", "2026-03-02", "2026-03-09"],
     {"2026-02-16": "holiday", "2026-02-23": "holiday"}),
    ("FR", "2026-02-01", "2026-02-28",
     ["2026-02-06", "2026-02-13", "2026-02-14", "2026-02-27"], {"2026-02-20": "holiday"}),
    ("SA", "2026-02-01", "2026-03-10", ["2026-02-07", "2026-03-07"],
     {"2026-02-14": "workday", "2026-02-21": "holiday", "2026-02-28": "workday"}),
    ("SU", "2026-02-01", "2026-03-01", ["2026-02-01", "2026-02-08", "2026-03-01"],
     {"2026-02-15": "holiday", "2026-02-22": "holiday"}),
    ("TU,WE,TH", "2026-02-15", "2026-02-23", [],  # the whole break: nothing but 02-14's swap
     {"2026-02-17": "holiday", "2026-02-18": "holiday", "2026-02-19": "holiday"}),
    # New Year: Sun 2026-01-04 works as Fri 01-02.
    ("FR", "2026-01-01", "2026-01-31",
     ["2026-01-04", "2026-01-09", "2026-01-16", "2026-01-23", "2026-01-30"],
     {"2026-01-02": "holiday"}),
    # Labour Day: 05-01 … 05 off, Sat 05-09 works as Tue 05-05.
    ("TU", "2026-05-01", "2026-05-31", ["2026-05-09", "2026-05-12", "2026-05-19", "2026-05-26"],
     {"2026-05-05": "holiday"}),
    # National Day: Sun 09-20 works as Tue 10-06, Sat 10-10 as Wed 10-07.
    ("TU,WE", "2026-09-15", "2026-10-14",
     ["2026-09-15", "2026-09-16", "2026-09-20", "2026-09-22", "2026-09-23", "2026-09-29",
      "2026-09-30", "2026-10-10", "2026-10-13", "2026-10-14"],
     {"2026-09-20": None, "2026-10-06": "holiday", "2026-10-07": "holiday"}),
    # A swap counts only when both days are inside the series.
    ("MO", "2026-02-01", "2026-02-27", ["2026-02-02", "2026-02-09"],
     {"2026-02-16": "holiday", "2026-02-23": "holiday"}),
])
def test_series_dates_follow_the_2026_holidays(rule, first, last, held, skipped):
    got_held, got_skipped = series_dates(_weekly(rule), D(first), D(last))

    assert [d.isoformat() for d in got_held] == held
    assert {d.isoformat(): why for d, why in got_skipped.items()} == {
        d: why for d, why in skipped.items() if why}


def test_series_dates_without_holiday_handling_are_the_rules():
    held, skipped = series_dates(_weekly("MO"), D("2026-02-01"), D("2026-02-28"),
                                 skip_holidays=False)

    assert [d.isoformat() for d in held] == [
        "2026-02-02", "2026-02-09", "2026-02-16", "2026-02-23"]
    assert skipped == {}


def test_series_dates_overrides_hold_a_holiday_and_skip_a_day():
    held, skipped = series_dates(_weekly("MO"), D("2026-02-01"), D("2026-03-10"), overrides={
        D("2026-02-16"): "hold", D("2026-03-02"): "skip"})

    assert [d.isoformat() for d in held] == [
        "2026-02-02", "2026-02-09", "2026-02-16", "2026-02-28", "2026-03-09"]
    assert {d.isoformat(): w for d, w in skipped.items()} == {
        "2026-02-23": "holiday", "2026-03-02": "skip"}


# --- the sessions ------------------------------------------------------------------------


def _plan(**kw) -> SeriesPlan:
    kw.setdefault("venue_id", create_venue().id)
    kw.setdefault("expert_ids", [create_expert().id])
    kw.setdefault("kind", SessionKind.CLINIC)
    kw.setdefault("first_day", D("2026-02-01"))
    kw.setdefault("last_day", D("2026-03-10"))
    kw.setdefault("weekdays", (MO,))
    kw.setdefault("start", time(8, 0))
    kw.setdefault("end", time(11, 30))
    kw.setdefault("status", SessionStatus.PUBLISHED)
    return SeriesPlan(**kw)


def _create(plan, *, now=BEFORE, by=None):
    by = by or create_user()
    _db.session.commit()
    return create_series(plan, by=by, now=now)


def _days(sessions) -> list[str]:
    return [to_local(s.start_dt).date().isoformat() for s in sessions]


def test_create_series_makes_one_session_per_date_with_slots(db):
    by = create_user()
    series = _create(_plan(), by=by)

    sessions = series_sessions(series.id)
    assert _days(sessions) == ["2026-02-02", "2026-02-09", "2026-02-28", "2026-03-02",
                               "2026-03-09"]
    assert {(s.status, len(s.slots), s.slots[0].capacity) for s in sessions} == {
        (SessionStatus.PUBLISHED, 7, 5)}
    assert (series.rule, series.last_day) == ("FREQ=WEEKLY;BYDAY=MO", D("2026-03-10"))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "series.create"))
    assert (entry.actor_id, entry.object_id, entry.after["skipped"]) == (
        by.id, series.id, {"2026-02-16": "holiday", "2026-02-23": "holiday"})


def test_count_counts_the_rules_dates_holidays_included(db):
    series = _create(_plan(last_day=None, count=4))

    assert series.last_day == D("2026-02-23")
    assert _days(series_sessions(series.id)) == ["2026-02-02", "2026-02-09"]


def test_an_rrule_every_other_tuesday_and_exception_dates(db):
    series = _create(_plan(weekdays=(), rule="RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
                           first_day=D("2026-03-02"), last_day=D("2026-04-30"),
                           skip_dates=(D("2026-03-17"),), kind=SessionKind.LECTURE,
                           title="高血压用药", seats=80))

    sessions = series_sessions(series.id)
    assert _days(sessions) == ["2026-03-03", "2026-03-31", "2026-04-14", "2026-04-28"]
    assert [[s.capacity for s in x.slots] for x in sessions] == [[80]] * 4
    assert series.overrides == {"2026-03-17": "skip"}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"weekdays": (), "rule": "FREQ=HOURLY"}, "rule",
     "重复规则只能按天、周、月或年重复，例如 FREQ=WEEKLY;BYDAY=TU"),
    ({"weekdays": (), "rule": "FREQ=WEEKLY;BYDAY=XX"}, "rule",
     "看不懂这个重复规则：FREQ=WEEKLY;BYDAY=XX"),
    ({"last_day": None}, "last_day", "请填写最后一天或次数"),
    ({"hold_dates": (D("2026-04-01"),)}, "hold_dates",
     "这些日期不在系列的起止日期之内：2026-04-01"),
    ({"first_day": D("2026-02-16"), "last_day": D("2026-02-23")}, "first_day",
     "按这个规则，起止日期之间没有任何一场"),
    ({"end": time(7, 0)}, "end", "结束时间必须晚于开始时间（同一天内）"),
])
def test_bad_series_plans_are_refused(db, changes, field, message):
    with pytest.raises(PlanError) as info:
        _create(_plan(**changes))

    assert (info.value.field, info.value.message) == (field, message)
    assert db.session.scalar(select(Session.id)) is None


def test_a_series_in_the_past_is_refused(db):
    with pytest.raises(PlanError) as info:
        _create(_plan(), now=datetime(2026, 2, 5, tzinfo=UTC))

    assert info.value.field == "first_day"


def test_clashing_dates_refuse_the_whole_series_and_are_listed(db):
    expert = create_expert(name="张医生")
    other = create_venue(name="白兔潭镇中心卫生院")
    create_existing(day=D("2026-03-02"), start=time(9, 0), venue=other, experts=[expert],
                    title="张医生门诊")
    before = db.session.scalars(select(Session.id)).all()

    with pytest.raises(SeriesClashError) as info:
        _create(_plan(expert_ids=[expert.id]))

    assert info.value.dates == [D("2026-03-02")]
    assert info.value.lines == [
        "这些日期专家没有空：2026-03-02。可以把它们填进“跳过的日期”，或换个时间。",
        "张医生 3月2日 09:00–12:30 已有安排：张医生门诊 · 白兔潭镇中心卫生院（时间重叠）"]
    assert db.session.scalars(select(Session.id)).all() == before


# --- editing the future, stopping one ----------------------------------------------------

EDIT_NOW = local_to_utc(D("2026-02-27"), time(9, 0))  # after 02-09, before 02-28


def _series(**kw):
    series = _create(_plan(**kw))
    _db.session.commit()
    return series, series_sessions(series.id)


def _edit(series, plan, now=EDIT_NOW):
    by = create_user()
    _db.session.commit()
    return update_series(series, plan, by=by, now=now)


def test_update_moves_future_occurrences_only(db):
    series, sessions = _series()
    past = [(s.id, s.start_dt, s.sequence, s.updated_dt) for s in sessions[:2]]

    done = _edit(series, _plan(venue_id=series.venue_id, expert_ids=series.expert_ids,
                               start=time(14, 0), end=time(17, 30)))

    now_sessions = series_sessions(series.id)
    assert [(s.id, s.start_dt, s.sequence, s.updated_dt) for s in now_sessions[:2]] == past
    assert [(f"{to_local(s.start_dt):%m-%d %H:%M}", s.sequence, s.updated_dt)
            for s in now_sessions[2:]] == [
        ("02-28 14:00", 1, EDIT_NOW), ("03-02 14:00", 1, EDIT_NOW), ("03-09 14:00", 1, EDIT_NOW)]
    assert done == {"created": [], "changed": [s.id for s in sessions[2:]],
                    "moved": [s.id for s in sessions[2:]], "published": [], "withdrawn": []}
    assert f"{to_local(now_sessions[2].slots[0].start_dt):%H:%M}" == "14:00"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "series.update"))
    assert (entry.before["start"], entry.after["start"]) == ("08:00", "14:00")


def test_update_to_another_weekday_withdraws_and_creates(db):
    series, sessions = _series()

    done = _edit(series, _plan(venue_id=series.venue_id, expert_ids=series.expert_ids,
                               weekdays=(WE,)))

    assert _days(s for s in series_sessions(series.id) if s.status != SessionStatus.STOPPED) == [
        "2026-02-02", "2026-02-09", "2026-03-04"]
    stopped = [s for s in series_sessions(series.id) if s.status == SessionStatus.STOPPED]
    assert [(s.id, s.sequence, s.stop_reason) for s in stopped] == [
        (s.id, 1, "系列调整，本场取消") for s in sessions[2:]]
    assert done["withdrawn"] == [s.id for s in sessions[2:]]


def _book(session, now=EDIT_NOW):
    patient = create_patient()
    _db.session.commit()
    book_slot(session.slots[0].id, patient, by=patient.account, now=now)
    _db.session.commit()


def test_update_moves_a_booked_occurrence_when_its_slots_map(db):
    series, sessions = _series()
    _book(sessions[3])  # 03-02

    _edit(series, _plan(venue_id=series.venue_id, expert_ids=series.expert_ids,
                        start=time(8, 30), end=time(12, 0)))

    moved = db.session.get(Session, sessions[3].id)
    assert (f"{to_local(moved.start_dt):%H:%M}", moved.slots[0].booked_count,
            moved.sequence) == ("08:30", 1, 1)


def test_patients_booked_into_a_moved_occurrence_are_told_and_reminders_follow(db):
    series, sessions = _series()
    _book(sessions[3])  # 03-02 08:00
    changes = _edit(series, _plan(venue_id=series.venue_id, expert_ids=series.expert_ids,
                                  start=time(8, 30), end=time(12, 0)))

    told = stopping.sessions_moved(changes["moved"], now=EDIT_NOW)
    db.session.commit()

    booking = db.session.scalar(select(Booking).where(Booking.session_id == sessions[3].id))
    notice = db.session.scalar(select(Message).where(
        Message.kind == "booking_rescheduled", Message.channel == Channel.SMS))
    reminder = db.session.scalar(select(Message).where(
        Message.kind == "reminder_24h", Message.booking_id == booking.id,
        Message.status == MessageStatus.PENDING))
    assert (told.count, told.to_call, booking.sequence) == (1, [], 1)
    assert "3月2日 08:30" in notice.body
    assert reminder.due_dt == booking.slot.start_dt - timedelta(hours=24)


def test_update_refuses_a_booked_occurrence_whose_slots_do_not_map(db):
    series, sessions = _series()
    _book(sessions[3])

    with pytest.raises(PlanError) as info:
        _edit(series, _plan(venue_id=series.venue_id, expert_ids=series.expert_ids,
                            slot_minutes=15))

    assert info.value.message.startswith("2026-03-02 的场次已有人预约")
    db.session.rollback()
    assert db.session.get(Session, sessions[3].id).sequence == 0


def test_stopping_one_occurrence_leaves_the_rest_and_an_edit_keeps_it_stopped(db):
    series, sessions = _series()

    coordinator = create_user()
    _db.session.commit()
    stop_session(sessions[3], "专家出差", by=coordinator, now=EDIT_NOW)
    _db.session.commit()
    _edit(series, _plan(venue_id=series.venue_id, expert_ids=series.expert_ids,
                        start=time(9, 0), end=time(12, 30)))

    statuses = [(d, s.status) for d, s in zip(_days(series_sessions(series.id)),
                                               series_sessions(series.id), strict=True)]
    assert statuses == [
        ("2026-02-02", SessionStatus.PUBLISHED), ("2026-02-09", SessionStatus.PUBLISHED),
        ("2026-02-28", SessionStatus.PUBLISHED), ("2026-03-02", SessionStatus.STOPPED),
        ("2026-03-09", SessionStatus.PUBLISHED)]


def test_a_discarded_draft_occurrence_stays_skipped_when_the_series_changes(db):
    series, sessions = _series(status=SessionStatus.DRAFT)
    gone = _days(sessions)[3]  # 2026-03-02, after EDIT_NOW
    coordinator = create_user()
    _db.session.commit()

    discard_draft(sessions[3], by=coordinator, now=EDIT_NOW)
    _db.session.commit()
    _edit(series, replace(plan_of(series), start=time(9, 0), end=time(12, 30)))

    days = _days(series_sessions(series.id))
    assert gone not in days and len(days) == len(sessions) - 1
    assert D(gone) in plan_of(series).skip_dates

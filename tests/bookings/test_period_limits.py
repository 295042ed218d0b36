"""Issue #17, item 7: limits per person per day, week and month — off by default, set by
the admin, counting clinic bookings only (by the session's local day; cancelled and
stopped ones do not count); refusals name the period and follow the refusal rule."""

from datetime import time, timedelta

import pytest

from app.bookings.errors import BookingError
from app.bookings.services import changes, desk
from app.extensions import db
from app.patients.models import Relation
from app.scheduling.models import SessionKind
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_expert,
    create_patient,
    create_policy,
    create_session,
    create_user,
    make_id_number,
)

THURSDAY = TODAY + timedelta(days=2)  # 3 December 2026; its week is 30 Nov – 6 Dec


def _clinic(day, start=time(8, 0), **kw):
    session = create_session(day=day, start=start, hours=1, slots=2, **kw)
    db.session.commit()
    return session.slots[0]


def _book(slot, patient, by=None):
    booking = book_slot(slot.id, patient, by=by or patient.account, now=NOW)
    db.session.commit()
    return booking


def _refusal(slot, patient, by=None) -> str:
    with pytest.raises(BookingError) as info:
        book_slot(slot.id, patient, by=by or patient.account, now=NOW)
    db.session.rollback()
    return info.value.message


NUMBER = make_id_number(seq=71)


@pytest.fixture
def patient(db):
    create_policy(release_days=40, max_active_per_person=20)
    patient = create_patient(id_number=NUMBER)
    db.session.commit()
    return patient


def test_off_by_default(db, patient):
    for hour in (8, 10, 14):
        _book(_clinic(THURSDAY, time(hour, 0)), patient)


def test_a_limit_per_day(db, patient):
    create_policy(max_per_day=1)
    _book(_clinic(THURSDAY), patient)

    assert _refusal(_clinic(THURSDAY, time(14, 0)), patient) == (
        "李秀英在12月3日已有1个门诊预约，每人每天最多1个，请换一天")
    _book(_clinic(THURSDAY + timedelta(days=1)), patient)
    # A lecture's seat is not a clinic booking: it neither counts nor is refused.
    _book(_clinic(THURSDAY, time(19, 0), kind=SessionKind.LECTURE, title="渌江讲坛"), patient)


def test_a_limit_per_week_counts_monday_to_sunday_and_not_cancelled_bookings(db, patient):
    create_policy(max_per_week=2)
    first = _book(_clinic(THURSDAY), patient)
    _book(_clinic(THURSDAY + timedelta(days=1)), patient)
    saturday = _clinic(THURSDAY + timedelta(days=2))

    assert _refusal(saturday, patient) == (
        "李秀英在11月30日至12月6日这一周已有2个门诊预约，每人每周最多2个，请换一周")
    _book(_clinic(THURSDAY + timedelta(days=4)), patient)  # Monday 7 December: a new week
    changes.cancel_booking(first, by=patient.account, now=NOW)
    db.session.commit()
    _book(saturday, patient)


def test_a_limit_per_month(db, patient):
    create_policy(max_per_month=2)
    _book(_clinic(THURSDAY), patient)
    _book(_clinic(TODAY + timedelta(days=20)), patient)

    assert _refusal(_clinic(TODAY + timedelta(days=30)), patient) == (
        "李秀英在2026年12月已有2个门诊预约，每人每月最多2个，请换一个月")
    _book(_clinic(TODAY + timedelta(days=31)), patient)  # 1 January 2027


def test_the_refusal_is_specific_only_to_whoever_booked_every_counted_booking(db, patient):
    create_policy(max_per_day=1)
    daughter = create_user()
    mother_in_her_account = create_patient(account=daughter, relation=Relation.PARENT,
                                           id_number=NUMBER)
    db.session.commit()
    _book(_clinic(THURSDAY), patient)  # by the mother's own account
    later = _clinic(THURSDAY, time(14, 0))

    assert _refusal(later, mother_in_her_account, by=daughter) == (
        "李秀英现在不能在网上预约。请到医院窗口咨询，或用李秀英本人的账号预约。")
    assert "每人每天最多1个" in _refusal(later, patient)  # the holder's own account


def test_the_front_desk_hears_the_limit_too(db, patient):
    create_policy(max_per_day=1)
    _book(_clinic(THURSDAY), patient)
    clerk = create_user()
    db.session.commit()
    slot = _clinic(THURSDAY, time(14, 0))

    with pytest.raises(BookingError, match="每人每天最多1个"):
        desk.book_walk_in(slot.id, patient, by=clerk, now=NOW)
    db.session.rollback()


def test_rescheduling_follows_the_limits_of_the_new_day(db, patient):
    create_policy(max_per_day=1)
    expert = create_expert()
    thursday = create_session(day=THURSDAY, hours=1, slots=2, experts=[expert])
    friday = create_session(day=THURSDAY + timedelta(days=1), hours=1, slots=2,
                            experts=[expert])
    db.session.commit()
    booking = _book(thursday.slots[0], patient)
    _book(_clinic(THURSDAY + timedelta(days=1), time(14, 0)), patient)

    # Within its own day, the booking being moved does not count against itself.
    moved = changes.reschedule_booking(booking, thursday.slots[1].id, by=patient.account,
                                       now=NOW)
    db.session.commit()
    assert moved.slot_id == thursday.slots[1].id
    with pytest.raises(BookingError, match="在12月4日已有1个门诊预约"):
        changes.reschedule_booking(moved, friday.slots[0].id, by=patient.account, now=NOW)
    db.session.rollback()

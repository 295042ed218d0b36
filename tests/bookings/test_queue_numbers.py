"""Issue #16, item 12: queue numbers follow the clock. Each slot owns the numbers of its
places (08:00 with 5 places → 1–5, the next slot 6–10 …); a booking takes the lowest
free number of its slot; a cancelled place's number is free again, and the database
lets at most one active booking hold a number; places added later take numbers after
the session's last range. Check-in only on the session's day."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.bookings.errors import BookingError
from app.bookings.models import Booking, BookingStatus
from app.bookings.services import changes, desk, engine
from app.extensions import db as _db
from app.scheduling.models import Session, Slot, queue_ranges
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_coordinator,
    create_patient,
    create_session,
    make_id_number,
)

DAY = TODAY + timedelta(days=2)


def _person(n: int):
    return create_patient(phone=f"1390000{n:04d}", id_number=make_id_number(seq=n))


def _book(slot: Slot, n: int) -> Booking:
    patient = _person(n)
    _db.session.commit()
    booking = book_slot(slot.id, patient, by=patient.account, now=NOW)
    _db.session.commit()
    return booking


def test_the_lowest_free_number_of_the_slot_and_a_cancelled_one_again(db):
    session = create_session(day=DAY, slots=3, capacity=3)
    a, b, c = (_book(session.slots[1], n) for n in (1, 2, 3))
    assert [a.queue_number, b.queue_number, c.queue_number] == [4, 5, 6]

    changes.cancel_booking(b, by=b.patient.account, now=NOW)
    db.session.commit()
    assert _book(session.slots[1], 4).queue_number == 5
    assert _book(session.slots[0], 5).queue_number == 1


def test_places_added_later_take_numbers_after_the_last_range(db):
    session = create_session(day=DAY, slots=2, capacity=2)
    _book(session.slots[0], 1)  # gives the ranges: 1–2, 3–4
    _book(session.slots[0], 2)
    session.slots[0].capacity = 3  # one more place at 08:00
    late = Slot(session_id=session.id, start_dt=session.end_dt,
                end_dt=session.end_dt + timedelta(minutes=30), capacity=2)
    db.session.add(late)
    db.session.commit()

    assert _book(session.slots[0], 3).queue_number == 5  # after the last range (3–4)
    assert _book(late, 4).queue_number == 6  # the new slot's range starts after it
    assert (late.first_number, late.numbers) == (6, 2)
    assert db.session.get(Session, session.id).last_queue_number == 7


def test_a_session_booked_before_ranges_keeps_its_numbers(db):
    """Sessions booked before this change: their slots' ranges start after the numbers
    already given."""
    session = create_session(day=DAY, slots=2, capacity=5)
    db.session.execute(update(Session).where(Session.id == session.id)
                       .values(last_queue_number=4))
    db.session.commit()

    assert _book(session.slots[1], 1).queue_number == 10  # 08:00 → 5–9, next → 10–14


def test_ranges_follow_the_slots_times_not_their_ids(db):
    """The first booking gives every slot its range in one statement: in time order
    whatever order the slots were made in, as many numbers as places, and one for a
    slot without places — as ``queue_ranges`` says."""
    session = create_session(day=DAY, slots=0)
    capacities = [3, 0, 5, 1, 4, 2]  # in time order
    made_in = [4, 1, 5, 0, 3, 2]  # the order of their ids
    for i in made_in:
        start = session.start_dt + timedelta(minutes=30 * i)
        db.session.add(Slot(session_id=session.id, start_dt=start,
                            end_dt=start + timedelta(minutes=30), capacity=capacities[i]))
    db.session.commit()
    slots = db.session.scalars(select(Slot).where(Slot.session_id == session.id)
                               .order_by(Slot.start_dt)).all()

    assert _book(slots[4], 1).queue_number == 11  # 3 + 1 + 5 + 1 before it: 11–14
    db.session.expire_all()
    assert [(s.first_number, s.numbers) for s in slots] == queue_ranges(0, capacities)
    assert db.session.get(Session, session.id).last_queue_number == 16


def test_a_range_given_meanwhile_is_read_under_the_lock(db):
    """A booking that read no range before the lock, while another booking gave the
    ranges meanwhile, takes the lowest free number of the range that was given."""
    session = create_session(day=DAY, slots=2, capacity=2)
    _book(session.slots[1], 1)  # gives 1–2 and 3–4, takes 3
    number = engine.next_queue_number(session.id, session.slots[1].id, numbers=(0, 0))
    assert number == 4
    assert db.session.get(Session, session.id).last_queue_number == 4
    db.session.rollback()


def test_a_reschedule_into_a_session_never_booked_gives_its_ranges(db):
    first = create_session(day=DAY, slots=1, capacity=2)
    second = create_session(day=DAY, slots=3, capacity=2, start=first.end_dt.time(),
                            venue=first.venue, experts=first.experts)
    booking = _book(first.slots[0], 1)
    db.session.commit()

    moved = changes.reschedule_booking(booking, second.slots[1].id,
                                       by=booking.patient.account, now=NOW)
    db.session.commit()
    assert moved.queue_number == 3  # second's slots: 1–2, 3–4, 5–6
    assert [(s.first_number, s.numbers) for s in second.slots] == [(1, 2), (3, 2), (5, 2)]


def test_the_database_lets_one_active_booking_hold_a_number(db):
    session = create_session(day=DAY, slots=1, capacity=3)
    first = _book(session.slots[0], 1)
    second = _book(session.slots[0], 2)

    with pytest.raises(IntegrityError):
        db.session.execute(update(Booking).where(Booking.id == second.id)
                           .values(queue_number=first.queue_number))
    db.session.rollback()
    # A cancelled booking keeps its number without holding it.
    changes.cancel_booking(first, by=first.patient.account, now=NOW)
    db.session.commit()
    db.session.execute(update(Booking).where(Booking.id == second.id)
                       .values(queue_number=first.queue_number))
    db.session.commit()
    numbers = db.session.execute(select(Booking.status, Booking.queue_number)
                                 .order_by(Booking.id)).all()
    assert numbers == [(BookingStatus.CANCELLED, 1), (BookingStatus.CONFIRMED, 1)]


def test_check_in_only_on_the_sessions_day(db):
    session = create_session(day=DAY, slots=1)
    booking = _book(session.slots[0], 1)
    coordinator = create_coordinator(session.venue)
    db.session.commit()

    with pytest.raises(BookingError) as refused:
        desk.check_in(booking, by=coordinator, now=NOW)
    assert refused.value.message.startswith("只能在就诊当天签到")
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED

    on_the_day = NOW + timedelta(days=2)
    checked = desk.check_in(db.session.get(Booking, booking.id), by=coordinator, now=on_the_day)
    db.session.commit()
    assert checked.status == BookingStatus.CHECKED_IN


def test_a_number_clash_is_a_clear_refusal_not_a_failure(db, monkeypatch):
    """The session's lock rules it out; should a number be held anyway, the booking is
    refused with a message to try again, and nothing is written."""
    from app.bookings.services import engine

    session = create_session(day=DAY, slots=1, capacity=3)
    first = _book(session.slots[0], 1)
    monkeypatch.setattr(engine, "next_queue_number", lambda *a, **k: first.queue_number)

    with pytest.raises(BookingError) as refused:
        _book(session.slots[0], 2)
    assert refused.value.message == "这个号刚被占用，请重新预约"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1

"""Waitlist offers held against capacity, the front desk, no-shows, closing and stopping."""

from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from app.auth.models import Role
from app.bookings.errors import BookingError
from app.bookings.models import (
    Booking,
    BookingSource,
    BookingStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from app.bookings.services import changes, desk, stopping, waitlist
from app.core.models import AuditEntry
from app.extensions import db
from app.notifications.compose import SMS_LENGTH
from app.notifications.models import Message, MessageStatus
from app.patients.models import Person
from app.scheduling.models import Audience, Session, SessionKind, SessionStatus, Slot
from tests.api.helpers import bearer
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
from tests.helpers import login_as

DAY = TODAY + timedelta(days=2)


def _clinic(db, **kw):
    kw.setdefault("day", DAY)
    session = create_session(**kw)
    db.session.commit()
    return session


def _people(db, n):
    patients = [create_patient(id_number=make_id_number(seq=2 * i + 1), phone=f"1390000{i:04d}")
                for i in range(n)]
    db.session.commit()
    return patients


def _walk_in(slot_id, *, name, phone, id_number, by, now=NOW):
    patient = desk.register_walk_in(name=name, phone=phone, id_number=id_number)
    db.session.commit()  # as the desk page does: the person's record, then the booking
    return desk.book_walk_in(slot_id, patient, by=by, now=now)


def _refusal(fn) -> str:
    with pytest.raises(BookingError) as info:
        fn()
    return info.value.message


def _full_slot_with_waiters(db, waiters=2):
    session = _clinic(db, slots=1, capacity=1)
    slot = session.slots[0]
    holder, *queue = _people(db, 1 + waiters)
    booking = book_slot(slot.id, holder, by=holder.account, now=NOW)
    db.session.commit()
    entries = []
    for patient in queue:
        entries.append(waitlist.join_waitlist(slot.id, patient, by=patient.account, now=NOW))
        db.session.commit()
    return slot, holder, booking, queue, entries


def test_waiters_are_told_their_position(db):
    _, _, _, _, entries = _full_slot_with_waiters(db, waiters=2)

    assert [waitlist.position(e) for e in entries] == [1, 2]


def test_only_a_full_slot_takes_waiters(db):
    session = _clinic(db)
    (patient,) = _people(db, 1)

    assert _refusal(lambda: waitlist.join_waitlist(
        session.slots[0].id, patient, by=patient.account, now=NOW)) == "该时段还有空位，请直接预约"


def test_cancel_offers_the_place_to_the_first_waiter_and_holds_it(db):
    slot, holder, booking, queue, entries = _full_slot_with_waiters(db)

    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()

    first = db.session.get(WaitlistEntry, entries[0].id)
    assert first.status == WaitlistStatus.OFFERED
    assert first.offer_expires_dt == NOW + timedelta(minutes=30)
    assert db.session.get(Slot, slot.id).booked_count == 1  # held, not back to the rush
    outsider = create_patient(id_number=make_id_number(seq=99))
    db.session.commit()
    assert _refusal(lambda: book_slot(slot.id, outsider, by=outsider.account,
                                             now=NOW)) == "该时段已约满，可以登记候补"
    offer_sms = db.session.scalar(select(Message).where(Message.kind == "waitlist_offer",
                                                        Message.recipient == queue[0].phone))
    assert "已为李秀英保留到12月1日 09:30" in offer_sms.body


def _offer_sms(db, phone: str) -> Message:
    db.session.expire_all()
    return db.session.scalar(select(Message).where(Message.kind == "waitlist_offer",
                                                   Message.recipient == phone))


def test_an_offers_sms_expires_with_it_and_is_withdrawn_when_it_ends_sooner(db):
    """Issue #16, item 13: seen — an offer made at 14:42, accepted at 14:50, its
    session stopped later, and the next morning's sweep still sent "保留到…15:12"."""
    slot, holder, booking, queue, entries = _full_slot_with_waiters(db, waiters=3)
    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()
    sms = _offer_sms(db, queue[0].phone)
    assert (sms.status, sms.expires_dt) == (MessageStatus.PENDING, NOW + timedelta(minutes=30))

    waitlist.accept_offer(db.session.get(WaitlistEntry, entries[0].id),
                          by=queue[0].account, now=NOW + timedelta(minutes=8))
    db.session.commit()
    assert _offer_sms(db, queue[0].phone).status == MessageStatus.CANCELLED

    # Left: the place passes on, and the leaver's SMS is not sent.
    accepted = db.session.scalar(select(Booking).where(Booking.patient_id == queue[0].id))
    changes.cancel_booking(accepted, by=queue[0].account, now=NOW + timedelta(minutes=9))
    db.session.commit()
    assert _offer_sms(db, queue[1].phone).status == MessageStatus.PENDING
    waitlist.leave_waitlist(db.session.get(WaitlistEntry, entries[1].id), by=queue[1].account,
                            now=NOW + timedelta(minutes=10))
    db.session.commit()
    assert _offer_sms(db, queue[1].phone).status == MessageStatus.CANCELLED

    # Stopped: the last waiter's offer is not sent either.
    assert _offer_sms(db, queue[2].phone).status == MessageStatus.PENDING
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    stopping.stop_session(db.session.get(Session, slot.session_id), by=coordinator,
                          reason="专家临时出差", now=NOW + timedelta(minutes=11))
    db.session.commit()
    assert _offer_sms(db, queue[2].phone).status == MessageStatus.CANCELLED


def test_an_offer_that_expires_withdraws_its_sms_and_passes_the_place_on(db):
    slot, holder, booking, queue, entries = _full_slot_with_waiters(db, waiters=2)
    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()

    assert waitlist.expire_offers(now=NOW + timedelta(minutes=31)) == 1
    db.session.commit()
    assert _offer_sms(db, queue[0].phone).status == MessageStatus.CANCELLED
    assert _offer_sms(db, queue[1].phone).status == MessageStatus.PENDING


def test_accepting_an_offer_books_the_held_place(db):
    slot, holder, booking, queue, entries = _full_slot_with_waiters(db)
    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()

    accepted = waitlist.accept_offer(db.session.get(WaitlistEntry, entries[0].id),
                                     by=queue[0].account, now=NOW + timedelta(minutes=10))
    db.session.commit()

    # The place the cancellation freed, with its number (issue #16, item 12).
    assert (accepted.status, accepted.patient_id, accepted.queue_number) == (
        BookingStatus.CONFIRMED, queue[0].id, booking.queue_number)
    assert db.session.get(Slot, slot.id).booked_count == 1
    assert db.session.get(WaitlistEntry, entries[0].id).status == WaitlistStatus.ACCEPTED


def _two_full_slots_one_waiter_on_both(db):
    """Two full slots of one session; the same person waits for both, another waits
    behind them on the second."""
    session = _clinic(db, slots=2, capacity=1)
    first, second = session.slots
    holder_a, holder_b, waiter, behind = _people(db, 4)
    bookings = [book_slot(first.id, holder_a, by=holder_a.account, now=NOW),
                book_slot(second.id, holder_b, by=holder_b.account, now=NOW)]
    db.session.commit()
    entries = [waitlist.join_waitlist(slot.id, waiter, by=waiter.account, now=NOW)
               for slot in (first, second)]
    entries.append(waitlist.join_waitlist(second.id, behind, by=behind.account, now=NOW))
    db.session.commit()
    return (holder_a, holder_b, waiter), bookings, entries


def test_a_waiter_booked_into_the_session_is_not_held_another_place_in_it(db):
    """Accepting one slot's offer ends the person's wait for the session's other slot:
    a place freed there goes to the next waiter, not to them (who could not take it:
    one place per person and session), which kept everyone behind waiting 30 minutes."""
    (holder_a, holder_b, waiter), (first, second), (mine_1, mine_2, theirs) = \
        _two_full_slots_one_waiter_on_both(db)
    changes.cancel_booking(first, by=holder_a.account, now=NOW)
    db.session.commit()
    waitlist.accept_offer(db.session.get(WaitlistEntry, mine_1.id), by=waiter.account,
                          now=NOW)
    db.session.commit()

    changes.cancel_booking(second, by=holder_b.account, now=NOW)
    db.session.commit()

    assert [db.session.get(WaitlistEntry, e.id).status for e in (mine_1, mine_2, theirs)] == [
        WaitlistStatus.ACCEPTED, WaitlistStatus.CANCELLED, WaitlistStatus.OFFERED]


def test_a_waiter_who_booked_the_session_directly_is_passed_over(db):
    (holder_a, holder_b, waiter), (first, second), (mine_1, mine_2, theirs) = \
        _two_full_slots_one_waiter_on_both(db)
    waiter_patient, account = waiter, waiter.account
    changes.cancel_booking(first, by=holder_a.account, now=NOW)
    db.session.commit()
    waitlist.leave_waitlist(db.session.get(WaitlistEntry, mine_1.id), by=account, now=NOW)
    db.session.commit()  # the freed place returns to the slot: nobody else waits for it
    book_slot(first.slot_id, waiter_patient, by=account, now=NOW)
    db.session.commit()

    changes.cancel_booking(second, by=holder_b.account, now=NOW)
    db.session.commit()

    assert [db.session.get(WaitlistEntry, e.id).status for e in (mine_2, theirs)] == [
        WaitlistStatus.CANCELLED, WaitlistStatus.OFFERED]


def test_an_expired_offer_passes_to_the_next_waiter_then_back_to_the_slot(db):
    slot, holder, booking, queue, entries = _full_slot_with_waiters(db)
    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()

    assert waitlist.expire_offers(now=NOW + timedelta(minutes=31)) == 1
    db.session.commit()
    assert [db.session.get(WaitlistEntry, e.id).status for e in entries] == [
        WaitlistStatus.EXPIRED, WaitlistStatus.OFFERED]
    told = db.session.execute(select(Message.user_id, Message.channel, Message.body).where(
        Message.kind == "waitlist_expired")).all()
    assert {(t.user_id, t.channel) for t in told} == {
        (entries[0].account_id, "inbox"), (entries[0].account_id, "sms")}
    assert all("已过期" in t.body for t in told)
    assert waitlist.expire_offers(now=NOW + timedelta(minutes=62)) == 1
    db.session.commit()
    assert db.session.get(Slot, slot.id).booked_count == 0


def test_auto_confirm_books_the_first_waiter_at_once(db):
    create_policy(waitlist_auto_confirm=True)
    slot, holder, booking, queue, entries = _full_slot_with_waiters(db)

    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()

    entry = db.session.get(WaitlistEntry, entries[0].id)
    assert entry.status == WaitlistStatus.ACCEPTED
    assert db.session.get(Booking, entry.booking_id).patient_id == queue[0].id
    assert db.session.get(Slot, slot.id).booked_count == 1


def test_front_desk_books_walk_ins_outside_the_online_window(db):
    session = _clinic(db, day=TODAY + timedelta(days=10), slots=1, capacity=1)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()

    booking = _walk_in(session.slots[0].id, name="张桂兰", phone="13700001111",
                       id_number=make_id_number(seq=33), by=coordinator)
    db.session.commit()

    assert (booking.source, booking.account_id, booking.patient.name) == (
        BookingSource.FRONT_DESK, None, "张桂兰")
    assert _refusal(lambda: _walk_in(
        session.slots[0].id, name="王", phone="13700002222", id_number=make_id_number(seq=35),
        by=coordinator)) == "该时段已约满，可以登记候补"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.front_desk"))
    assert entry.actor_id == coordinator.id


def test_walk_in_counts_against_the_same_persons_limit(db):
    number = make_id_number(seq=41)
    session = _clinic(db)
    patient = create_patient(id_number=number)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()

    assert _refusal(lambda: _walk_in(
        session.slots[1].id, name="李秀英", phone="13700003333", id_number=number,
        by=coordinator)) == "李秀英已预约本场，同一场次每人只能预约一个号"


def test_three_no_shows_suspend_online_booking_but_not_the_desk(db):
    (patient,) = _people(db, 1)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    for i in range(3):
        session = _clinic(db, day=DAY + timedelta(days=i), slots=1)
        booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
        db.session.commit()
        # at 12:00, once its 08:00–11:30 slot is over
        desk.mark_no_show(booking, by=coordinator, now=NOW + timedelta(days=2 + i, hours=3))
        db.session.commit()
    later = _clinic(db, day=DAY + timedelta(days=3))

    person = db.session.get(Person, patient.id_number_hash)
    # suspended for 30 days from the third no-show, marked on 5 December
    assert (person.active_count, person.suspended_until) == (
        0, NOW + timedelta(days=34, hours=3))
    assert _refusal(lambda: book_slot(later.slots[0].id, patient, by=patient.account,
                                             now=NOW)) == (
        "李秀英因多次爽约，1月4日 12:00前暂停网上预约，可到医院现场挂号")
    walk_in = _walk_in(later.slots[0].id, name=patient.name, phone=patient.phone,
                       id_number=patient.reveal_id_number(), by=coordinator)
    assert walk_in.status == BookingStatus.CONFIRMED
    # Issue #16, item 7: the person is told, by SMS and in the inbox, until when.
    told = db.session.execute(select(Message.channel, Message.recipient, Message.user_id,
                                     Message.body).where(Message.kind == "suspended")).all()
    assert sorted((t.channel, t.recipient or t.user_id) for t in told) == [
        ("inbox", patient.account_id), ("sms", patient.phone)]
    assert all("1月4日 12:00前暂停网上预约" in t.body for t in told)
    assert len(told[0].body) <= SMS_LENGTH or told[0].channel == "inbox"


def test_the_no_show_window_counts_from_the_sessions_day_not_the_marking(db):
    """Issue #16, item 13: no-shows marked late for sessions long past do not suspend:
    the 90-day window counts from the day the person did not come."""
    (patient,) = _people(db, 1)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    marked = NOW + timedelta(days=100)
    days = (DAY, DAY + timedelta(days=1), DAY + timedelta(days=95))  # two long before
    for day in days:
        session = _clinic(db, day=day, slots=1)
        booking = book_slot(session.slots[0].id, patient, by=patient.account,
                            now=session.slots[0].start_dt - timedelta(days=1))
        db.session.commit()
        desk.mark_no_show(booking, by=coordinator, now=marked)
        db.session.commit()

    person = db.session.get(Person, patient.id_number_hash)
    assert (person.active_count, person.suspended_until) == (0, None)


def test_check_in_by_code_or_phone(db):
    session = _clinic(db)
    (patient,) = _people(db, 1)
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()

    assert desk.find_for_check_in(session.id, booking.code.lower()) == [booking]
    assert desk.find_for_check_in(session.id, patient.phone) == [booking]
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    on_the_day = session.slots[0].start_dt - timedelta(minutes=20)
    desk.check_in(booking, by=coordinator, now=on_the_day)
    assert db.session.get(Booking, booking.id).checked_in_dt == on_the_day


def test_closing_a_past_session_marks_no_shows_and_completes_check_ins(db):
    session = _clinic(db)
    came, missed = _people(db, 2)
    a = book_slot(session.slots[0].id, came, by=came.account, now=NOW)
    db.session.commit()
    b = book_slot(session.slots[1].id, missed, by=missed.account, now=NOW)
    db.session.commit()
    staff = create_user()
    db.session.commit()
    desk.check_in(a, by=staff, now=session.start_dt)
    db.session.commit()

    assert desk.close_past_sessions(now=session.end_dt + timedelta(minutes=1)) == 1
    db.session.commit()

    assert db.session.get(Session, session.id).status == SessionStatus.COMPLETED
    assert [db.session.get(Booking, x.id).status for x in (a, b)] == [
        BookingStatus.COMPLETED, BookingStatus.NO_SHOW]
    assert [db.session.get(Person, p.id_number_hash).active_count for p in (came, missed)] == [
        0, 0]


def test_stop_session_cancels_bookings_frees_places_and_tells_everyone(db, monkeypatch):
    # No site address, so the one-SMS notice has room for the reason (with an address it
    # carries the link instead: the next test).
    monkeypatch.setitem(current_app.config, "SITE_URL", "")
    expert = create_expert(user=create_user(roles=(Role.EXPERT,)))
    session = _clinic(db, experts=[expert])
    alternative = _clinic(db, experts=[create_expert(specialty=expert.specialty)],
                          day=DAY + timedelta(days=1))
    patients = _people(db, 2)
    bookings = []
    for i, p in enumerate(patients):
        bookings.append(book_slot(session.slots[i].id, p, by=p.account, now=NOW))
        db.session.commit()
    reminder = Message(channel="sms", kind="reminder_24h", body="x", booking_id=bookings[0].id,
                       due_dt=NOW + timedelta(days=1), created_dt=NOW)
    db.session.add(reminder)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()

    stopped = stopping.stop_session(session, "专家临时有手术安排", by=coordinator, now=NOW)
    db.session.commit()

    assert (stopped.count, stopped.to_call) == (2, [])
    assert [db.session.get(Booking, b.id).status for b in bookings] == [BookingStatus.STOPPED] * 2
    assert [db.session.get(Slot, s.id).booked_count for s in session.slots[:2]] == [0, 0]
    assert db.session.get(Message, reminder.id).status == MessageStatus.CANCELLED
    notices = db.session.scalars(select(Message).where(Message.kind == "session_stopped",
                                                       Message.channel == "sms")).all()
    assert sorted(m.recipient for m in notices) == sorted(p.phone for p in patients)
    assert "专家临时有手术安排" in notices[0].body and len(notices[0].body) <= SMS_LENGTH
    inbox = db.session.scalars(select(Message).where(Message.kind == "session_stopped",
                                                     Message.channel == "inbox")).all()
    assert len(inbox) == 2 and alternative.venue.name in inbox[0].body  # the list is inside
    told = db.session.execute(select(Message.user_id, Message.channel, Message.body).where(
        Message.kind == "session_stopped_expert")).all()
    assert [(t.user_id, t.channel) for t in told] == [(expert.user_id, "inbox")]
    assert "已通知 2 位预约的居民" in told[0].body
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.object_id == session.id)) == "session.stop"


def test_stop_session_sms_links_the_page_that_lists_alternatives(db, client, monkeypatch):
    monkeypatch.setitem(current_app.config, "SITE_URL", "https://xq.example.cn")
    expert = create_expert()
    session = _clinic(db, experts=[expert])
    alternative = _clinic(db, experts=[create_expert(specialty=expert.specialty)],
                          day=DAY + timedelta(days=1))
    patient = _people(db, 1)[0]
    book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()

    stopping.stop_session(session, "专家临时有手术安排", by=coordinator, now=NOW)
    db.session.commit()

    sms = db.session.scalar(select(Message.body).where(Message.kind == "session_stopped",
                                                       Message.channel == "sms"))
    link = f"https://xq.example.cn/s/{session.id}"
    assert link in sms and len(sms) <= SMS_LENGTH
    page = client.get(f"/s/{session.id}", follow_redirects=True).get_data(as_text=True)
    assert "可以改约的场次" in page and f"/sessions/{alternative.id}" in page
    assert "号源" not in page and "/book" not in page  # a stopped session offers no places


def test_the_stop_notice_in_the_inbox_links_each_alternative(db, client, monkeypatch):
    """Issue #16, item 7: the 停诊 notice in the inbox lists its alternatives as links
    to their pages (where 预约 opens the booking form); a link elsewhere stays text."""
    monkeypatch.setitem(current_app.config, "SITE_URL", "https://xq.example.cn")
    expert = create_expert()
    session = _clinic(db, experts=[expert])
    alternative = _clinic(db, experts=[create_expert(specialty=expert.specialty)],
                          day=DAY + timedelta(days=1))
    patient = _people(db, 1)[0]
    book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    stopping.stop_session(session, "见 https://elsewhere.example/sessions/1", by=coordinator,
                          now=NOW)
    db.session.commit()

    login_as(client, patient.account)
    inbox = client.get("/inbox").text
    assert f'<a class="button" href="/sessions/{alternative.id}">打开</a>' in inbox
    assert "https://elsewhere.example/sessions/1" in inbox  # not a link
    assert 'href="https://elsewhere' not in inbox


def test_stop_session_needs_a_reason(db):
    session = _clinic(db)

    assert _refusal(lambda: stopping.stop_session(session, "  ", by=create_user(),
                                                  now=NOW)) == "请填写停诊原因"


def test_a_lecture_for_local_doctors_is_booked_by_the_desk_not_online(db, client):
    """Issue #16, item 13: a lecture or forum whose audience is professional takes no
    online sign-up — a clear refusal on the page, the API and the waitlist — while the
    desk books its seats."""
    lecture = create_session(day=DAY, kind=SessionKind.LECTURE, slots=1, capacity=1,
                             audience=Audience.PROFESSIONAL)
    (patient,) = _people(db, 1)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    slot_id = lecture.slots[0].id

    refused = "本场面向医务人员，不在网上报名；请通过所在卫生院报名"
    assert _refusal(lambda: book_slot(slot_id, patient, by=patient.account, now=NOW)) == refused
    answer = client.post("/api/v1/bookings", json={"slot_id": slot_id},
                         headers=bearer(patient.account))
    assert answer.status_code == 409 and answer.get_json()["error"]["message"] == refused
    page = client.get(f"/sessions/{lecture.id}").text
    assert refused in page and f"/slots/{slot_id}/book" not in page
    assert "面向医务人员 · 卫生院报名" in page and "放号" not in page and "余 1" not in page
    login_as(client, patient.account)
    form = client.get(f"/slots/{slot_id}/book").text
    assert refused in form and "确认预约" not in form

    seat = desk.book_walk_in(slot_id, patient, by=coordinator, now=NOW)
    assert seat.status == BookingStatus.CONFIRMED
    db.session.commit()
    assert _refusal(lambda: waitlist.join_waitlist(slot_id, patient, by=patient.account,
                                                   now=NOW)) == refused

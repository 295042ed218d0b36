"""The front desk in the console: check-in, no-shows, staff cancellations, walk-ins."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.bookings.models import Booking, BookingSource, BookingStatus
from app.bookings.services import stopping
from app.core.models import AuditEntry
from app.notifications.models import Channel, Message
from app.scheduling.models import Session, Slot
from tests.console.helpers import csrf, flashes, nonce
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_coordinator,
    create_expert_user,
    create_patient,
    create_session,
    make_id_number,
)
from tests.helpers import PASSWORD, login

DAY = TODAY + timedelta(days=2)


def _desk(db, login_as, *, patients=1, **kw):
    """A published clinic with one booking per patient, and its coordinator logged in."""
    session = create_session(**kw)
    people = [create_patient(phone=f"1390000{i:04d}", name=f"患者{i}") for i in range(patients)]
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    bookings = []
    for i, patient in enumerate(people):
        bookings.append(book_slot(session.slots[i].id, patient, by=patient.account,
                                         now=NOW - timedelta(days=1)))
        db.session.commit()
    login_as(coordinator)
    return session, bookings, coordinator


def _status(db, booking) -> BookingStatus:
    return db.session.scalar(select(Booking.status).where(Booking.id == booking.id))


def _post(client, session, path: str, data: dict | None = None):
    token = csrf(client.get(f"/console/sessions/{session.id}").text)
    return client.post(f"/console/sessions/{session.id}{path}",
                       data={"csrf_token": token, **(data or {})}, follow_redirects=True)


def test_check_in_by_booking_code(db, client, login_as):
    session, (booking,), coordinator = _desk(db, login_as)

    page = _post(client, session, "/check-in", {"q": booking.code.lower()})

    assert flashes(page.text) == ["已签到：第1号 患者0"]
    assert _status(db, booking) == BookingStatus.CHECKED_IN
    assert db.session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.action == "booking.check_in")) == coordinator.id


def test_check_in_by_phone_typed_with_spaces(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as)

    page = _post(client, session, "/check-in", {"q": "139 0000 0000"})

    assert flashes(page.text) == ["已签到：第1号 患者0"]
    assert _status(db, booking) == BookingStatus.CHECKED_IN


def test_one_phone_for_several_bookings_lists_them_to_choose(db, client, login_as):
    session = create_session()
    people = [create_patient(id_number=make_id_number(seq=51 + 2 * i), phone="13711112222",
                             name=name) for i, name in enumerate(["张大爷", "张奶奶"])]
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    bookings = []
    for i, p in enumerate(people):
        bookings.append(book_slot(session.slots[i].id, p, by=p.account,
                                         now=NOW - timedelta(days=1)))
        db.session.commit()
    login_as(coordinator)

    page = _post(client, session, "/check-in", {"q": "13711112222"})

    assert "找到 2 个预约，请核对后签到：" in page.text
    assert [_status(db, b) for b in bookings] == [BookingStatus.CONFIRMED] * 2
    chosen = _post(client, session, f"/bookings/{bookings[1].id}/check-in")
    assert flashes(chosen.text) == ["已签到：第6号 张奶奶"]  # the second slot's first number
    assert [_status(db, b) for b in bookings] == [BookingStatus.CONFIRMED,
                                                  BookingStatus.CHECKED_IN]


def test_check_in_with_an_unknown_code_says_so(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as)

    page = _post(client, session, "/check-in", {"q": "ZZZZZZ"})

    assert flashes(page.text) == ["没有找到预约码或手机号为 ZZZZZZ 的有效预约"]
    assert _status(db, booking) == BookingStatus.CONFIRMED


def test_mark_no_show(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as)

    page = _post(client, session, f"/bookings/{booking.id}/no-show")

    assert flashes(page.text) == ["已标记爽约：第1号 患者0"]
    assert _status(db, booking) == BookingStatus.NO_SHOW


def test_a_row_action_comes_back_to_its_row_and_a_refusal_to_the_top(db, client, login_as):
    """In a long list the desk keeps its place: the page opens at the row acted on,
    which shows its new status; a refusal opens at the top, where its message is."""
    session, (first, second), _ = _desk(db, login_as, patients=2)
    token = csrf(client.get(f"/console/sessions/{session.id}").text)
    base = f"/console/sessions/{session.id}/bookings"

    done = client.post(f"{base}/{second.id}/check-in", data={"csrf_token": token})
    again = client.post(f"{base}/{second.id}/check-in", data={"csrf_token": token})

    assert done.headers["Location"] == f"/console/sessions/{session.id}#booking-{second.id}"
    # Explicitly at the top: a redirect without an anchor keeps the posting form's.
    assert again.headers["Location"] == f"/console/sessions/{session.id}#main"
    found = client.post(f"/console/sessions/{session.id}/check-in",
                        data={"csrf_token": token, "q": first.code})
    assert found.headers["Location"] == f"/console/sessions/{session.id}#booking-{first.id}"
    page = client.get(f"/console/sessions/{session.id}").text
    assert f'id="booking-{second.id}"' in page


def test_a_no_show_only_once_the_slot_is_over(db, client, login_as):
    """One who is late is still checked in until their slot ends: before that the
    desk has no 爽约 button, and a mark posted anyway is refused."""
    # One patient a slot: 08:00–08:30 and 08:30–09:00 are over at 09:00, 09:00–09:30 not.
    session, (over, ended, running), _ = _desk(db, login_as, patients=3, hours=1.5, slots=3)

    page = client.get(f"/console/sessions/{session.id}").text
    marks = re.findall(r'/bookings/(\d+)/no-show', page)
    assert marks == [str(over.id), str(ended.id)]
    refused = _post(client, session, f"/bookings/{running.id}/no-show")
    assert flashes(refused.text) == ["这个号的就诊时段还没结束，不能标记爽约"]
    assert _status(db, running) == BookingStatus.CONFIRMED


def test_checking_in_twice_is_refused_with_a_message(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as)
    _post(client, session, f"/bookings/{booking.id}/check-in")

    page = _post(client, session, f"/bookings/{booking.id}/check-in")

    assert page.status_code == 200
    assert [m[:7] for m in flashes(page.text)] == ["该预约不能签到"]


def test_staff_cancel_with_a_reason_frees_the_place(db, client, login_as):
    session, (booking,), coordinator = _desk(db, login_as, day=DAY)
    path = f"/console/sessions/{session.id}/bookings/{booking.id}/cancel"
    token = csrf(client.get(path).text)

    page = client.post(path, data={"csrf_token": token, "reason": "患者来电取消"},
                       follow_redirects=True)

    assert flashes(page.text) == ["已取消：第1号 患者0"]
    db.session.expire_all()
    cancelled = db.session.get(Booking, booking.id)
    assert (cancelled.status, cancelled.cancel_reason) == (BookingStatus.CANCELLED, "患者来电取消")
    assert db.session.get(Slot, booking.slot_id).booked_count == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "booking.cancel"))
    assert (entry.actor_id, entry.after["reason"]) == (coordinator.id, "患者来电取消")


def test_staff_cancel_needs_a_reason(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as, day=DAY)
    path = f"/console/sessions/{session.id}/bookings/{booking.id}/cancel"
    token = csrf(client.get(path).text)

    page = client.post(path, data={"csrf_token": token, "reason": "  "})

    assert page.status_code == 200
    assert "请填写取消原因" in page.text
    assert _status(db, booking) == BookingStatus.CONFIRMED


def test_another_sessions_booking_is_not_found(db, client, login_as):
    session, _, _ = _desk(db, login_as)
    other, (booking,), _ = _desk(db, lambda user: None)

    page = _post(client, session, f"/bookings/{booking.id}/check-in")

    assert page.status_code == 404
    assert _status(db, booking) == BookingStatus.CONFIRMED


def _walk_in(client, session, **overrides):
    html = client.get(f"/console/sessions/{session.id}").text
    data = {"csrf_token": csrf(html), "nonce": nonce(html), "slot": session.slots[-1].id,
            "name": "张桂兰", "id_number": make_id_number(seq=33), "phone": "137 0000 1111"}
    data.update(overrides)
    return data


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_walk_in_books_once_for_the_same_nonce(db, client, login_as):
    session, _, coordinator = _desk(db, login_as, patients=0)
    data = _walk_in(client, session)
    path = f"/console/sessions/{session.id}/walk-in"

    first = client.post(path, data=data, follow_redirects=True)
    second = client.post(path, data=data, follow_redirects=True)

    assert _count(db) == 1
    booking = db.session.scalar(select(Booking))
    assert (booking.source, booking.account_id, booking.booked_by_id, booking.patient.phone) == (
        BookingSource.FRONT_DESK, None, coordinator.id, "13700001111")
    for page in (first, second):
        assert f"第 {booking.queue_number} 号" in page.text
        assert booking.code in page.text
    # The first number of the slot it went into.
    assert booking.queue_number == booking.slot.first_number
    assert flashes(first.text) == [
        f"已挂号：张桂兰，第{booking.queue_number}号，预约码 {booking.code}"]


def test_walk_in_with_a_wrong_id_number_is_refused(db, client, login_as):
    session, _, _ = _desk(db, login_as, patients=0)
    number = make_id_number(seq=33)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    data = _walk_in(client, session, id_number=wrong)

    page = client.post(f"/console/sessions/{session.id}/walk-in", data=data)

    assert page.status_code == 200
    assert "身份证号码不正确，请核对18位号码" in page.text
    assert _count(db) == 0


def test_walk_in_into_a_full_slot_says_so(db, client, login_as):
    session, _, _ = _desk(db, login_as, patients=0, slots=2, capacity=1)
    first = _walk_in(client, session)
    client.post(f"/console/sessions/{session.id}/walk-in", data=first)
    again = _walk_in(client, session, name="王", id_number=make_id_number(seq=35),
                     slot=session.slots[-1].id)

    page = client.post(f"/console/sessions/{session.id}/walk-in", data=again)

    assert "该时段已约满，可以登记候补" in page.text
    assert _count(db) == 1


def test_console_page_masks_id_numbers(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as)
    full = booking.patient.reveal_id_number()

    html = client.get(f"/console/sessions/{session.id}").text

    assert booking.patient.id_number_masked in html
    assert full not in html
    assert booking.patient.phone in html and booking.code in html


def test_review_5_a_walk_in_at_another_venue_rewrites_nothing_this_desk_recorded(
        db, client, login_as):
    here, _, coordinator = _desk(db, login_as, patients=0)
    there = create_session(day=DAY)
    other_desk = create_coordinator(there.venue, password=PASSWORD)
    db.session.commit()
    client.post(f"/console/sessions/{here.id}/walk-in",
                data=_walk_in(client, here, name="张桂兰", phone="137 0000 1111"))
    ours = db.session.scalar(select(Booking).where(Booking.session_id == here.id))
    other_browser = client.application.test_client()
    login(other_browser, other_desk.phone)

    other_browser.post(f"/console/sessions/{there.id}/walk-in", data=_walk_in(
        other_browser, there, name="张桂兰（女儿代）", phone="138 0000 2222"))
    stopping.stop_session(db.session.get(Session, here.id), "专家临时有事", by=coordinator,
                          now=NOW)
    db.session.commit()

    theirs = db.session.scalar(select(Booking).where(Booking.session_id == there.id))
    assert (ours.patient.name, ours.patient.phone) == ("张桂兰", "13700001111")
    assert (theirs.patient.name, theirs.patient.phone) == ("张桂兰（女儿代）", "13800002222")
    assert ours.person_key == theirs.person_key  # one person: limits follow her
    slip = client.get(f"/console/sessions/{here.id}/bookings/{ours.id}").text
    assert "13700001111" in slip and "13800002222" not in slip
    stop_sms = db.session.scalars(select(Message.recipient).where(
        Message.kind == "session_stopped", Message.channel == Channel.SMS)).all()
    assert stop_sms == ["13700001111"]


def test_a_walk_in_who_comes_again_as_recorded_is_the_same_record(db, client, login_as):
    session, _, _ = _desk(db, login_as, patients=0, slots=2)
    client.post(f"/console/sessions/{session.id}/walk-in", data=_walk_in(client, session))
    again = create_session(day=DAY + timedelta(days=1), venue=session.venue)
    db.session.commit()

    client.post(f"/console/sessions/{again.id}/walk-in", data=_walk_in(client, again))

    patients = db.session.scalars(select(Booking.patient_id)).all()
    assert len(patients) == 2 and len(set(patients)) == 1


def test_a_walk_in_without_a_mobile_gets_a_slip_that_says_it_is_the_only_reminder(
        db, client, login_as):
    """Issue #16, item 11: a landline or no phone at all is accepted; no SMS can reach
    it, so the slip says it is the reminder."""
    session, _, _ = _desk(db, login_as, patients=0, slots=3)
    path = f"/console/sessions/{session.id}/walk-in"
    for name, phone, kept, seq in (("张桂兰", "", "", 41), ("李冬生", "0733 2345678",
                                                            "0733-2345678", 42)):
        slip = client.post(path, data=_walk_in(client, session, name=name, phone=phone,
                                                id_number=make_id_number(seq=seq)),
                           follow_redirects=True)
        assert "没有手机号，不会收到短信提醒：请收好这张凭条" in slip.text
        assert 'data-print hidden>打印凭条<' in slip.text
        booking = db.session.scalar(select(Booking).join(Booking.patient).where(
            Booking.session_id == session.id).order_by(Booking.id.desc()).limit(1))
        assert (booking.patient.name, booking.patient.phone) == (name, kept)
        assert db.session.scalar(select(func.count()).select_from(Message).where(
            Message.booking_id == booking.id, Message.channel == Channel.SMS)) == 0

    page = client.post(path, data=_walk_in(client, session, phone="12345",
                                           id_number=make_id_number(seq=43)))
    assert "请填写11位手机号，或带区号的座机号" in page.text and _count(db) == 2


def test_stopping_names_the_walk_ins_no_message_reaches_for_the_desk_to_call(
        db, client, login_as):
    """A walk-in with a landline or no phone, booked without an account, hears nothing
    of a stop: the stop page lists them before, the desk is told to call them after,
    and nobody is counted as told who was not."""
    session, (online,), _ = _desk(db, login_as, patients=1, slots=3, day=DAY)
    create_expert_user(session.experts[0])
    db.session.commit()
    path = f"/console/sessions/{session.id}/walk-in"
    for name, phone, seq, slot in (("张桂兰", "0733 2345678", 41, 1), ("李冬生", "", 42, 2)):
        client.post(path, data=_walk_in(client, session, name=name, phone=phone,
                                        id_number=make_id_number(seq=seq),
                                        slot=session.slots[slot].id))
    stop_page = client.get(f"/console/sessions/{session.id}/stop").text
    assert "这 2 位收不到通知，停诊后请电话告知" in stop_page
    assert "6号 张桂兰 0733-2345678" in stop_page and "11号 李冬生 未留电话" in stop_page
    assert "患者0" not in stop_page.split("收不到通知")[1]

    page = client.post(f"/console/sessions/{session.id}/stop", data={
        "csrf_token": csrf(stop_page), "reason": "专家临时有事"}, follow_redirects=True)

    assert flashes(page.text) == [
        "本场已停诊，已通知 1 位患者。",
        "以下 2 位患者没有手机号，收不到停诊通知，请电话告知：6号 张桂兰 0733-2345678；"
        "11号 李冬生 未留电话"]
    told = db.session.execute(select(Message.booking_id, Message.channel).where(
        Message.kind == "session_stopped")).all()
    assert set(told) == {(online.id, Channel.SMS), (online.id, Channel.INBOX)}
    expert_notice = db.session.scalar(select(Message.body).where(
        Message.kind == "session_stopped_expert"))
    assert "已通知 1 位预约的居民" in expert_notice
    assert "另有 2 位没有手机号、收不到通知，由出诊地点电话告知。" in expert_notice
    # The stopped session's page keeps the list, for a desk that comes back to it.
    later = client.get(f"/console/sessions/{session.id}").text
    assert "这 2 位收不到停诊通知，请电话告知" in later
    assert "6号 张桂兰 0733-2345678" in later and "11号 李冬生 未留电话" in later


def test_the_desk_page_puts_the_walk_in_form_first_lists_in_time_order_and_finds_last_digits(
        db, client, login_as):
    session, bookings, _ = _desk(db, login_as, patients=2, slots=3)
    # Numbers follow the clock: a walk-in into the first slot takes its second number.
    client.post(f"/console/sessions/{session.id}/walk-in",
                data=_walk_in(client, session, slot=session.slots[0].id, phone="13700009876"))
    page = client.get(f"/console/sessions/{session.id}").text
    assert page.index('id="walk-in"') < page.index('id="check-in"') < page.index("患者名单")
    listed = [int(n) for n in re.findall(r"<strong>第 (\d+) 号 · ", page)]
    assert listed == [1, 2, 6]  # 08:00 (two), then 09:10

    found = _post(client, session, "/check-in", {"q": "9876"})
    assert flashes(found.text) == ["已签到：第2号 张桂兰"]


def test_check_in_opens_on_the_sessions_day(db, client, login_as):
    """Issue #16, item 12: before the day the desk page says when check-in opens; a
    check-in posted anyway is refused and changes nothing."""
    session, (booking,), _ = _desk(db, login_as, day=TODAY + timedelta(days=2))

    page = client.get(f"/console/sessions/{session.id}").text
    assert "签到在就诊当天" in page
    assert "查找并签到" not in page
    assert f"/bookings/{booking.id}/check-in" not in page  # no button in the row either
    refused = _post(client, session, f"/bookings/{booking.id}/check-in")
    assert flashes(refused.text) == ["只能在就诊当天签到（本号：12月3日 08:00）"]
    assert _status(db, booking) == BookingStatus.CONFIRMED

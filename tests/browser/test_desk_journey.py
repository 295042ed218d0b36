"""A township desk on a phone (issue #16, front desk): a walk-in with no phone, check-in
by the last 4 digits of a phone, stopping the session (停诊) — and the resident whose
booking it stopped opens the notice in her inbox, follows an alternative and reaches
the booking form."""

from datetime import time, timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingSource, BookingStatus
from tests.browser.conftest import sign_in
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_coordinator,
    create_expert,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.helpers import PASSWORD


def test_a_desk_books_a_walk_in_without_a_phone_checks_in_and_stops_the_session(
        db, site, phone):
    expert = create_expert()
    # Today 10:00–11:30 local (the pinned clock says 09:00); an alternative in two days.
    session = create_session(start=time(10, 0), hours=1.5, slots=3, capacity=5,
                             experts=[expert])
    alternative = create_session(day=TODAY + timedelta(days=2), slots=3, capacity=5,
                                 experts=[create_expert(specialty=expert.specialty)])
    resident = create_patient(account=create_user(password=PASSWORD), name="李秀英",
                              phone="13911112345")
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    online = book_slot(session.slots[1].id, resident, by=resident.account,
                       now=NOW - timedelta(days=1))
    db.session.commit()

    # The desk: the walk-in form comes first; no phone at all is accepted.
    sign_in(phone, site, coordinator, f"/console/sessions/{session.id}")
    phone.shot("desk")
    phone.get_by_label("姓名").fill("张桂兰")
    phone.get_by_label("身份证号码（18位）").fill(make_id_number(seq=77))
    phone.get_by_role("button", name="挂号", exact=True).click()
    phone.get_by_text("已挂号：张桂兰").first.wait_for()
    phone.shot("walk-in-slip")
    assert "短信" in phone.locator("main").inner_text()  # the slip: no SMS can reach her
    db.session.commit()
    walk_in = db.session.scalars(select(Booking).where(
        Booking.source == BookingSource.FRONT_DESK)).one()
    assert walk_in.patient.phone == ""
    assert walk_in.queue_number == walk_in.slot.first_number  # numbers follow the clock

    # Check-in by the last four digits of the resident's phone.
    phone.goto(f"{site}/console/sessions/{session.id}")
    phone.get_by_label("预约码、手机号或手机后4位").fill("2345")
    phone.get_by_role("button", name="查找并签到").click()
    phone.get_by_text(f"已签到：第{online.queue_number}号 李秀英").wait_for()
    phone.shot("checked-in")
    db.session.commit()
    assert db.session.get(Booking, online.id).status == BookingStatus.CHECKED_IN

    # 停诊, after a confirm step.
    phone.locator("main").get_by_role("link", name="停诊").click()
    phone.get_by_label("停诊原因（会发给每位已预约的患者）").fill("专家临时有手术")
    phone.shot("stop-confirm")
    phone.get_by_role("button", name="确认停诊").click()
    phone.get_by_text("本场已停诊").first.wait_for()
    phone.shot("stopped")

    # The resident: the notice in her inbox leads to an alternative's booking form.
    phone.context.clear_cookies()
    sign_in(phone, site, resident.account, "/inbox")
    phone.shot("inbox")
    phone.locator("main").get_by_role("link", name="打开").first.click()
    phone.wait_for_url(f"{site}/sessions/{alternative.id}")
    phone.shot("alternative")
    phone.locator("main").get_by_role("link", name="预约", exact=True).first.click()
    phone.get_by_role("button", name="确认预约").wait_for()
    phone.shot("booking-form")
    assert phone.get_by_label("李秀英").first.is_checked()

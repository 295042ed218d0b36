"""A resident on a phone (issue #16): what a slot says before the tap, booking for
herself from the session page in two steps, and cancelling through the confirm step.
A step is a tap or a submitted form; typing is not one."""

import re
from datetime import time, timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from tests.browser.conftest import sign_in
from tests.factories import (
    TODAY,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.helpers import PASSWORD


def _count_pages(phone) -> list[str]:
    """The pages the phone opens from now on (each tap on a link and each submitted
    form opens one; a redirect after a form does not add one)."""
    opened = []
    phone.on("framenavigated", lambda frame: frame == phone.main_frame and opened.append(
        frame.url))
    return opened



def test_a_resident_books_for_herself_in_two_steps_and_cancels_through_the_confirm_step(
        db, site, phone):
    resident = create_patient(account=create_user(password=PASSWORD), name="李秀英")
    session = create_session(day=TODAY + timedelta(days=2), slots=4, capacity=5)
    db.session.commit()
    sign_in(phone, site, resident.account, f"/sessions/{session.id}")
    phone.shot("session")

    opened = _count_pages(phone)
    phone.locator("main").get_by_role("link", name="预约", exact=True).first.click()
    phone.get_by_role("button", name="确认预约").wait_for()
    phone.shot("booking-form")
    assert phone.get_by_label(re.compile("李秀英")).is_checked()  # the only patient
    phone.get_by_role("button", name="确认预约").click()
    phone.get_by_text("预约成功！").wait_for()
    phone.shot("booked")
    assert len(opened) == 2, opened  # two taps from the session page
    db.session.commit()  # end the test's read: it sees what the site committed since
    booking = db.session.scalars(select(Booking)).one()
    assert booking.status == BookingStatus.CONFIRMED
    assert phone.get_by_text(booking.code).is_visible()

    phone.get_by_role("link", name="取消预约").click()
    phone.get_by_role("heading", name="确定取消这个预约吗？").wait_for()
    phone.shot("cancel-confirm")
    keep = phone.get_by_role("link", name="不取消")
    assert keep.evaluate("el => el === document.activeElement")  # the default
    box, cancel_box = keep.bounding_box(), phone.get_by_role(
        "button", name="确定取消").bounding_box()
    assert box["y"] < cancel_box["y"]  # first, as big as the other, and tall
    assert box["height"] >= 60 and box["width"] >= cancel_box["width"]
    db.session.commit()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED

    phone.get_by_role("button", name="确定取消").click()
    phone.get_by_text("预约已取消。").wait_for()
    phone.shot("cancelled")
    db.session.commit()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED


def test_a_slot_not_yet_released_and_a_closed_slot_offer_no_booking(db, site, phone):
    later = create_session(day=TODAY + timedelta(days=10), slots=2)
    closed = create_session(start=time(9, 30), hours=1, slots=2)
    db.session.commit()

    phone.goto(f"{site}/sessions/{later.id}")
    phone.shot("not-yet-released")
    assert phone.get_by_text("12月4日 08:00 放号").count() == 2
    assert phone.locator("main").get_by_role("link", name="预约", exact=True).count() == 0

    phone.goto(f"{site}/sessions/{closed.id}")
    phone.shot("closed")
    assert phone.get_by_text("已截止 · 请到现场挂号").count() == 2
    assert phone.locator("main").get_by_role("link", name="预约", exact=True).count() == 0


def test_a_daughter_adds_her_mother_from_the_booking_form_and_books_her_in_six_steps(
        db, site, phone):
    """Typing is not a step; choosing the relation from a list is."""
    daughter = create_patient(account=create_user(password=PASSWORD), name="李秀英")
    session = create_session(day=TODAY + timedelta(days=2), slots=4)
    db.session.commit()
    sign_in(phone, site, daughter.account, f"/sessions/{session.id}")

    opened = _count_pages(phone)
    phone.locator("main").get_by_role("link", name="预约", exact=True).first.click()
    phone.get_by_role("link", name="＋添加家人").click()
    phone.get_by_label("姓名").wait_for()
    phone.shot("add-family")
    phone.get_by_label("姓名").fill("王秀兰")
    phone.get_by_label(re.compile("身份证")).fill(make_id_number(seq=22))
    phone.get_by_label(re.compile("手机号")).fill("13900000002")
    phone.get_by_label("与本人的关系").select_option("parent")  # one tap, no page
    phone.get_by_role("button", name="保存").click()
    phone.get_by_text("已添加就诊人王秀兰").wait_for()
    phone.shot("back-at-the-slot")
    assert phone.get_by_label(re.compile("王秀兰")).is_checked()
    phone.get_by_role("button", name="确认预约").click()
    phone.get_by_text("预约成功！").wait_for()
    phone.shot("booked-for-mother")
    assert len(opened) + 1 <= 6, opened  # the pages opened, and the relation chosen
    db.session.commit()
    booking = db.session.scalars(select(Booking)).one()
    assert booking.patient.name == "王秀兰"
    assert booking.slot_id == session.slots[0].id

"""What people (and scanners) type into addresses never fails the site: an id larger
than any row's, a digit like '²' that ``str.isdigit`` accepts and ``int`` refuses, a
date in the year 9999 or 0001 — each is a 404, a form's message or the page as if it
were not asked, never a 500 (found by fuzzing a development server, 2026-12-03)."""

import io
from datetime import timedelta

import pytest

from tests.factories import (
    create_admin,
    create_coordinator,
    create_expert,
    create_patient,
    create_venue,
)
from tests.helpers import csrf_token, login_as

HUGE = "9223372036854775808"  # 2**63: beyond SQLite's integers
ANY = ["/sessions/{n}", "/experts/{n}", "/venues/{n}", "/townships/{n}/poster",
       "/experts/1/photo-{n}.jpg", "/calendar/venues/{n}.ics",
       "/calendar/institutions/{n}.ics", "/calendar/programme.ics?township={n}",
       "/calendar/experts/{n}-abc.ics", "/calendar/experts/²-abc.ics", "/?township=²",
       "/?township={n}", "/schedule?expert={n}", "/schedule?start=9999-06-01",
       "/schedule?start=9999-12-31&end=9999-12-31", "/schedule?start=0001-01-01&end=0001-01-02",
       "/schedule?end=9999-12-31", "/sessions/99999999999999999999"]
RESIDENT = ["/bookings/{n}", "/bookings/{n}.ics", "/bookings/{n}/cancel",
            "/bookings/{n}/reschedule", "/patients/{n}/edit", "/slots/{n}/book",
            "/inbox?page={n}"]
STAFF = ["/console/sessions/{n}", "/console/sessions/{n}/stop", "/console/series/{n}",
         "/console/series/{n}/edit", "/console/experts/{n}/circuit", "/console/referrals/{n}",
         "/console?start=9999-12-31", "/console?start=0001-01-01&end=0001-01-02",
         "/console?start=9999-12-20&end=9999-12-31", "/admin/directory/experts/{n}",
         "/admin/directory/venues/{n}", "/admin/directory/experts?page={n}",
         "/admin/statistics?start=9999-12-31&end=9999-12-31", "/admin/audit?page={n}",
         "/console/messages?page={n}"]


def _answers(client, paths):
    return {path: client.get(path.format(n=HUGE)).status_code for path in paths}


def test_public_addresses(db, client):
    answers = _answers(client, ANY)
    assert {p: s for p, s in answers.items() if s >= 500} == {}
    assert answers["/sessions/{n}"] == 404 and answers["/schedule?start=9999-06-01"] == 200


def test_a_remembered_township_that_is_no_number(db, client):
    client.set_cookie("xq_township", "²")
    assert client.get("/").status_code == 200


def test_a_residents_addresses(db, client):
    login_as(client, create_patient().account)
    answers = _answers(client, RESIDENT)
    assert {p: s for p, s in answers.items() if s >= 500} == {}
    assert answers["/bookings/{n}"] == 404


@pytest.mark.parametrize("id_number", ["4302811980010100²3", "430281²98001010013"])
def test_an_id_number_with_a_superscript_digit_is_a_form_error(db, client, id_number):
    login_as(client, create_patient().account)
    token = csrf_token(client.get("/patients/new").text)
    page = client.post("/patients/new", data={
        "csrf_token": token, "name": "李秀英", "id_number": id_number,
        "phone": "13900000009", "relation": "parent"})
    assert page.status_code == 200 and "身份证" in page.text


def test_staff_addresses(db, client):
    login_as(client, create_admin())
    answers = _answers(client, STAFF)
    assert {p: s for p, s in answers.items() if s >= 500} == {}
    assert answers["/console?start=9999-12-31"] == 200


@pytest.mark.parametrize(("row", "says"), [
    ("9999-12-31,08:00,11:30,,,门诊,", "请填写 2000 年到 2100 年之间的日期"),
    ("2026-12-09,14:00,16:00,²,,门诊,", "专家“²”应写专家编号或专家账号的手机号"),
    (f"2026-12-09,14:00,16:00,{HUGE},,门诊,", f"找不到专家“{HUGE}”"),
    ("2026-12-10,14:00,16:00,,lecture,讲座,²", "人数/座位数“²”应为整数"),
    (f"2026-12-10,14:00,16:00,,lecture,讲座,{HUGE}", "座位数"),
    ("2026-12-10,08:00,11:30,,,门诊,99999999999", "每个时段"),
])
def test_a_schedule_file_with_odd_numbers_and_dates_is_refused_with_a_message(
        db, client, row, says):
    venue, expert = create_venue(), create_expert()
    login_as(client, create_coordinator(venue))
    raw = f"date,start,end,expert,kind,title,capacity\r\n{row}\r\n".encode()
    token = csrf_token(client.get("/console/import").text)
    page = client.post("/console/import", data={
        "csrf_token": token, "file": (io.BytesIO(raw), "schedule.csv"),
        "venue": venue.id, "expert": expert.id})
    assert page.status_code == 200 and says in page.text


@pytest.mark.parametrize("day", ["99991231", "21010601"])  # (a past one is skipped as past)
def test_a_calendar_file_far_in_time_is_refused_with_a_message(db, client, day):
    venue, expert = create_venue(), create_expert()
    login_as(client, create_coordinator(venue))
    raw = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
           "UID:far@test\r\nDTSTAMP:20261101T000000Z\r\n"
           f"DTSTART;TZID=Asia/Shanghai:{day}T080000\r\n"
           f"DTEND;TZID=Asia/Shanghai:{day}T113000\r\n"
           "SUMMARY:门诊\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    token = csrf_token(client.get("/console/import").text)
    page = client.post("/console/import", data={
        "csrf_token": token, "file": (io.BytesIO(raw), "schedule.ics"),
        "venue": venue.id, "expert": expert.id})
    assert page.status_code == 200 and "请填写 2000 年到 2100 年之间的日期" in page.text


@pytest.mark.parametrize("reason", ["a\x00b", "a\x01b", "\x7f"])
def test_a_form_with_control_characters_is_refused_and_changes_nothing(db, client, reason):
    """Nobody types them; PostgreSQL refuses NUL in text. Tabs and newlines are text."""
    from app.bookings.models import Booking, BookingStatus
    from tests.factories import NOW, book_slot, create_session

    patient = create_patient()
    session = create_session(day=NOW.date() + timedelta(days=3))
    db.session.commit()
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    login_as(client, patient.account)
    path = f"/bookings/{booking.id}/cancel"
    token = csrf_token(client.get(path).text)

    page = client.post(path, data={"csrf_token": token, "reason": reason})

    assert page.status_code == 400 and "看不见的特殊字符" in page.text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    fine = client.post(path, data={"csrf_token": token, "reason": "有事\r\n\t改天"})
    assert fine.status_code == 302

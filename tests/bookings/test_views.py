"""Residents book through the pages: session page → choose slot → choose patient → confirm."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from app.bookings.services import changes, stopping, waitlist
from app.patients.models import Patient, Relation
from app.scheduling.models import SessionKind, SessionStatus
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_expert,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.helpers import PASSWORD, login

DAY = TODAY + timedelta(days=2)


def _csrf(html: str) -> str:
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _nonce(html: str) -> str:
    return re.search(r'<input[^>]*name="nonce"[^>]*value="([^"]+)"', html).group(1)


def _login(client, user) -> None:
    assert login(client, user.phone).status_code == 302


def _resident(**kw):
    return create_patient(account=create_user(password=PASSWORD), **kw)


def _setup(db, **kw):
    kw.setdefault("day", DAY)
    session = create_session(**kw)
    patient = _resident()
    db.session.commit()
    return session, patient


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_session_page_offers_booking_and_waitlist_buttons(db, client):
    session, _ = _setup(db, slots=2, capacity=1)
    session.slots[1].booked_count = 1
    db.session.commit()

    html = client.get(f"/sessions/{session.id}").text

    assert re.findall(r'href="/slots/(\d+)/book">([^<]+)</a>', html) == [
        (str(session.slots[0].id), "预约"), (str(session.slots[1].id), "候补")]


def test_booking_needs_a_login(db, client):
    session, _ = _setup(db)

    response = client.get(f"/slots/{session.slots[0].id}/book")

    assert response.status_code in (302, 401)


def test_book_through_the_pages_shows_code_and_queue_number(db, client):
    session, patient = _setup(db)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text

    response = client.post(f"/slots/{session.slots[0].id}/book", data={
        "csrf_token": _csrf(page), "nonce": _nonce(page), "patient": patient.id})

    booking = db.session.scalar(select(Booking))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/bookings/{booking.id}?new=1"
    detail = client.get(response.headers["Location"]).text
    assert "预约成功" in detail
    assert "第 1 号" in detail
    assert booking.code in detail


def test_double_submit_with_the_same_nonce_books_once(db, client):
    session, patient = _setup(db)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text
    data = {"csrf_token": _csrf(page), "nonce": _nonce(page), "patient": patient.id}

    first = client.post(f"/slots/{session.slots[0].id}/book", data=data)
    second = client.post(f"/slots/{session.slots[0].id}/book", data=data)

    assert first.headers["Location"] == second.headers["Location"]
    assert _count(db) == 1


def test_a_nonce_shaped_like_the_sites_own_keys_books_nothing(db, client):
    """The waitlist books with the key ``waitlist <entry id>``; a form that brought
    such a key first could make the waitlist take that booking for its own."""
    session, patient = _setup(db)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text

    response = client.post(f"/slots/{session.slots[0].id}/book", data={
        "csrf_token": _csrf(page), "nonce": "waitlist 1", "patient": patient.id})

    assert response.status_code == 200
    assert _count(db) == 0


def test_booking_for_another_accounts_patient_is_refused(db, client):
    session, patient = _setup(db)
    stranger = create_patient(id_number=make_id_number(seq=9))
    db.session.commit()
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text

    response = client.post(f"/slots/{session.slots[0].id}/book", data={
        "csrf_token": _csrf(page), "nonce": _nonce(page), "patient": stranger.id})

    assert response.status_code == 200
    assert _count(db) == 0


def test_refusal_is_shown_on_the_page_and_books_nothing(db, client):
    session, patient = _setup(db, day=TODAY + timedelta(days=10))
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text

    assert "该时段将于 12月4日 08:00 开放预约" in page
    assert 'name="nonce"' not in page


def test_full_slot_page_offers_the_waitlist_and_tells_the_position(db, client):
    session, patient = _setup(db, slots=1, capacity=0)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text
    assert "<h1>登记候补</h1>" in page and "<title>登记候补" in page

    response = client.post(f"/slots/{session.slots[0].id}/waitlist", data={
        "csrf_token": _csrf(page), "patient": patient.id})

    assert response.headers["Location"] == "/waitlist"
    waitlist_page = client.get("/waitlist").text
    assert "已登记候补，排在第1位" in waitlist_page
    assert "排在第 1 位" in waitlist_page


def test_accept_an_offer_from_the_waitlist_page(db, client):
    session, patient = _setup(db, slots=1, capacity=1)
    holder = create_patient(id_number=make_id_number(seq=21))
    db.session.commit()
    booking = book_slot(session.slots[0].id, holder, by=holder.account, now=NOW)
    db.session.commit()
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text
    joined = client.post(f"/slots/{session.slots[0].id}/waitlist",
                         data={"csrf_token": _csrf(page), "patient": patient.id})
    assert joined.headers["Location"] == "/waitlist", client.get(joined.headers["Location"]).text
    changes.cancel_booking(db.session.get(Booking, booking.id), by=holder.account, now=NOW)
    db.session.commit()
    entry = db.session.scalar(select(WaitlistEntry))

    page = client.get("/waitlist").text
    assert "有空位了！" in page
    assert 'href="/waitlist">去确认' not in page  # the banner does not point to this page
    assert 'href="/waitlist">去确认' in client.get("/").text
    response = client.post(f"/waitlist/{entry.id}/accept", data={"csrf_token": _csrf(page)})

    db.session.expire_all()
    assert db.session.get(WaitlistEntry, entry.id).status == WaitlistStatus.ACCEPTED
    accepted = db.session.get(Booking, db.session.get(WaitlistEntry, entry.id).booking_id)
    assert response.headers["Location"] == f"/bookings/{accepted.id}?new=1"
    assert re.findall(r'class="flash[^"]*"[^>]*>([^<]+)<', client.get(
        response.headers["Location"]).text) == ["预约成功！"]  # said once


def test_my_bookings_and_cancel(db, client):
    session, patient = _setup(db)
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _login(client, patient.account)

    listing = client.get("/bookings").text
    assert f'href="/bookings/{booking.id}"' in listing
    assert "<h2>待就诊</h2>" in listing and "以往和已取消的" not in listing
    page = client.get(f"/bookings/{booking.id}").text
    client.post(f"/bookings/{booking.id}/cancel", data={"csrf_token": _csrf(page)})

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    cancelled = client.get(f"/bookings/{booking.id}").text
    assert "预约已取消。" in cancelled
    assert "ticket-number" not in cancelled and "已取消 · 原第 1 号" in cancelled  # no ticket
    listing = client.get("/bookings").text
    assert "<h2>以往和已取消的</h2>" in listing and "待就诊" not in listing


def test_a_lecture_seat_is_worded_as_a_seat_not_a_visit(db, client):
    session, patient = _setup(db, kind=SessionKind.LECTURE, title="高血压讲座", slots=1,
                              capacity=80)
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _login(client, patient.account)
    stopping.stop_session(session, "场地维修", by=patient.account, now=NOW)
    db.session.commit()

    listing = client.get("/bookings").text
    page = client.get(f"/bookings/{booking.id}").text

    assert '<span class="status status-stopped">活动取消</span>' in listing
    assert "<dt>参加人</dt>" in page and "就诊人" not in page and "停诊" not in listing


def _checked(html: str) -> list[str]:
    return re.findall(r'<input checked[^>]*value="(\d+)"|<input[^>]*value="(\d+)"[^>]*checked',
                      html)


def _chosen(html: str) -> str | None:
    found = [a or b for a, b in _checked(html)]
    return found[0] if found else None


def test_adding_a_family_member_from_the_booking_form_comes_back_with_her_chosen(db, client):
    """Issue #16, item 2: ＋添加家人 on the booking form returns to the same slot with
    the new patient chosen, and she can be booked at once."""
    session, patient = _setup(db)
    slot_id = session.slots[0].id
    _login(client, patient.account)

    form = client.get(f"/slots/{slot_id}/book").text
    assert f'href="/patients/new?slot={slot_id}">＋添加家人<' in form
    add = client.get(f"/patients/new?slot={slot_id}").text
    assert f'class="button" href="/slots/{slot_id}/book">取消<' in add  # back to the slot
    added = client.post(f"/patients/new?slot={slot_id}", data={
        "csrf_token": _csrf(add), "name": "王秀兰", "id_number": make_id_number(seq=22),
        "phone": "13900000002", "relation": "parent"})
    mother = db.session.scalars(select(Patient).where(Patient.name == "王秀兰")).one()
    assert added.headers["Location"] == f"/slots/{slot_id}/book?patient={mother.id}"

    form = client.get(added.headers["Location"]).text
    assert _chosen(form) == str(mother.id)
    client.post(added.headers["Location"], data={
        "csrf_token": _csrf(form), "nonce": _nonce(form), "patient": mother.id})
    db.session.expire_all()
    assert db.session.scalars(select(Booking.patient_id)).all() == [mother.id]


def test_the_booking_form_never_chooses_another_accounts_patient(db, client):
    session, patient = _setup(db)
    create_patient(account=patient.account, name="王秀兰", relation=Relation.PARENT,
                   id_number=make_id_number(seq=22))
    stranger = _resident(id_number=make_id_number(seq=33))
    db.session.commit()
    _login(client, patient.account)

    form = client.get(f"/slots/{session.slots[0].id}/book?patient={stranger.id}").text
    assert _chosen(form) is None and f'value="{stranger.id}"' not in form


def test_the_booking_form_chooses_whom_the_account_booked_for_last(db, client):
    session, patient = _setup(db)
    mother = create_patient(account=patient.account, name="王秀兰",
                            relation=Relation.PARENT, id_number=make_id_number(seq=22))
    db.session.commit()
    _login(client, patient.account)
    assert _chosen(client.get(f"/slots/{session.slots[1].id}/book").text) is None

    book_slot(session.slots[0].id, mother, by=patient.account, now=NOW)
    db.session.commit()
    assert _chosen(client.get(f"/slots/{session.slots[1].id}/book").text) == str(mother.id)


def test_cancelling_asks_once(app, db, client):
    """Issue #16, item 3: the booking page links to a confirm page whose big default
    button (不取消) keeps the booking; only its second button cancels."""
    session, patient = _setup(db)
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _login(client, patient.account)

    detail = client.get(f"/bookings/{booking.id}").text
    assert f'href="/bookings/{booking.id}/cancel"' in detail
    main = detail.split("<main", 1)[-1].split("</main>", 1)[0]
    assert 'method="post"' not in main  # no one-tap cancel

    confirm = client.get(f"/bookings/{booking.id}/cancel").text
    keep = confirm.index(
        f'class="button primary big wide" href="/bookings/{booking.id}" autofocus>不取消')
    assert keep < confirm.index("确定取消</button>")
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    client.set_cookie("lang", "en")
    english = client.get(f"/bookings/{booking.id}/cancel").text
    assert "Cancel this booking?" in english and "No, keep it" in english
    client.delete_cookie("lang")

    too_long = client.post(f"/bookings/{booking.id}/cancel",
                           data={"csrf_token": _csrf(confirm), "reason": "久" * 201})
    assert too_long.status_code == 200 and "200" in too_long.text
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED

    done = client.post(f"/bookings/{booking.id}/cancel",
                       data={"csrf_token": _csrf(confirm), "reason": "好了"})
    assert done.headers["Location"] == f"/bookings/{booking.id}"
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert "预约已取消。" in client.get(done.headers["Location"]).text
    # Cancelled: nothing left to confirm.
    assert client.get(f"/bookings/{booking.id}/cancel").headers["Location"] == (
        f"/bookings/{booking.id}")


def test_cancelling_too_late_says_so_before_the_tap(app, db, client):
    session, patient = _setup(db)
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _login(client, patient.account)
    app.config["CLOCK"] = lambda: session.slots[0].start_dt - timedelta(minutes=30)

    confirm = client.get(f"/bookings/{booking.id}/cancel").text
    assert "不能取消或改约" in confirm and "确定取消</button>" not in confirm
    assert f'class="button primary" href="/bookings/{booking.id}">返回预约详情' in confirm


def test_reschedule_through_the_page(db, client):
    expert = create_expert()
    session, patient = _setup(db, experts=[expert])
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _login(client, patient.account)

    page = client.get(f"/bookings/{booking.id}/reschedule").text
    assert f'value="{session.slots[3].id}"' in page
    client.post(f"/bookings/{booking.id}/reschedule",
                data={"csrf_token": _csrf(page), "slot": session.slots[3].id})

    db.session.expire_all()
    assert db.session.get(Booking, booking.id).slot_id == session.slots[3].id


def test_another_accounts_booking_and_waitlist_are_404(db, client):
    session, patient = _setup(db)
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _login(client, create_user(password=PASSWORD))
    token = _csrf(client.get("/bookings").text)

    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.post(f"/bookings/{booking.id}/cancel",
                       data={"csrf_token": token}).status_code == 404
    assert client.get(f"/bookings/{booking.id}/reschedule").status_code == 404
    assert client.post("/waitlist/1/accept", data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_header_links_residents_to_their_bookings_and_staff_to_the_console(db, client):
    resident = create_user(password=PASSWORD)
    from app.auth.models import Role

    coordinator = create_user(password=PASSWORD, roles=(Role.COORDINATOR,))
    _login(client, resident)
    html = client.get("/").text
    assert 'href="/bookings"' in html
    assert 'href="/console"' not in html

    client.post("/logout", data={"csrf_token": _csrf(html)})
    _login(client, coordinator)
    assert 'href="/console"' in client.get("/").text


@pytest.mark.parametrize(("status", "shown"), [
    (SessionStatus.DRAFT, False),
    (SessionStatus.PUBLISHED, True),
    (SessionStatus.STOPPED, True),
    (SessionStatus.COMPLETED, True),
])
def test_booking_form_shows_only_for_sessions_the_public_site_shows(db, client, status, shown):
    session, patient = _setup(db, status=status)
    _login(client, patient.account)

    response = client.get(f"/slots/{session.slots[0].id}/book")

    assert response.status_code == (200 if shown else 404)


def test_a_waitlist_offer_shows_on_every_page_until_answered(app, db, client):
    """Issue #16, item 7: the held place is good news at the top of every page the
    resident opens, until she answers it (or it expires)."""
    session, holder = _setup(db, slots=1, capacity=1)
    waiter = _resident(name="王秀兰", id_number=make_id_number(seq=22))
    db.session.commit()
    booking = book_slot(session.slots[0].id, holder, by=holder.account, now=NOW)
    db.session.commit()
    entry = waitlist.join_waitlist(session.slots[0].id, waiter, by=waiter.account, now=NOW)
    db.session.commit()
    changes.cancel_booking(booking, by=holder.account, now=NOW)
    db.session.commit()
    _login(client, waiter.account)

    banner = re.compile(r'<p class="good-news" role="status">有空位了！为王秀兰保留了 '
                        r'12月3日 08:00 的号，请在 09:30 前确认。')
    for path in ("/", "/schedule", f"/sessions/{session.id}", "/bookings", "/account"):
        assert banner.search(client.get(path).text), path
    assert 'class="notice"' not in client.get("/waitlist").text  # good news, not an error

    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=31)
    assert not banner.search(client.get("/").text)  # expired
    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=5)
    page = client.get("/waitlist").text
    client.post(f"/waitlist/{entry.id}/accept", data={"csrf_token": _csrf(page)})
    assert not banner.search(client.get("/").text)  # answered

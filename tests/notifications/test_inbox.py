"""The site inbox: a resident reads their messages at /inbox and sees the unread count
in the header. Logged in through the real login page, with CSRF on."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db as _db
from app.notifications.models import Channel, Message
from app.notifications.services import queue_message
from tests.factories import NOW, TODAY, book_slot, create_patient, create_session, create_user
from tests.helpers import PASSWORD, csrf_token, login


def _resident(db):
    user = create_user(password=PASSWORD)
    db.session.commit()
    return user


def _message(user, n: int = 1, *, minutes: int = 0) -> Message:
    message = queue_message(channel=Channel.INBOX, user_id=user.id, kind="notice",
                            subject=f"通知{n}", body=f"内容{n}",
                            now=NOW - timedelta(minutes=minutes), sent=True)
    _db.session.commit()
    return message


def _logged_in(client, user) -> None:
    assert login(client, user.phone).status_code == 302


def _read_dt(db, message_id: int):
    db.session.expire_all()
    return db.session.get(Message, message_id).read_dt


def test_a_booking_confirmation_appears_in_the_inbox(db, client):
    session = create_session(day=TODAY + timedelta(days=2))
    patient = create_patient(account=create_user(password=PASSWORD))
    db.session.commit()
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    _logged_in(client, patient.account)

    html = client.get("/inbox").text

    confirmation = db.session.scalar(select(Message).where(
        Message.booking_id == booking.id, Message.channel == Channel.INBOX))
    assert confirmation.subject in html
    assert booking.code in html
    assert 'class="unread"' in html


def test_inbox_lists_newest_first_twenty_to_a_page(db, client):
    user = _resident(db)
    for n in range(21):
        _message(user, n, minutes=60 - n)  # n = 20 is the newest
    _logged_in(client, user)

    first = client.get("/inbox").text
    second = client.get("/inbox?page=2").text

    subjects = re.findall(r"通知(\d+)", first)
    assert subjects[:2] == ["20", "19"] and "通知0<" not in first
    assert len(set(subjects)) == 20
    assert "通知0" in second


def test_the_header_shows_the_unread_count(db, client):
    user = _resident(db)
    for n in range(3):
        _message(user, n)
    _logged_in(client, user)

    assert "消息 (3)" in client.get("/account").text


def test_mark_one_read(db, client):
    user = _resident(db)
    first, second = _message(user, 1), _message(user, 2)
    _logged_in(client, user)
    token = csrf_token(client.get("/inbox").text)

    response = client.post(f"/inbox/{first.id}/read", data={"csrf_token": token})

    assert response.status_code == 302
    assert _read_dt(db, first.id) is not None
    assert _read_dt(db, second.id) is None
    assert "消息 (1)" in client.get("/inbox").text
    # Reading it again changes nothing.
    assert client.post(f"/inbox/{first.id}/read", data={"csrf_token": token}).status_code == 302


def test_mark_all_read(db, client):
    user = _resident(db)
    ids = [_message(user, n).id for n in range(3)]
    _logged_in(client, user)
    token = csrf_token(client.get("/inbox").text)

    response = client.post("/inbox/read-all", data={"csrf_token": token})

    assert response.status_code == 302
    assert all(_read_dt(db, i) is not None for i in ids)
    html = client.get("/inbox").text
    assert "消息 (" not in html
    assert 'class="unread"' not in html


def test_marking_needs_the_csrf_token(db, client):
    user = _resident(db)
    message = _message(user)
    _logged_in(client, user)

    assert client.post(f"/inbox/{message.id}/read").status_code == 400
    assert _read_dt(db, message.id) is None


def test_another_users_message_is_not_found(db, client):
    user, stranger = _resident(db), _resident(db)
    theirs = _message(stranger)
    _logged_in(client, user)
    token = csrf_token(client.get("/inbox").text)

    response = client.post(f"/inbox/{theirs.id}/read", data={"csrf_token": token})

    assert response.status_code == 404
    assert _read_dt(db, theirs.id) is None
    assert "通知1" not in client.get("/inbox").text


def test_anonymous_visitors_are_sent_to_log_in(db, client):
    response = client.get("/inbox")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    # The tab bar's 消息 takes a visitor to log in first, then to the inbox.
    assert 'href="/login?next=/inbox">消息</a>' in client.get("/").text

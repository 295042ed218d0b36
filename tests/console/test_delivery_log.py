"""The delivery log: filters, masked phones, counts, resending a failed message."""

from datetime import timedelta

from sqlalchemy import select

from app.core.models import AuditEntry
from app.notifications.models import Channel, Message, MessageStatus
from tests.console.helpers import csrf, flashes
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_admin,
    create_coordinator,
    create_patient,
    create_session,
    create_user,
    create_venue,
)
from tests.helpers import PASSWORD


def _message(**kw) -> Message:
    from app.extensions import db

    kw.setdefault("channel", Channel.SMS)
    kw.setdefault("kind", "booking_confirmed")
    kw.setdefault("recipient", "13900000001")
    kw.setdefault("body", "【乡情专家行】测试")
    kw.setdefault("created_dt", NOW - timedelta(hours=1))
    message = Message(**kw)
    db.session.add(message)
    db.session.flush()
    return message


def _admin(db, login_as):
    admin = create_admin(password=PASSWORD)
    db.session.commit()
    login_as(admin)
    return admin


def _ids(html: str) -> list[int]:
    import re

    return [int(i) for i in re.findall(r'class="card message" data-id="(\d+)"', html)]


def _resend(client, message_id: int):
    token = csrf(client.get("/console/messages").text)
    return client.post(f"/console/messages/{message_id}/resend",
                       data={"csrf_token": token}, follow_redirects=True)


def test_admin_sees_messages_newest_first_with_masked_phones_and_counts(db, client, login_as):
    old = _message(status=MessageStatus.SENT, created_dt=NOW - timedelta(days=1))
    new = _message(status=MessageStatus.FAILED, last_error="gateway said no")
    _admin(db, login_as)

    html = client.get("/console/messages").text

    assert _ids(html) == [new.id, old.id]
    assert "139****0001" in html and "13900000001" not in html
    assert 'data-status="failed">1<' in html and 'data-status="sent">1<' in html
    assert 'data-status="pending">0<' in html
    assert "gateway said no" in html


def test_filters_by_status_channel_kind_and_recipient(db, client, login_as):
    failed = _message(status=MessageStatus.FAILED)
    sent = _message(status=MessageStatus.SENT, recipient="13900000002")
    inbox = _message(channel=Channel.INBOX, recipient="", kind="waitlist_offer",
                     status=MessageStatus.SENT)
    _admin(db, login_as)

    assert _ids(client.get("/console/messages?status=failed").text) == [failed.id]
    assert _ids(client.get("/console/messages?channel=inbox").text) == [inbox.id]
    assert _ids(client.get("/console/messages?kind=waitlist_offer").text) == [inbox.id]
    assert _ids(client.get("/console/messages?recipient=139 0000 0002").text) == [sent.id]
    assert sorted(_ids(client.get("/console/messages?channel=sms&status=sent").text)) == [
        sent.id]


def test_emails_show_masked_and_filter_by_address(db, client, login_as):
    mail = _message(channel=Channel.EMAIL, recipient="wang-gl@example.cn",
                    kind="feed_link_reset", subject="日历订阅链接已重置")
    _message()
    _admin(db, login_as)

    page = client.get("/console/messages?recipient= wang-gl@example.cn").text
    assert _ids(page) == [mail.id]
    assert '<span class="recipient">w***@example.cn</span>' in page  # (the filter echoes)
    assert "日历订阅链接已重置" in page  # the kind's label


def test_list_is_paginated_fifty_a_page(db, client, login_as):
    for _ in range(51):
        _message()
    _admin(db, login_as)

    assert len(_ids(client.get("/console/messages").text)) == 50
    assert len(_ids(client.get("/console/messages?page=2").text)) == 1


def test_resending_a_failed_message_makes_it_pending_and_is_audited(db, client, login_as):
    message = _message(status=MessageStatus.FAILED, attempts=5, last_error="timeout",
                       due_dt=NOW - timedelta(hours=2))
    admin = _admin(db, login_as)

    page = _resend(client, message.id)

    assert flashes(page.text) == ["消息已重新排入发送队列。"]
    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_error, message.due_dt) == (
        MessageStatus.PENDING, 0, "", NOW)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "message.resend"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        admin.id, "messages", message.id)
    assert entry.before["status"] == "failed" and entry.after["status"] == "pending"


def test_resending_an_expired_message_clears_its_window(db, client, login_as):
    message = _message(status=MessageStatus.EXPIRED, expires_dt=NOW - timedelta(hours=1))
    _admin(db, login_as)

    _resend(client, message.id)

    db.session.refresh(message)
    assert (message.status, message.expires_dt) == (MessageStatus.PENDING, None)


def test_resending_a_sent_message_is_refused_and_changes_nothing(db, client, login_as):
    message = _message(status=MessageStatus.SENT, attempts=1, sent_dt=NOW)
    _admin(db, login_as)

    page = _resend(client, message.id)

    assert flashes(page.text) == ["只有发送失败或已过期的消息可以重发"]
    db.session.refresh(message)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "message.resend")) is None


def test_a_waitlist_offer_or_a_code_past_its_time_is_never_resent(db, client, login_as):
    """"已为…保留到15:12" hours later would send a resident to a place long gone."""
    offer = _message(kind="waitlist_offer", status=MessageStatus.EXPIRED,
                     expires_dt=NOW - timedelta(hours=1))
    code = _message(kind="verification_code", status=MessageStatus.FAILED)
    _admin(db, login_as)

    for message in (offer, code):
        page = _resend(client, message.id)
        assert flashes(page.text) == ["这条消息说的保留时间或验证码已经过去，不能重发"]
    db.session.expire_all()
    assert [db.session.get(Message, m.id).status for m in (offer, code)] == [
        MessageStatus.EXPIRED, MessageStatus.FAILED]


def test_resident_is_forbidden_and_a_visitor_sent_to_log_in(db, client, login_as):
    message = _message(status=MessageStatus.FAILED)
    resident = create_user(password=PASSWORD)
    db.session.commit()

    assert client.get("/console/messages").status_code == 302
    assert "/login" in client.get("/console/messages").headers["Location"]

    login_as(resident)
    assert client.get("/console/messages").status_code == 403
    token = csrf(client.get("/account").text)
    assert client.post(f"/console/messages/{message.id}/resend",
                       data={"csrf_token": token}).status_code == 403
    db.session.refresh(message)
    assert message.status == MessageStatus.FAILED


def _booking_message(venue, **kw) -> Message:
    from app.extensions import db

    session = create_session(venue=venue, day=TODAY + timedelta(days=3))
    patient = create_patient()
    db.session.commit()
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    return _message(booking_id=booking.id, **kw)


def test_coordinator_sees_and_resends_only_messages_about_their_venues(db, client, login_as):
    mine, theirs = create_venue(), create_venue()
    ours = _booking_message(mine, status=MessageStatus.FAILED)
    other = _booking_message(theirs, status=MessageStatus.FAILED)
    code = _message(kind="verification_code", status=MessageStatus.FAILED)
    coordinator = create_coordinator(mine, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    html = client.get("/console/messages?status=failed").text

    assert _ids(html) == [ours.id]
    assert 'data-status="failed">1<' in html
    token = csrf(html)
    for hidden in (other, code):
        assert client.post(f"/console/messages/{hidden.id}/resend",
                           data={"csrf_token": token}).status_code == 404
    assert client.post(f"/console/messages/{ours.id}/resend",
                       data={"csrf_token": token}).status_code == 302
    for row, status in ((ours, MessageStatus.PENDING), (other, MessageStatus.FAILED),
                        (code, MessageStatus.FAILED)):
        db.session.refresh(row)
        assert row.status == status


def test_console_nav_links_the_delivery_log(db, client, login_as):
    _admin(db, login_as)

    assert 'href="/console/messages"' in client.get("/console").text


def test_every_kind_of_message_has_a_name_in_the_log(app):
    """Each message template is a kind the log names in words, never its code."""
    from pathlib import Path

    from app.console.labels import message_kind_label

    folder = Path(app.root_path) / "templates" / "messages"
    kinds = [p.stem for p in folder.glob("*.txt") if not p.stem.startswith("_")]
    kinds = [k if k != "reminder" else "reminder_24h" for k in kinds]
    with app.test_request_context():
        assert [k for k in kinds if message_kind_label(k) == k] == []

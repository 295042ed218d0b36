"""E-mail over a real SMTP server (aiosmtpd on a free local port): the confirmation
arrives with its Chinese subject encoded as it must be, the booking in the body and the
booking's .ics attached; preferences and language choose what is sent where."""

import email
import socket
from datetime import timedelta
from email.policy import default as default_policy

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from flask import current_app
from sqlalchemy import select

from app.notifications.mail import Email, SmtpDriver, build_message
from app.notifications.models import Channel, Message, MessageStatus
from app.notifications.sweep import sweep
from tests.factories import NOW, TODAY, book_slot, create_patient, create_session, create_user
from tests.notifications.helpers import RecordingGateway

DAY = TODAY + timedelta(days=2)


class Inbox(MessageHandler):
    """Keeps what the server received: (envelope recipients, raw bytes)."""

    def __init__(self):
        super().__init__()
        self.received: list[tuple[list[str], bytes]] = []
        self.unknown: set[str] = set()  # addresses answered "550 no such user"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message) -> None:  # aiosmtpd hands the parsed message
        self.received.append((message["X-RcptTo"].split(", "), message.as_bytes()))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def _book(db, **account):
    session = create_session(day=DAY)
    holder = create_user(**account)
    patient = create_patient(account=holder, phone="13900000088", name="王桂兰")
    db.session.commit()
    booking = book_slot(session.slots[0].id, patient, by=holder, now=NOW)
    db.session.commit()
    return booking


def test_confirmation_email_arrives_with_chinese_subject_body_and_ics(db, smtp_server,
                                                                      monkeypatch):
    inbox, url = smtp_server
    monkeypatch.setitem(current_app.config, "SITE_URL", "https://xq.example.cn")
    booking = _book(db, email="wang@example.cn")

    stats = sweep(now=NOW, driver=RecordingGateway(),
                  mail=SmtpDriver(url, sender="乡情专家行 <noreply@xq.example.cn>"))

    assert stats.sent == 2  # the SMS and the e-mail (the inbox copy needs no sending)
    [(recipients, raw)] = inbox.received
    assert recipients == ["wang@example.cn"]
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # the header is RFC 2047-encoded
    message = email.message_from_bytes(raw, policy=default_policy)
    assert str(message["Subject"]) == "【乡情专家行】预约成功"
    assert message["From"].addresses[0].display_name == "乡情专家行"
    row = db.session.scalar(select(Message).where(Message.channel == Channel.EMAIL,
                                                  Message.kind == "booking_confirmed"))
    assert message["Message-ID"] == f"<outbox-{row.id}@xq.example.cn>"
    assert message["Date"].datetime.tzinfo is not None
    assert row.status == MessageStatus.SENT
    text = message.get_body(("plain",)).get_content()
    assert f"预约码{booking.code}" in text and "王桂兰已预约" in text
    assert f"https://xq.example.cn/bookings/{booking.id}" in text
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_filename() == f"booking-{booking.id}.ics"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking.id}@xiangqing"  # as in the resident's feed
    assert event.decoded("DTSTART") == booking.slot.start_dt
    assert f"第{booking.queue_number}号" in str(event["SUMMARY"])


def test_a_refused_recipient_is_retried_later_with_the_reason(db, smtp_server):
    inbox, url = smtp_server
    inbox.unknown.add("gone@example.cn")
    _book(db, email="gone@example.cn")

    stats = sweep(now=NOW, driver=RecordingGateway(), mail=SmtpDriver(url, sender="x@xq.cn"))

    row = db.session.scalar(select(Message).where(Message.channel == Channel.EMAIL,
                                                  Message.kind == "booking_confirmed"))
    assert (stats.retried, row.status, row.attempts) == (1, MessageStatus.PENDING, 1)
    assert row.last_error.startswith("recipient refused: 550") and inbox.received == []


def test_without_an_address_or_with_email_off_nothing_is_mailed(db):
    _book(db)
    _book(db, email="off@example.cn", notify_email=False)

    assert db.session.scalar(select(Message.id).where(Message.channel == Channel.EMAIL)) is None


def test_sms_off_keeps_the_inbox_and_email_and_reminders_follow_the_choice(db):
    booking = _book(db, email="wang@example.cn", notify_sms=False)

    channels = db.session.execute(
        select(Message.kind, Message.channel).where(Message.booking_id == booking.id)
        .order_by(Message.kind, Message.channel)
    ).all()
    assert channels == [
        ("booking_confirmed", Channel.EMAIL), ("booking_confirmed", Channel.INBOX),
        ("reminder_24h", Channel.EMAIL), ("reminder_2h", Channel.EMAIL),
    ]
    reminder = db.session.scalar(select(Message).where(Message.kind == "reminder_24h"))
    assert reminder.subject == "【乡情专家行】就诊提醒" and "提醒：王桂兰" in reminder.body


def test_messages_are_written_in_the_account_language(db):
    booking = _book(db, email="wang@example.cn", locale="en")

    sms, mail = (db.session.scalar(select(Message).where(
        Message.kind == "booking_confirmed", Message.channel == channel))
        for channel in (Channel.SMS, Channel.EMAIL))
    assert "booked" in sms.body and booking.code in sms.body
    assert mail.subject.endswith("Booking confirmed") and "Bring your ID card" in mail.body


def test_build_message_encodes_a_chinese_sender_and_keeps_utf8_text():
    message = build_message(
        Email(7, "a@example.cn", "停诊通知", "很抱歉，本场停诊。"),
        sender="乡情专家行 <noreply@xq.cn>", domain="xq.cn")
    raw = message.as_bytes()

    assert b"\r\n" in raw and "停诊".encode() not in raw.split(b"\r\n\r\n", 1)[0]
    parsed = email.message_from_bytes(raw, policy=default_policy)
    assert (str(parsed["Subject"]), parsed.get_content().strip()) == (
        "停诊通知", "很抱歉，本场停诊。")

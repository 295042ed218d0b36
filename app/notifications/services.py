"""Queueing messages into the outbox, and the development delivery sweep.

Callers add messages inside the unit of work that caused them, so a message exists
exactly when its cause was committed. Delivery happens later, outside that transaction.
"""

import logging
from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.notifications.models import Channel, Message, MessageStatus

log = logging.getLogger(__name__)


def queue_message(*, channel: Channel, kind: str, body: str, now: datetime,
                  recipient: str = "", user_id: int | None = None, subject: str = "",
                  booking_id: int | None = None, dedupe_key: str | None = None,
                  due_dt: datetime | None = None, expires_dt: datetime | None = None) -> Message:
    """Add one outgoing message to the current unit of work (flushed by the caller)."""
    # Every column given, so that the messages of one change are inserted in one batch.
    message = Message(
        channel=channel, kind=kind, body=body, recipient=recipient, user_id=user_id,
        subject=subject, booking_id=booking_id, dedupe_key=dedupe_key,
        status=MessageStatus.PENDING, due_dt=due_dt or now, expires_dt=expires_dt,
        created_dt=now, claimed_dt=None, sent_dt=None, read_dt=None, attempts=0,
        last_error="",
    )
    db.session.add(message)
    return message


def queue_sms(phone: str, *, kind: str, body: str, now: datetime, user_id: int | None = None,
              booking_id: int | None = None, **options) -> Message:
    return queue_message(channel=Channel.SMS, kind=kind, body=body, now=now, recipient=phone,
                         user_id=user_id, booking_id=booking_id, **options)


def queue_inbox(user_id: int, *, kind: str, subject: str, body: str, now: datetime,
                booking_id: int | None = None, **options) -> Message:
    """An inbox message is delivered by existing: it is stamped sent at once."""
    message = queue_message(channel=Channel.INBOX, kind=kind, subject=subject, body=body,
                            now=now, user_id=user_id, booking_id=booking_id, **options)
    message.status, message.sent_dt = MessageStatus.SENT, now
    return message


def cancel_pending_for_booking(booking_id: int) -> int:
    """Cancel what has not gone out yet for a booking (its reminders, say)."""
    result = db.session.execute(
        update(Message)
        .where(Message.booking_id == booking_id, Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.CANCELLED)
    )
    return result.rowcount


def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def send_due_sms_to_log(*, now: datetime, limit: int = 200) -> int:
    """Development SMS delivery: write due SMS to the log and stamp them sent.

    The notifications issue replaces this with claimed, retried delivery through real
    gateways; until then, verification codes can be read from the log.
    """
    due = db.session.scalars(
        select(Message)
        .where(Message.channel == Channel.SMS, Message.status == MessageStatus.PENDING,
               Message.due_dt <= now)
        .order_by(Message.id)
        .limit(limit)
    ).all()
    for message in due:
        log.info("SMS to %s: %s", _mask_phone(message.recipient), message.body)
        message.status, message.sent_dt, message.attempts = MessageStatus.SENT, now, 1
    return len(due)

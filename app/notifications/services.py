"""Queueing messages into the outbox (delivery is app.notifications.sweep).

Callers add messages inside the unit of work that caused them, so a message exists
exactly when its cause was committed. Delivery happens later, outside that transaction.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.core.db import restart_as_write
from app.core.errors import NotFound
from app.extensions import db
from app.notifications import queries
from app.notifications.models import Channel, Message, MessageStatus

QUEUED = "xq_queued_messages"  # Session.info key: the messages this unit of work queued
# Session.info key: the claim token of a sender that will send this unit of work's due
# messages as soon as it commits (the web layer, for its request). Rows are queued
# already claimed by it, so sending them takes no claim transaction; if that sender
# never comes, the claim goes stale and the scheduled sweep sends them.
SEND_AFTER_COMMIT = "xq_send_after_commit"
SENT_BY_SWEEP = (Channel.SMS, Channel.EMAIL)


@dataclass(frozen=True)
class Queued:
    """A message just written to the outbox (the row itself is not loaded)."""

    id: int
    channel: Channel
    status: MessageStatus


def queue_message(**message) -> Queued:
    """Write one outgoing message in the current unit of work (``queue_messages``;
    the arguments are ``_row``'s: channel, kind, body, now, recipient …)."""
    return queue_messages([message])[0]


def queue_messages(messages: list[dict]) -> list[Queued]:
    """Write outgoing messages (each given as ``_row``'s keyword arguments) in the
    current unit of work, in one multi-row INSERT (SQLAlchemy's "insertmanyvalues"), no
    ORM objects. Returns them in no particular order."""
    if not messages:
        return []
    sender = db.session.info.get(SEND_AFTER_COMMIT)
    rows = [_row(sender, **message) for message in messages]
    queued = [Queued(id_, Channel(channel), MessageStatus(status))
              for id_, channel, status in db.session.connection().execute(_INSERT, rows)]
    claimed = [q.id for q in queued if q.status == MessageStatus.SENDING]
    if claimed:
        db.session.info.setdefault(QUEUED, []).extend(claimed)
    return queued


# Core on the unit of work's connection, not the ORM's bulk path: plain rows.
_INSERT = insert(Message.__table__).returning(Message.id, Message.channel, Message.status)


def _row(sender: str | None, *, channel: Channel, kind: str, body: str, now: datetime,
         recipient: str = "", user_id: int | None = None, subject: str = "",
         booking_id: int | None = None, dedupe_key: str | None = None,
         due_dt: datetime | None = None, expires_dt: datetime | None = None,
         attachment: str | None = None, sent: bool = False) -> dict:
    """The outbox row of one message: claimed for ``sender`` (the request's sender,
    when there is one) if it is due now and goes out through the sweep."""
    due_dt = due_dt or now
    claimed = (not sent and sender is not None and channel in SENT_BY_SWEEP
               and due_dt <= now and (expires_dt is None or expires_dt > now))
    status = (MessageStatus.SENT if sent else
              MessageStatus.SENDING if claimed else MessageStatus.PENDING)
    return {"channel": channel, "kind": kind, "body": body, "recipient": recipient,
            "user_id": user_id, "subject": subject, "booking_id": booking_id,
            "dedupe_key": dedupe_key, "attachment": attachment, "status": status,
            "due_dt": due_dt, "expires_dt": expires_dt, "created_dt": now,
            "claimed_dt": now if claimed else None,
            "claim_token": sender if claimed else None,
            "sent_dt": now if sent else None, "read_dt": None, "attempts": 0,
            "last_error": ""}


def take_queued_ids(session: Session) -> list[int]:
    """The ids of the messages queued, claimed for sending after the commit, through
    ``session`` since the last call; the web layer sends them once the request has
    committed (those of a unit of work that rolled back are simply not found)."""
    return session.info.pop(QUEUED, [])


def queue_sms(phone: str, *, kind: str, body: str, now: datetime, user_id: int | None = None,
              booking_id: int | None = None, **options) -> Queued:
    return queue_message(channel=Channel.SMS, kind=kind, body=body, now=now, recipient=phone,
                         user_id=user_id, booking_id=booking_id, **options)


def cancel_pending_for_booking(booking_id: int) -> int:
    """Cancel what has not gone out yet for a booking (its reminders, say).

    Rows a sweep has claimed (``sending``) are cancelled too: the sweep reads each row
    again just before sending it, and stamps only rows still claimed."""
    result = db.session.execute(
        update(Message)
        .where(Message.booking_id == booking_id,
               Message.status.in_([MessageStatus.PENDING, MessageStatus.SENDING]))
        .values(status=MessageStatus.CANCELLED, claim_token=None),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def schedule_message(*, dedupe_key: str, channel: Channel, kind: str, body: str,
                     now: datetime, due_dt: datetime, expires_dt: datetime | None,
                     **fields) -> None:
    """Queue the message unique under ``dedupe_key``, or re-time the one already there.

    A row not sent yet (pending, cancelled, expired, failed) is brought back as pending
    with the new times and text; a row already sent keeps its history under a key of
    its own and a new row is queued (a reminder for a rescheduled booking is a new
    reminder)."""
    existing = db.session.execute(
        select(Message.id, Message.status).where(Message.dedupe_key == dedupe_key)
    ).first()
    if existing and existing.status not in (MessageStatus.SENT, MessageStatus.SENDING):
        db.session.execute(
            update(Message).where(Message.id == existing.id)
            .values(status=MessageStatus.PENDING, body=body, due_dt=due_dt,
                    expires_dt=expires_dt, claimed_dt=None, claim_token=None, attempts=0,
                    last_error="", **fields),
            execution_options={"synchronize_session": False},
        )
        return
    if existing:
        db.session.execute(
            update(Message).where(Message.id == existing.id)
            .values(dedupe_key=f"{dedupe_key}#{existing.id}"),
            execution_options={"synchronize_session": False},
        )
    queue_message(channel=channel, kind=kind, body=body, now=now, dedupe_key=dedupe_key,
                  due_dt=due_dt, expires_dt=expires_dt, **fields)


def cancel_message(dedupe_key: str) -> int:
    """Cancel the message under ``dedupe_key`` if it has not gone out."""
    return db.session.execute(
        update(Message)
        .where(Message.dedupe_key == dedupe_key,
               Message.status.in_([MessageStatus.PENDING, MessageStatus.SENDING]))
        .values(status=MessageStatus.CANCELLED, claim_token=None),
        execution_options={"synchronize_session": False},
    ).rowcount


def mark_inbox_read(user_id: int, message_id: int, *, now: datetime) -> None:
    """Mark one of the user's inbox messages read (reading it again changes nothing).
    Another user's message, or none, is ``NotFound``."""
    restart_as_write(db.session)
    marked = db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.user_id == user_id,
               Message.channel == Channel.INBOX, Message.read_dt.is_(None))
        .values(read_dt=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not marked and not queries.inbox_message_exists(user_id, message_id):
        raise NotFound(_("没有这条消息"), code="no_message")


def mark_inbox_all_read(user_id: int, *, now: datetime) -> int:
    """Mark every unread inbox message of the user read; returns how many."""
    restart_as_write(db.session)
    return db.session.execute(
        update(Message)
        .where(Message.user_id == user_id, Message.channel == Channel.INBOX,
               Message.read_dt.is_(None))
        .values(read_dt=now),
        execution_options={"synchronize_session": False},
    ).rowcount

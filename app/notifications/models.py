"""The outbox: one row per message and channel, written in the transaction that caused it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import enum_column
from app.core.time import utcnow
from app.extensions import db


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    INBOX = "inbox"


class MessageStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sweep
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"  # its cause went away (a cancelled booking's reminder)
    EXPIRED = "expired"  # could not go out in its window; never sent late


class Message(db.Model):
    """A message waiting to be sent, or sent. ``dedupe_key`` makes a message unique
    (one 24-hour reminder per booking and channel, say)."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status_due", "status", "due_dt"),
        Index("ix_messages_user_channel", "user_id", "channel", "created_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # What to attach, as "<kind>:<id>" ("booking:42": that booking's .ics), built when
    # the message is sent by the kind's renderer (app.notifications.attachments).
    attachment: Mapped[str | None] = mapped_column(String(60))
    booking_id: Mapped[int | None] = mapped_column(Integer, index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus, "message_status"), default=MessageStatus.PENDING
    )
    due_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime | None]
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_dt: Mapped[datetime | None]
    # Which sweep batch holds the claim: a stamp only lands for the batch that claimed.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    sent_dt: Mapped[datetime | None]
    read_dt: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")

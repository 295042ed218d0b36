"""What the API keeps of its own: the first response to each Idempotency-Key."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow
from app.extensions import db


class IdempotencyRecord(db.Model):
    """The first answer to a client's Idempotency-Key, replayed to every repeat.

    ``fingerprint`` is the SHA-256 of the request (method, path, body), so the same key
    sent with a different request is refused instead of answered with the wrong reply.
    """

    __tablename__ = "api_idempotency_records"
    __table_args__ = (Index("ix_api_idempotency_records_created", "created_dt"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

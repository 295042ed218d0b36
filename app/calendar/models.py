"""Private calendar links. The token is never stored: it is an HMAC of the link's id
and its secret under the application's key, so a database dump alone yields no working
link, the owner can see the same link again, and a reset (new secret) kills it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.enums import enum_column
from app.core.time import utcnow
from app.extensions import db


class FeedOwner(StrEnum):
    EXPERT = "expert"  # owner_id: experts.id
    RESIDENT = "resident"  # owner_id: users.id


class FeedLink(db.Model):
    __tablename__ = "feed_links"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[FeedOwner] = mapped_column(enum_column(FeedOwner, "feed_owner"))
    owner_id: Mapped[int] = mapped_column(Integer)
    secret: Mapped[str] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_dt: Mapped[datetime | None]
    last_fetched_dt: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

"""API tokens: a Bearer secret stands for an account; only its SHA-256 is stored."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.enums import enum_column
from app.core.time import utcnow
from app.extensions import db


class TokenKind(StrEnum):
    LOGIN = "login"  # POST /api/v1/auth/token with a phone and password (an app's login)
    PERSONAL = "personal"  # made on the account page for an integration


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_revoked", "user_id", "revoked_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[TokenKind] = mapped_column(enum_column(TokenKind, "token_kind"))
    name: Mapped[str] = mapped_column(String(60), default="")
    # SHA-256 of the secret: the secret has 256 random bits, so a plain hash cannot be
    # reversed, and a database dump holds no working token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret's first characters, so its owner can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime]
    last_used_dt: Mapped[datetime | None]
    revoked_dt: Mapped[datetime | None]

    user: Mapped[User] = relationship()

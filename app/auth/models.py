"""Accounts (a mobile phone number and a password) and the roles they hold."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import enum_column
from app.core.time import utcnow
from app.extensions import db


class Role(StrEnum):
    RESIDENT = "resident"
    EXPERT = "expert"
    ASSISTANT = "assistant"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    # Keeps the profiles of one institution's experts (app.admin.directory).
    INSTITUTION_ADMIN = "institution_admin"
    # 乡镇医生: works at one township health centre; books referral places for patients
    # (转诊号源) and the sessions for local doctors.
    TOWNSHIP_DOCTOR = "township_doctor"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where and how the account hears from us (the account page's 通知设置): e-mail is
    # optional; SMS go to the phone of the person booked for; the inbox always keeps a copy.
    email: Mapped[str | None] = mapped_column(String(254))
    notify_sms: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_email: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    locale: Mapped[str] = mapped_column(String(8), default="zh", server_default="zh")
    # 关怀版 (senior mode) chosen on this account: larger type, fewer links; a device's
    # own choice (app.auth.care) overrides it on that device.
    care_mode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles - {Role.RESIDENT})

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_enabled

    def __repr__(self) -> str:
        return f"<User {self.id} {self.name}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginSession(db.Model):
    """A signed-in browser session, kept on the server: the session cookie carries its
    secret, the database its SHA-256. Logging out deletes it, so a copy of the cookie
    stops working; a new password deletes the account's others (app.auth.login)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(index=True)


class CodePurpose(StrEnum):
    REGISTER = "register"
    RESET_PASSWORD = "reset_password"
    LOGIN = "login"  # 验证码登录


class VerificationCode(db.Model):
    """A 6-digit SMS code, stored hashed; good for a few minutes and a few attempts."""

    __tablename__ = "verification_codes"
    __table_args__ = (Index("ix_verification_codes_phone_purpose", "phone", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[CodePurpose] = mapped_column(enum_column(CodePurpose, "code_purpose"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_dt: Mapped[datetime | None]

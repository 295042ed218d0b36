"""Accounts, passwords and SMS verification codes, as plain functions.

The acting account and ``now`` come in as arguments; refusals raise DomainError with
a message for the user. Services flush, the caller commits.
"""

import hmac
import secrets
from datetime import datetime, timedelta
from functools import cache
from math import ceil

from flask_babel import gettext as _
from sqlalchemy import select

from app.auth import login, throttle, tokens
from app.auth.models import CodePurpose, Role, User, UserRole, VerificationCode
from app.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from app.core import crypto
from app.core.db import begin_write, restart_as_write
from app.core.errors import Conflict, DomainError
from app.core.time import local_day_bounds, local_today
from app.extensions import db

CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_INTERVAL = timedelta(seconds=60)
CODE_DAILY_LIMIT = 10


class CodeRejected(DomainError):
    """The SMS code was wrong, used, expired or guessed at too often.

    A wrong guess is counted on the code's row in the current unit of work, and nothing
    else has been written before the check: the caller commits even though the action
    failed, or the attempt limit would never be reached."""

    code = "code_rejected"


def find_user(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == phone))


# --- passwords ------------------------------------------------------------------------


def check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_("密码至少要%(n)s位", n=MIN_PASSWORD_LENGTH), code="weak_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_("密码不能超过%(n)s位", n=MAX_PASSWORD_LENGTH), code="weak_password")


@cache
def _stand_in_hash() -> str:
    return hash_password(secrets.token_hex(16))


def authenticate(phone: str, password: str) -> User:
    """The enabled account with this phone and password.

    An unknown phone and a wrong password get the same message and take about the
    same time (a hash is verified either way), so the form tells no one who has an
    account. Failures are counted per phone: too many lock it for an hour
    (app.auth.throttle)."""
    throttle.check(phone)
    user = find_user(phone)
    matches = verify_password(user.password_hash if user else _stand_in_hash(), password)
    if user is None or not matches:
        throttle.note_failure(phone)
        raise DomainError(_("手机号或密码不正确"), code="bad_credentials")
    throttle.note_success(phone)
    if not user.is_enabled:
        raise DomainError(_("这个账号已停用，请联系管理员"), code="account_disabled")
    return user


def authenticate_by_code(phone: str, code: str, *, now: datetime) -> User:
    """The enabled account with this phone, proved by the SMS code sent to it
    (验证码登录). A phone without an account was sent no code, so every guess for it
    fails like a wrong code; failures count like wrong passwords (app.auth.throttle).
    Call it inside a write: the code is used up."""
    throttle.check(phone)
    try:
        verify_code(phone, CodePurpose.LOGIN, code, now=now)
    except CodeRejected:
        throttle.note_failure(phone)
        raise
    user = find_user(phone)
    if user is None:  # a code can only have reached a phone with an account
        raise CodeRejected(_("验证码不正确，请重新获取"))
    throttle.note_success(phone)
    if not user.is_enabled:
        raise DomainError(_("这个账号已停用，请联系管理员"), code="account_disabled")
    return user


def change_password(account_id: int, current: str, new: str, *, now: datetime,
                    keep_session: str | None = None) -> User:
    """Set a new password after checking the current one. Every other signed-in
    session of the account ends (``keep_session``: the secret of the one that asked)
    and every API token is revoked: whoever knew the old password loses what it got."""
    check_new_password(new)
    restart_as_write(db.session)
    user = db.session.get(User, account_id)
    if user is None or not verify_password(user.password_hash, current):
        raise DomainError(_("当前密码不正确"), code="bad_credentials")
    set_password(user, new, now=now, keep_session=keep_session)
    return user


def set_password(user: User, password: str, *, now: datetime,
                 keep_session: str | None = None) -> None:
    """A new password (checked by the caller): every signed-in session of the account
    ends but ``keep_session``, and every API token is revoked."""
    user.password_hash = hash_password(password)
    login.end_all(user.id, but=keep_session)
    tokens.revoke_all(user.id, now=now)
    db.session.flush()


def set_preferences(account_id: int, *, email: str | None, sms: bool, by_email: bool,
                    locale: str, now: datetime) -> User:
    """通知设置: the account's e-mail address, its channels and its messages' language.
    The inbox keeps every message whatever is switched off."""
    if locale not in ("zh", "en"):
        raise DomainError(_("不支持这种语言"), code="bad_locale")
    restart_as_write(db.session)
    user = db.session.get(User, account_id)
    if user is None:
        raise DomainError(_("账号不存在"), code="no_account")
    user.email, user.notify_sms, user.notify_email, user.locale = (
        email or None, sms, by_email, locale)
    db.session.flush()
    return user


def reset_password(phone: str, code: str, new: str, *, now: datetime) -> User:
    """A new password for the account of ``phone``, proved by an SMS code."""
    check_new_password(new)
    restart_as_write(db.session)
    user = find_user(phone)
    if user is None:  # codes are sent to accounts only
        raise CodeRejected(_("请先获取验证码"))
    verify_code(phone, CodePurpose.RESET_PASSWORD, code, now=now)
    set_password(user, new, now=now)  # every session and token ends
    return user


# --- accounts -------------------------------------------------------------------------


def create_account(*, phone: str, name: str, password: str, roles: set[Role],
                   now: datetime) -> User:
    """A new account holding ``roles``; the phone must be free. Inside a write."""
    check_new_password(password)
    if find_user(phone) is not None:
        raise Conflict(_("这个手机号已经有账号了"), code="phone_taken")
    user = User(phone=phone, name=name.strip(), password_hash=hash_password(password),
                is_enabled=True, created_dt=now)
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    db.session.add(user)
    db.session.flush()
    return user


# --- SMS verification codes -----------------------------------------------------------


def _code_hash(phone: str, purpose: CodePurpose, code: str) -> str:
    return crypto.keyed_hash(f"{purpose.value}:{phone}:{code}", purpose="sms-code")


def issue_code(phone: str, purpose: CodePurpose, *, now: datetime) -> str:
    """A new 6-digit code for ``phone`` and ``purpose``; returns it for sending.

    Stored only as a keyed hash, good for 10 minutes, 5 guesses and one use. A phone
    gets at most one code a minute and ten a (local) day, whatever the purpose; the
    newest code of a purpose replaces the older ones."""
    begin_write(db.session)
    day_start, _day_end = local_day_bounds(local_today(now), local_today(now))
    since = min(day_start, now - CODE_RESEND_INTERVAL)
    recent = db.session.scalars(
        select(VerificationCode.created_dt)
        .where(VerificationCode.phone == phone, VerificationCode.created_dt >= since)
        .order_by(VerificationCode.created_dt.desc())
    ).all()
    if recent and now - recent[0] < CODE_RESEND_INTERVAL:
        wait = ceil((CODE_RESEND_INTERVAL - (now - recent[0])).total_seconds())
        raise DomainError(_("验证码已发送，%(n)s秒后才能重新获取", n=wait), code="code_too_soon")
    if sum(1 for created in recent if created >= day_start) >= CODE_DAILY_LIMIT:
        raise DomainError(_("今天获取验证码的次数太多了，请明天再试"), code="code_daily_limit")
    code = f"{secrets.randbelow(1_000_000):06d}"
    db.session.add(VerificationCode(
        phone=phone, purpose=purpose, code_hash=_code_hash(phone, purpose, code),
        created_dt=now, expires_dt=now + CODE_TTL, attempts=0,
    ))
    db.session.flush()
    return code


def verify_code(phone: str, purpose: CodePurpose, code: str, *, now: datetime) -> None:
    """Use up the newest code sent to ``phone`` for ``purpose`` if ``code`` matches.

    Raises CodeRejected otherwise; a wrong guess is counted (see CodeRejected). Call it
    inside a write, after every other check of the action and before its writes."""
    row = db.session.scalar(
        select(VerificationCode)
        .where(VerificationCode.phone == phone, VerificationCode.purpose == purpose)
        .order_by(VerificationCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None:
        raise CodeRejected(_("请先获取验证码"))
    if row.used_dt is not None:
        raise CodeRejected(_("这个验证码已经用过了，请重新获取"))
    if now >= row.expires_dt:
        raise CodeRejected(_("验证码已过期，请重新获取"))
    if row.attempts >= CODE_MAX_ATTEMPTS:
        raise CodeRejected(_("验证码输错次数太多，请重新获取"))
    if not hmac.compare_digest(row.code_hash, _code_hash(phone, purpose, code or "")):
        row.attempts += 1
        db.session.flush()
        left = CODE_MAX_ATTEMPTS - row.attempts
        if left == 0:
            raise CodeRejected(_("验证码输错次数太多，请重新获取"))
        raise CodeRejected(_("验证码不正确，还可以再试%(n)s次", n=left))
    row.used_dt = now
    db.session.flush()


"""API tokens as plain functions: issue, check, list, revoke.

A token is ``xq_`` and 43 URL-safe characters (``secrets.token_urlsafe(32)``: 256 random
bits). It is shown once; the database keeps its SHA-256, its first characters and its
expiry. Services flush, the caller commits.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, or_, select, update

from app.auth.models import User
from app.auth.token_models import ApiToken, TokenKind
from app.core.db import restart_as_write
from app.core.errors import DomainError, NotFound
from app.extensions import db

PREFIX = "xq_"
LOGIN_TOKEN_DAYS = 30
PERSONAL_TOKEN_DAYS = (30, 90, 365)
MAX_ACTIVE_PERSONAL = 10
# A token's last use is written at most this often, not on every request.
LAST_USED_RESOLUTION = timedelta(hours=1)
# A dead (expired or revoked) token row is kept this long, then deleted.
DEAD_KEPT = timedelta(days=30)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(user: User, *, kind: TokenKind, now: datetime, name: str = "",
                days: int = LOGIN_TOKEN_DAYS) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret (shown once).

    Personal tokens live 30, 90 or 365 days, at most ten at a time; a login token
    lives 30 days."""
    user_id = user.id
    restart_as_write(db.session)
    if kind == TokenKind.PERSONAL:
        if days not in PERSONAL_TOKEN_DAYS:
            raise DomainError(_("有效期只能是 30、90 或 365 天"), code="bad_expiry")
        if len(active_tokens(user_id, now=now, kind=TokenKind.PERSONAL)) >= MAX_ACTIVE_PERSONAL:
            raise DomainError(_("最多同时有%(n)s个个人令牌，请先撤销不用的", n=MAX_ACTIVE_PERSONAL),
                              code="too_many_tokens")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, kind=kind, name=name.strip()[:60],
                     token_hash=hash_secret(secret), prefix=secret[:10], created_dt=now,
                     expires_dt=now + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    return token, secret


@dataclass(frozen=True, slots=True)
class Caller:
    """Who an API request acts for, read from its token in one statement: the account's
    id and what its messages need (``recipient_of`` takes it as it takes a ``User``),
    as plain values. Views that need the account's model load it (``api_user``)."""

    token_id: int
    last_used_dt: datetime | None
    id: int  # the account's
    phone: str
    email: str | None
    notify_sms: bool
    notify_email: bool
    locale: str


# Every API request runs it: built once. Core, not the ORM: building the token's and
# the account's objects cost twice the read itself, on every request.
_CALLER = (
    select(ApiToken.id, ApiToken.last_used_dt, User.id, User.phone, User.email, User.notify_sms,
           User.notify_email, User.locale)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_dt.is_(None),
           ApiToken.expires_dt > bindparam("now"), User.is_enabled.is_(True))
)


def caller_for(secret: str, *, now: datetime) -> Caller | None:
    """Who a usable token with this secret stands for (an enabled account); else None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    row = db.session.connection().execute(
        _CALLER, {"token_hash": hash_secret(secret), "now": now}).first()
    return None if row is None else Caller(*row)


def note_use(caller: Caller, *, now: datetime) -> None:
    """Stamp the token's last use when the stamp is older than an hour, in the
    request's unit of work (which goes on as a write transaction then; the caller
    commits)."""
    if caller.last_used_dt and now - caller.last_used_dt < LAST_USED_RESOLUTION:
        return
    restart_as_write(db.session)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == caller.token_id,
               or_(ApiToken.last_used_dt.is_(None),
                   ApiToken.last_used_dt < now - LAST_USED_RESOLUTION))
        .values(last_used_dt=now)
    )


def active_tokens(user_id: int, *, now: datetime, kind: TokenKind | None = None
                  ) -> list[ApiToken]:
    """The user's tokens that still work, newest first."""
    query = (select(ApiToken)
             .where(ApiToken.user_id == user_id, ApiToken.revoked_dt.is_(None),
                    ApiToken.expires_dt > now)
             .order_by(ApiToken.created_dt.desc(), ApiToken.id.desc()))
    if kind is not None:
        query = query.where(ApiToken.kind == kind)
    return list(db.session.scalars(query))


def dead_personal_tokens(user_id: int, *, now: datetime) -> list[ApiToken]:
    """The user's personal tokens that were revoked or ran out (kept ``DEAD_KEPT``),
    newest first: the tokens page shows why an integration stopped working."""
    return list(db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.kind == TokenKind.PERSONAL,
               or_(ApiToken.revoked_dt.is_not(None), ApiToken.expires_dt <= now))
        .order_by(ApiToken.created_dt.desc(), ApiToken.id.desc())))


def revoke_token(user_id: int, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the user's tokens at once; another user's is not found."""
    restart_as_write(db.session)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFound(_("找不到这个令牌"), code="no_token")
    if token.revoked_dt is None:
        token.revoked_dt = now
        db.session.flush()
    return token


def revoke_all(user_id: int, *, now: datetime) -> int:
    """Revoke every token of the account still working (a new password was set)."""
    return db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_dt.is_(None),
               ApiToken.expires_dt > now)
        .values(revoked_dt=now)
    ).rowcount


def purge_dead(*, now: datetime) -> int:
    """Scheduler job: delete tokens expired or revoked more than ``DEAD_KEPT`` ago."""
    cutoff = now - DEAD_KEPT
    return db.session.execute(
        delete(ApiToken).where(or_(ApiToken.expires_dt < cutoff, ApiToken.revoked_dt < cutoff))
    ).rowcount

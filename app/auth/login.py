"""Signing browsers in and out: Flask-Login's loader, and the sessions recorded on
the server (``LoginSession``).

Flask keeps its session in a signed cookie, which works wherever a copy of it goes:
logging out alone would leave a copied cookie signed in. So a login also writes a
record whose secret only the cookie holds, and every request needs that record:
logging out deletes it (that browser only — the account's other devices stay signed
in), a new password deletes every other one of the account, a reset by SMS all of them.
A record lasts ``SESSION_DAYS`` at most. The account pages themselves (register, log
in, reset) live in app.accounts; services flush, the caller commits.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Flask, session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, delete, select

from app.auth.models import LoginSession, User
from app.core.clock import request_now
from app.core.coerce import id_or_none
from app.core.db import restart_as_write
from app.extensions import db, login_manager

SESSION_KEY = "login"  # the session record's secret, in the session cookie
SESSION_DAYS = 30


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(user_id: int, *, now: datetime) -> str:
    """A new session record for ``user_id``; returns its secret, for the cookie."""
    restart_as_write(db.session)
    secret = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user_id, secret_hash=_hash(secret), created_dt=now,
                                expires_dt=now + timedelta(days=SESSION_DAYS)))
    db.session.flush()
    return secret


_SIGNED_IN = (
    select(User).join(LoginSession, LoginSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), LoginSession.secret_hash == bindparam("hash"),
           LoginSession.expires_dt > bindparam("now"), User.is_enabled.is_(True))
)


def signed_in(user_id: int, secret: str, *, now: datetime) -> User | None:
    """The enabled account of a session whose record still exists, else None."""
    return db.session.scalar(_SIGNED_IN, {"user_id": user_id, "hash": _hash(secret),
                                          "now": now})


def end(secret: str) -> None:
    """Log this session out (its record goes; a copy of its cookie no longer works)."""
    restart_as_write(db.session)
    db.session.execute(delete(LoginSession).where(LoginSession.secret_hash == _hash(secret)))


def end_all(user_id: int, *, but: str | None = None) -> None:
    """End every session of the account, but the one whose secret is ``but``."""
    query = delete(LoginSession).where(LoginSession.user_id == user_id)
    if but:
        query = query.where(LoginSession.secret_hash != _hash(but))
    db.session.execute(query)


def purge_expired(*, now: datetime) -> int:
    """Scheduler job: delete the records that ran out."""
    return db.session.execute(
        delete(LoginSession).where(LoginSession.expires_dt <= now)).rowcount


# --- the browser's side --------------------------------------------------------------


def init_login(app: Flask) -> None:
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    # The login page says why it is shown; no flashed English message.
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The account of the session while it is enabled and the session's record
        exists on the server."""
        secret = session.get(SESSION_KEY)
        if (account_id := id_or_none(user_id)) is None or not isinstance(secret, str):
            return None
        return signed_in(account_id, secret, now=request_now())


def sign_in(user: User) -> None:
    """Start a browser session for ``user``: a fresh Flask session (nothing of the
    anonymous one carries over) bound to a new record on the server. The caller
    commits."""
    secret = start(user.id, now=request_now())
    session.clear()
    session[SESSION_KEY] = secret
    login_user(user)


def sign_out() -> None:
    """End this browser session: its record goes, so a copy of its cookie stops
    working; the account's other sessions stay. The caller commits."""
    if isinstance(secret := session.get(SESSION_KEY), str):
        end(secret)
    logout_user()
    session.clear()


def current_session_secret() -> str | None:
    return session.get(SESSION_KEY)

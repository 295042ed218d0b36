"""Login plumbing shared by every page: signing a browser in and out (a session
recorded on the server, app.auth.sessions), loading its account, and the role check.

The account pages themselves (register, log in, reset) live in app.accounts.
"""

from functools import wraps

from flask import Flask, render_template, session
from flask_login import current_user, login_user, logout_user

from app.auth import sessions
from app.auth.models import Role, User
from app.core.clock import request_now
from app.extensions import login_manager

SESSION_KEY = "login"  # the session record's secret, in the session cookie


def init_login(app: Flask) -> None:
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    # The login page says why it is shown; no flashed English message.
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The account of the session while it is enabled and the session's record
        exists on the server (app.auth.sessions)."""
        secret = session.get(SESSION_KEY)
        if not user_id.isdigit() or not isinstance(secret, str):
            return None
        return sessions.signed_in(int(user_id), secret, now=request_now())


def sign_in(user: User) -> None:
    """Start a browser session for ``user``: a fresh Flask session (nothing of the
    anonymous one carries over) bound to a new record on the server. The caller
    commits."""
    secret = sessions.start(user.id, now=request_now())
    session.clear()
    session[SESSION_KEY] = secret
    login_user(user)


def sign_out() -> None:
    """End this browser session: its record goes, so a copy of its cookie stops
    working; the account's other sessions stay. The caller commits."""
    if isinstance(secret := session.get(SESSION_KEY), str):
        sessions.end(secret)
    logout_user()
    session.clear()


def current_session_secret() -> str | None:
    return session.get(SESSION_KEY)


def role_required(*roles: Role):
    """Only accounts holding one of ``roles``: others get 403, visitors the login page."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                return render_template("auth/forbidden.html"), 403
            return view(*args, **kwargs)

        return wrapped

    return decorator

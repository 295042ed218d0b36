"""Login plumbing shared by every page: loading the account, and the role check.

The account pages themselves (register, log in, reset) live in app.accounts.
"""

from functools import wraps

from flask import Flask, render_template
from flask_login import current_user

from app.auth.models import Role, User
from app.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.session_protection = "strong"
    login_manager.login_view = "accounts.login"
    # The login page says why it is shown; no flashed English message.
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The account of the session, while it is enabled and its password unchanged."""
        account_id, _sep, stamp = user_id.partition(":")
        if not account_id.isdigit():
            return None
        user = db.session.get(User, int(account_id))
        if user is None or not user.is_enabled or stamp != user.session_stamp:
            return None
        return user


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

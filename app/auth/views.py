"""The role check every staff page shares. Signing in and out: app.auth.login."""

from functools import wraps

from flask import render_template
from flask_login import current_user

from app.auth.models import Role
from app.extensions import login_manager


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

"""Who is calling: a Bearer API token, never the session cookie.

The API does not look at the site's session at all, so a browser's cookie can neither
read a resident's data nor write through it (and the API needs no CSRF token). The
acting account is kept for the request: ``api_caller()`` as plain values, read with the
token; ``api_user()``, its model, loaded when a view first asks for it.
"""

from functools import wraps

from flask import g, request
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from werkzeug.exceptions import Forbidden, Unauthorized

from app.auth.models import Role, User
from app.auth.tokens import Caller, caller_for, note_use
from app.core.clock import request_now
from app.extensions import db

BEARER = [{"bearerAuth": []}]
SECURITY_SCHEME = {"type": "http", "scheme": "bearer",
                   "description": "An API token from POST /api/v1/auth/token or the account "
                                  "page (/account/tokens)."}


def _authenticate() -> Caller:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized()
    now = request_now()
    caller = caller_for(secret.strip(), now=now)
    if caller is None:
        raise Unauthorized()
    note_use(caller, now=now)
    return caller


def bearer_required(view):
    """Only with a valid Bearer token; the account is ``api_caller()``. Documented in
    the OpenAPI operation's security. Put it above the rate limit, so that limits
    count per account."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.api_caller = _authenticate()
        return view(*args, **kwargs)

    return Blueprint.doc(security=BEARER)(wrapped)


def staff_required(view):
    """A Bearer token of a staff account (coordinator, assistant, expert or admin)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not api_user().is_staff:
            raise Forbidden()
        return view(*args, **kwargs)

    return bearer_required(wrapped)


def roles_required(*roles: Role):
    """A Bearer token of an account holding one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not any(api_user().has_role(role) for role in roles):
                raise Forbidden()
            return view(*args, **kwargs)

        return bearer_required(wrapped)

    return decorator


# A programme admin's account.
admin_required = roles_required(Role.ADMIN)
# An admin, or an institution admin (who keeps their own institution's experts).
keeper_required = roles_required(Role.ADMIN, Role.INSTITUTION_ADMIN)


def api_caller() -> Caller:
    return g.api_caller


def api_user() -> User:
    """The calling account's model, loaded on first use (``api_caller`` has its id)."""
    user = g.get("api_user")
    if user is None:
        user = g.api_user = db.session.get(User, g.api_caller.id)
    return user


def rate_key() -> str:
    """Per account once the token is known, else per address: the pages' keys."""
    caller = g.get("api_caller")
    return f"user:{caller.id}" if caller is not None else f"ip:{get_remote_address()}"


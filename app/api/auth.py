"""Who is calling: a Bearer API token, never the session cookie.

The API does not look at the site's session at all, so a browser's cookie can neither
read a resident's data nor write through it (and the API needs no CSRF token). The
acting account is kept in ``g.api_user`` for the request.
"""

from functools import wraps

from flask import g, request
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint
from werkzeug.exceptions import Forbidden, Unauthorized

from app.auth.models import User
from app.auth.tokens import note_use, token_for
from app.core.clock import request_now
from app.extensions import db

BEARER = [{"bearerAuth": []}]
SECURITY_SCHEME = {"type": "http", "scheme": "bearer",
                   "description": "An API token from POST /api/v1/auth/token or the account "
                                  "page (/account/tokens)."}


def _authenticate() -> User:
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized()
    now = request_now()
    token = token_for(secret.strip(), now=now)
    if token is None:
        raise Unauthorized()
    user_id, g.api_token_id = token.user_id, token.id
    note_use(token, now=now)
    return db.session.get(User, user_id)


def bearer_required(view):
    """Only with a valid Bearer token; the account is ``api_user()``. Documented in
    the OpenAPI operation's security. Put it above the rate limit, so that limits
    count per account."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        g.api_user = _authenticate()
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


def api_user() -> User:
    return g.api_user


def rate_key() -> str:
    """Per account once the token is known, else per address: the pages' keys."""
    user = g.get("api_user")
    return f"user:{user.id}" if user is not None else f"ip:{get_remote_address()}"


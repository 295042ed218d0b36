"""Tokens for apps: a phone and password buy a Bearer token; the token tells who it is."""

from flask_babel import gettext as _

from app.accounts.views import login_limit
from app.api.auth import api_caller, api_user, bearer_required
from app.api.core import api_blueprint
from app.api.errors import error_response
from app.api.schemas import AccountSchema, TokenRequestSchema, TokenSchema
from app.auth import services as auth
from app.auth.throttle import LoginLocked
from app.auth.token_models import TokenKind
from app.auth.tokens import issue_token, revoke_token
from app.core.clock import request_now
from app.core.errors import DomainError
from app.core.phones import InvalidPhone, mask_phone, normalize_mobile
from app.extensions import db

blp = api_blueprint("auth", __name__, "API tokens: log in with a phone and password")


@blp.post("/auth/token")
@login_limit
@blp.arguments(TokenRequestSchema)
@blp.response(201, TokenSchema)
def create_token(data):
    """A Bearer token for 30 days (the login page's rate limit applies). Send it as
    ``Authorization: Bearer <token>``; it is shown once."""
    try:
        user = auth.authenticate(normalize_mobile(data["phone"]), data["password"])
    except (InvalidPhone, DomainError) as exc:
        db.session.rollback()
        if getattr(exc, "code", "") == "account_disabled":
            return error_response(403, exc.code, exc.message)
        if isinstance(exc, LoginLocked):
            return error_response(429, exc.code, exc.message)
        return error_response(401, "bad_credentials", _("手机号或密码不正确"))
    token, secret = issue_token(user, kind=TokenKind.LOGIN, name="API login", now=request_now())
    expires = token.expires_dt
    return {"token": secret, "token_type": "Bearer", "expires_at": expires}


@blp.delete("/auth/token")
@bearer_required
@blp.response(204)
def delete_token():
    """Revoke the token this request carries (log out)."""
    caller = api_caller()
    revoke_token(caller.id, caller.token_id, now=request_now())


@blp.get("/me")
@bearer_required
@blp.response(200, AccountSchema)
def me():
    user = api_user()
    return {"id": user.id, "name": user.name, "phone": mask_phone(user.phone),
            "roles": sorted(role.value for role in user.roles)}

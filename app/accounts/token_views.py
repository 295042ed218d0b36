"""/account/tokens: an account's API tokens — make a personal one (shown once), see
every token that still works (the apps' logins too), revoke any at once."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.token_forms import NewTokenForm, RevokeTokenForm
from app.auth.token_models import TokenKind
from app.auth.tokens import active_tokens, dead_personal_tokens, issue_token, revoke_token
from app.core.clock import request_now
from app.core.errors import DomainError, NotFound
from app.extensions import db, limiter

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _page(form: NewTokenForm, *, secret: str | None = None, status: int = 200):
    now = request_now()
    tokens = active_tokens(current_user.id, now=now)
    body = render_template("accounts/tokens.html", form=form, tokens=tokens, secret=secret,
                           dead=dead_personal_tokens(current_user.id, now=now),
                           revoke_form=RevokeTokenForm(), kinds={
                               TokenKind.LOGIN: _("应用登录"), TokenKind.PERSONAL: _("个人令牌")},
                           )
    # A page that shows a secret must not be kept by a browser's or a proxy's cache.
    return body, status, {"Cache-Control": "no-store"}


@bp.get("")
@login_required
def index():
    return _page(NewTokenForm(formdata=None))


@bp.post("")
@login_required
@limiter.limit("10 per minute")
def create():
    form = NewTokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        _token, secret = issue_token(current_user, kind=TokenKind.PERSONAL, name=form.name.data,
                                     days=form.days.data, now=request_now())
    except DomainError as error:
        db.session.rollback()
        form.name.errors.append(error.message)
        return _page(form, status=422)
    db.session.commit()
    # Shown on this response only: the secret never goes into a redirect or the session.
    return _page(NewTokenForm(formdata=None), secret=secret)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    if not RevokeTokenForm().validate_on_submit():
        return redirect(url_for(".index"))
    try:
        revoke_token(current_user.id, token_id, now=request_now())
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("令牌已撤销，使用它的应用将无法再访问。"), "success")
    return redirect(url_for(".index"))

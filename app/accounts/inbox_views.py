"""The site inbox: a logged-in user's messages (booking confirmations, waitlist offers),
newest first, and the unread count shown in the header of every page."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.clock import request_now
from app.core.coerce import page_number
from app.core.errors import NotFound
from app.extensions import db
from app.notifications import queries, services

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@bp.app_template_global()
def inbox_unread() -> int:
    """The logged-in user's unread count: one COUNT per page, only when the header
    asks (so never for anonymous visitors)."""
    if not current_user.is_authenticated:
        return 0
    if "inbox_unread" not in g:
        g.inbox_unread = queries.unread_count(current_user.id)
    return g.inbox_unread


def _page() -> int:
    return page_number(request.args.get("page", type=int))


@bp.get("")
@login_required
def index():
    page = _page()
    pagination = queries.inbox_page(current_user.id, page=page)
    return render_template("accounts/inbox.html", pagination=pagination, page=page)


@bp.post("/<int:message_id>/read")
@login_required
def read(message_id: int):
    try:
        services.mark_inbox_read(current_user.id, message_id, now=request_now())
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    return redirect(url_for(".index", page=_page()))


@bp.post("/read-all")
@login_required
def read_all():
    services.mark_inbox_all_read(current_user.id, now=request_now())
    db.session.commit()
    flash(_("全部消息已标为已读"), "success")
    return redirect(url_for(".index"))

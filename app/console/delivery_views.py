"""The delivery log: what the outbox sent, failed to send or is still to send, with
filters, and resending a failed or expired message. Routes on the console blueprint;
the queries and the rule are in ``app.notifications.delivery``. An admin sees every
message, a coordinator the messages about bookings at their venues."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role
from app.auth.views import role_required
from app.console import access
from app.console.delivery_forms import MessageFilterForm, ResendForm
from app.console.labels import CHANNEL_LABELS, MESSAGE_STATUS_LABELS, message_kind_label
from app.console.views import _me, bp
from app.core.clock import request_now
from app.core.errors import DomainError
from app.core.phones import mask_contact
from app.extensions import db
from app.notifications import delivery
from app.notifications.models import Message

delivery_log_required = role_required(Role.ADMIN, Role.COORDINATOR)
MESSAGES_PER_PAGE = 50


@bp.get("/console/messages")
@delivery_log_required
def messages():
    scope = access.message_clause(_me())
    form = MessageFilterForm(request.args)
    form.fill(delivery.message_kinds(scope=scope), message_kind_label)
    pagination, counts = None, {}
    if form.validate():
        filters = {"channel": form.channel.data or None, "kind": form.kind.data or None,
                   "recipient": form.recipient.data or None}
        counts = delivery.status_counts(scope=scope, **filters)
        pagination = delivery.message_page(
            scope=scope, status=form.status.data or None, page=form.page.data or 1,
            per_page=current_app.config.get("MESSAGES_PAGE_SIZE", MESSAGES_PER_PAGE),
            **filters)
    page_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "console/messages.html", form=form, pagination=pagination, counts=counts,
        page_args=page_args, count_args={k: v for k, v in page_args.items() if k != "status"},
        resendable=delivery.RESENDABLE,
        status_labels=MESSAGE_STATUS_LABELS, channel_labels=CHANNEL_LABELS,
        kind_label=message_kind_label, mask_contact=mask_contact,
    )


@bp.post("/console/messages/<int:message_id>/resend")
@delivery_log_required
def resend_message(message_id: int):
    visible = db.session.scalar(
        select(Message.id).where(Message.id == message_id, access.message_clause(_me())))
    if visible is None:
        abort(404)  # outside the staff member's venues: do not reveal it
    if not ResendForm().validate_on_submit():
        abort(400)
    try:
        delivery.resend(message_id, by=_me(), now=request_now())
        db.session.commit()
        flash(_("消息已重新排入发送队列。"), "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(url_for("console.messages"))

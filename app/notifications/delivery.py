"""The delivery log for staff: the outbox page by page, counts per status, and resending
a message that failed or expired. Which rows a staff member may see is the caller's
``scope`` (a condition on Message, built by the console from its access rules)."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, select, true, update

from app.core import audit
from app.core.db import restart_as_write
from app.core.errors import DomainError
from app.extensions import db
from app.notifications.models import Message, MessageStatus

RESENDABLE = (MessageStatus.FAILED, MessageStatus.EXPIRED)
# A held place or a code is stale once its time has passed: such a message is never resent.
STALE_ONCE_PAST = ("waitlist_offer", "verification_code")


def _filters(scope: ColumnElement[bool] | None, *, channel: str | None, kind: str | None,
             recipient: str | None) -> list[ColumnElement[bool]]:
    where = [scope if scope is not None else true()]
    if channel:
        where.append(Message.channel == channel)
    if kind:
        where.append(Message.kind == kind)
    if recipient:
        where.append(Message.recipient == recipient)
    return where


def message_page(*, scope: ColumnElement[bool] | None = None, status: str | None = None,
                 channel: str | None = None, kind: str | None = None,
                 recipient: str | None = None, page: int = 1, per_page: int = 50):
    """The outbox, newest first, one page (a Flask-SQLAlchemy Pagination)."""
    query = (select(Message)
             .where(*_filters(scope, channel=channel, kind=kind, recipient=recipient))
             .order_by(Message.created_dt.desc(), Message.id.desc()))
    if status:
        query = query.where(Message.status == status)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=100, error_out=False)


def status_counts(*, scope: ColumnElement[bool] | None = None, channel: str | None = None,
                  kind: str | None = None, recipient: str | None = None) -> dict[str, int]:
    """{status: number of messages} under the same filters but the status, every status
    present (zero when none)."""
    rows = db.session.execute(
        select(Message.status, func.count())
        .where(*_filters(scope, channel=channel, kind=kind, recipient=recipient))
        .group_by(Message.status)
    ).all()
    counts = {s.value: 0 for s in MessageStatus}
    counts.update({MessageStatus(status).value: n for status, n in rows})
    return counts


def message_kinds(*, scope: ColumnElement[bool] | None = None) -> list[str]:
    return db.session.scalars(
        select(Message.kind).where(scope if scope is not None else true())
        .distinct().order_by(Message.kind)
    ).all()


def resend(message_id: int, *, by, now: datetime) -> Message:
    """Put a failed or expired message back in the outbox, due now, with its attempts
    and error cleared (and its send-by time, which a staff member chose to pass).
    Anything else is refused and nothing changes. The caller commits."""
    restart_as_write(db.session)
    message = db.session.get(Message, message_id)
    if message is None:
        raise DomainError(_("找不到这条消息"), code="not_found")
    if message.kind in STALE_ONCE_PAST:
        raise DomainError(_("这条消息说的保留时间或验证码已经过去，不能重发"),
                          code="not_resendable")
    before = {"status": message.status.value, "attempts": message.attempts,
              "last_error": message.last_error}
    changed = db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(RESENDABLE))
        .values(status=MessageStatus.PENDING, due_dt=now, attempts=0, last_error="",
                expires_dt=None, claim_token=None, claimed_dt=None),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not changed:
        raise DomainError(_("只有发送失败或已过期的消息可以重发"), code="not_resendable")
    db.session.refresh(message)
    audit.record("message.resend", message, actor_id=by.id, now=now, before=before,
                 after={"status": MessageStatus.PENDING.value, "attempts": 0,
                        "last_error": ""})
    return message

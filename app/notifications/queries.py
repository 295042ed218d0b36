"""Reading a user's site inbox (the outbox rows of the inbox channel), and the outbox's
figures for /metrics."""

from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import Channel, Message, MessageStatus

INBOX_PAGE_SIZE = 20


def _inbox(user_id: int):
    return select(Message).where(Message.user_id == user_id, Message.channel == Channel.INBOX)


def inbox_page(user_id: int, *, page: int, per_page: int = INBOX_PAGE_SIZE):
    """One page of the user's inbox, newest first (a Flask-SQLAlchemy Pagination)."""
    query = _inbox(user_id).order_by(Message.created_dt.desc(), Message.id.desc())
    return db.paginate(query, page=page, per_page=per_page, max_per_page=100,
                       error_out=False)


def unread_count(user_id: int) -> int:
    """How many inbox messages the user has not read: one COUNT on the index
    ``ix_messages_user_channel`` (user_id, channel, …)."""
    return db.session.scalar(
        select(func.count()).select_from(Message)
        .where(Message.user_id == user_id, Message.channel == Channel.INBOX,
               Message.read_dt.is_(None))
    ) or 0


def inbox_message_exists(user_id: int, message_id: int) -> bool:
    return db.session.scalar(
        select(Message.id).where(Message.id == message_id, Message.user_id == user_id,
                                 Message.channel == Channel.INBOX)
    ) is not None


# --- What /metrics reports (app.web.metrics) ------------------------------------------


def outbox_counts() -> list[tuple[str, str, int]]:
    """(channel, status, messages) over the whole outbox."""
    return [(str(channel), str(status), count) for channel, status, count in db.session.execute(
        select(Message.channel, Message.status, func.count())
        .group_by(Message.channel, Message.status))]


def oldest_due(now: datetime) -> datetime | None:
    """When the longest-waiting pending message fell due (None: none is waiting)."""
    return db.session.scalar(select(func.min(Message.due_dt)).where(
        Message.status == MessageStatus.PENDING, Message.due_dt <= now))

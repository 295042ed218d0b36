"""Queueing: many messages in one call go in as multi-row INSERTs of bounded size."""

from sqlalchemy import func, select

from app.notifications.models import Channel, Message, MessageStatus
from app.notifications.services import SEND_AFTER_COMMIT, queue_messages
from tests.factories import NOW


def test_more_messages_than_one_insert_takes_all_go_in(db):
    count = 103
    db.session.info[SEND_AFTER_COMMIT] = "request-sender"
    messages = [{"channel": Channel.SMS if n % 2 else Channel.INBOX, "kind": "test",
                 "body": f"第{n}条", "now": NOW, "recipient": f"139{n:08d}",
                 "sent": not n % 2} for n in range(count)]

    queued = queue_messages(messages)

    stored = dict(db.session.execute(
        select(Message.status, func.count()).group_by(Message.status)).all())
    assert len({q.id for q in queued}) == count
    assert stored == {MessageStatus.SENDING: count // 2, MessageStatus.SENT: count - count // 2}
    assert sorted(q.status for q in queued) == sorted(
        [MessageStatus.SENDING] * (count // 2) + [MessageStatus.SENT] * (count - count // 2))

"""Two sweeps at once over the same outbox, committing for real on an empty database
of the tier's kind: every message goes out exactly once."""

import flask_migrate
from sqlalchemy import func, insert, select

from app.extensions import db
from app.notifications.models import Channel, Message, MessageStatus
from app.notifications.sweep import sweep
from tests.conftest import make_app
from tests.factories import NOW
from tests.helpers import at_once
from tests.notifications.helpers import RecordingGateway

MESSAGES = 500


def _seed(app) -> None:
    rows = [{"channel": Channel.SMS, "kind": "test", "recipient": f"139{i:08d}",
             "subject": "", "body": f"text {i}", "status": MessageStatus.PENDING,
             "due_dt": NOW, "created_dt": NOW, "attempts": 0, "last_error": ""}
            for i in range(MESSAGES)]
    with app.app_context():
        db.session.execute(insert(Message), rows)
        db.session.commit()


def test_two_sweeps_at_once_send_each_message_exactly_once(scratch_url):
    app = make_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
    _seed(app)
    gateway = RecordingGateway(latency_s=0.0005)

    def run():
        with app.app_context():
            try:
                return sweep(now=NOW, batch=5, driver=gateway)
            finally:
                db.session.remove()

    results = at_once([run, run])

    assert not [r for r in results if isinstance(r, Exception)]
    assert len(gateway.calls) == MESSAGES
    assert set(gateway.calls.values()) == {1}
    assert sum(r.sent for r in results) == MESSAGES
    assert all(r.claimed > 0 for r in results)  # both sweeps really took part
    with app.app_context():
        assert db.session.execute(
            select(Message.status, func.count()).group_by(Message.status)
        ).all() == [(MessageStatus.SENT, MESSAGES)]
        db.session.remove()
        db.engine.dispose()

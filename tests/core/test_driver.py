"""DriverStatement: SQLAlchemy's SQL and type processing, run on the driver's cursor —
on SQLite and PostgreSQL alike (the tier's database)."""

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.core.driver import DriverStatement
from app.notifications.models import Channel, Message, MessageStatus
from tests.factories import NOW

_CLAIM = DriverStatement(
    update(Message)
    .where(Message.id == bindparam("b_id"), Message.status == MessageStatus.PENDING)
    .values(status=MessageStatus.SENDING, claimed_dt=bindparam("b_now"),
            attempts=Message.attempts + 1)
    .returning(Message.attempts)
)
_INSERT = DriverStatement(insert(Message).returning(Message.id, Message.status))


def _message(**values) -> dict:
    return {"channel": Channel.SMS, "kind": "test", "body": "正文", "recipient": "13800000000",
            "user_id": None, "subject": "", "booking_id": None, "dedupe_key": None,
            "attachment": None, "status": MessageStatus.PENDING, "due_dt": NOW,
            "expires_dt": None, "created_dt": NOW, "claimed_dt": None, "claim_token": None,
            "sent_dt": None, "read_dt": None, "attempts": 0, "last_error": "", **values}


def _insert(db, **values) -> int:
    row = _message(**values)
    (message_id, status), = _INSERT.execute(db.session, row, column_keys=row).fetchall()
    assert status == "pending"  # as the driver gives it: no result processing
    return message_id


def test_values_go_through_the_columns_types(db):
    """Enums and aware datetimes are stored as SQLAlchemy stores them: the ORM reads
    back what was given."""
    message_id = _insert(db, channel=Channel.INBOX, due_dt=NOW + timedelta(hours=2))

    message = db.session.get(Message, message_id)
    assert (message.channel, message.status, message.due_dt, message.body) == (
        Channel.INBOX, MessageStatus.PENDING, NOW + timedelta(hours=2), "正文")


def test_fixed_values_and_given_parameters_are_bound_in_order(db):
    message_id = _insert(db)

    first = _CLAIM.execute(db.session, {"b_id": message_id, "b_now": NOW}).fetchall()
    again = _CLAIM.execute(db.session, {"b_id": message_id, "b_now": NOW}).fetchall()

    assert (first, again) == ([(1,)], [])  # the status condition holds the second time
    assert db.session.execute(select(Message.status, Message.claimed_dt)).one() == (
        MessageStatus.SENDING, NOW)


def test_rowcount_says_how_many_rows_changed(db):
    touch = DriverStatement(update(Message).where(Message.kind == bindparam("b_kind"))
                            .values(attempts=Message.attempts + 1))
    _insert(db), _insert(db)

    assert touch.execute(db.session, {"b_kind": "test"}).rowcount == 2
    assert touch.execute(db.session, {"b_kind": "other"}).rowcount == 0


def test_driver_errors_come_back_as_sqlalchemy_errors(db):
    _insert(db, dedupe_key="once")

    with pytest.raises(IntegrityError) as raised:
        _insert(db, dedupe_key="once")

    assert "dedupe_key" in str(raised.value.orig)


def test_a_statement_that_needs_python_defaults_is_refused(db):
    row = _message()
    del row["created_dt"]  # the column's default is utcnow(), which would not run

    with pytest.raises(TypeError, match="created_dt"):
        _INSERT.execute(db.session, row, column_keys=row)


def test_a_missing_parameter_is_a_key_error_not_a_null(db):
    with pytest.raises(KeyError, match="b_now"):
        _CLAIM.execute(db.session, {"b_id": 1})


def test_parameters_rendered_at_execution_are_refused(db):
    by_ids = DriverStatement(update(Message).where(Message.id.in_(bindparam("ids")))
                             .values(attempts=0))

    with pytest.raises(TypeError, match="rendered at execution"):
        by_ids.execute(db.session, {"ids": [1, 2]})

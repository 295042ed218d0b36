"""The sweep on its own: what it claims, sends, stamps, retries, expires and skips.
Time is passed explicitly; the gateway is a recording double."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.notifications.models import Channel, Message, MessageStatus
from app.notifications.services import (
    cancel_pending_for_booking,
    queue_message,
    queue_sms,
)
from app.notifications.sweep import MAX_ATTEMPTS, STALE_CLAIM, backoff, sweep
from tests.factories import NOW, create_user
from tests.notifications.helpers import RecordingGateway, RecordingMail, RefusingGateway


def _sms(db, n: int = 1, **kw) -> list[int]:
    kw.setdefault("now", NOW)
    messages = [queue_sms(f"1390000{i:04d}", kind="test", body=f"text {i}", **kw)
                for i in range(n)]
    db.session.commit()
    return [m.id for m in messages]


def _row(db, message_id: int) -> Message:
    db.session.expire_all()
    return db.session.get(Message, message_id)


def test_sweep_sends_each_due_sms_once_and_stamps_it(db):
    due = _sms(db, 3)
    later = _sms(db, 1, due_dt=NOW + timedelta(minutes=5))
    email = queue_message(channel=Channel.EMAIL, kind="test", body="mail", now=NOW,
                          recipient="a@example.org", subject="主题")
    inbox = queue_message(channel=Channel.INBOX, user_id=create_user().id, kind="test",
                          subject="s", body="b", now=NOW, sent=True)
    db.session.commit()
    gateway, mail = RecordingGateway(), RecordingMail()

    first = sweep(now=NOW, batch=2, driver=gateway, mail=mail)
    second = sweep(now=NOW, batch=2, driver=gateway, mail=mail)

    assert dict(gateway.calls) == {i: 1 for i in due}
    assert [(e.to, e.subject, e.text) for e in mail.sent.values()] == [
        ("a@example.org", "主题", "mail")]
    assert mail.closed == 2  # each pass closes its mail connection
    assert (first.claimed, first.sent, second.claimed) == (4, 4, 0)
    assert [(_row(db, i).status, _row(db, i).sent_dt, _row(db, i).attempts) for i in due] == [
        (MessageStatus.SENT, NOW, 1)] * 3
    assert _row(db, later[0]).status == MessageStatus.PENDING
    assert _row(db, email.id).status == MessageStatus.SENT
    assert _row(db, inbox.id).status == MessageStatus.SENT


def test_sweep_limit_caps_one_pass(db):
    _sms(db, 5)

    stats = sweep(now=NOW, batch=2, limit=3, driver=RecordingGateway())

    assert (stats.claimed, stats.sent) == (3, 3)


def test_sweep_takes_back_a_stale_claim_and_sends_it(db):
    stale, fresh = _sms(db, 2)
    ages = {stale: STALE_CLAIM + timedelta(seconds=1), fresh: timedelta(minutes=1)}
    for message_id, age in ages.items():
        row = db.session.get(Message, message_id)
        row.status, row.claimed_dt, row.claim_token = MessageStatus.SENDING, NOW - age, "killed"
    db.session.commit()
    gateway = RecordingGateway()

    stats = sweep(now=NOW, driver=gateway)

    assert dict(gateway.calls) == {stale: 1}
    assert (stats.reclaimed, stats.sent) == (1, 1)
    assert _row(db, stale).status == MessageStatus.SENT
    assert _row(db, fresh).status == MessageStatus.SENDING  # still another sweep's


def test_sweep_backs_off_after_failures_then_fails_for_good(db):
    [message_id] = _sms(db)
    gateway = RefusingGateway()
    now = NOW

    for attempt in range(1, MAX_ATTEMPTS):
        stats = sweep(now=now, driver=gateway)
        row = _row(db, message_id)
        assert (stats.retried, row.status, row.attempts, row.due_dt, row.last_error) == (
            1, MessageStatus.PENDING, attempt, now + backoff(attempt), "gateway answered 503")
        assert sweep(now=row.due_dt - timedelta(seconds=1), driver=gateway).claimed == 0
        now = row.due_dt
    last = sweep(now=now, driver=gateway)

    row = _row(db, message_id)
    assert (last.failed, row.status, row.attempts) == (1, MessageStatus.FAILED, MAX_ATTEMPTS)
    assert gateway.calls[message_id] == MAX_ATTEMPTS
    assert sweep(now=now + timedelta(days=1), driver=gateway).claimed == 0


def test_backoff_doubles_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 2, 4)]
    assert backoff(30) == timedelta(hours=2)


def test_sweep_expires_a_row_past_its_window_instead_of_sending_it_late(db):
    [late] = _sms(db, due_dt=NOW - timedelta(hours=3), expires_dt=NOW)
    [in_time] = _sms(db, due_dt=NOW - timedelta(hours=3), expires_dt=NOW + timedelta(minutes=1))
    gateway = RecordingGateway()

    stats = sweep(now=NOW, driver=gateway)

    assert dict(gateway.calls) == {in_time: 1}
    assert (stats.expired, _row(db, late).status) == (1, MessageStatus.EXPIRED)


def test_sweep_skips_a_row_whose_booking_was_cancelled_after_the_claim(db):
    [first] = _sms(db, booking_id=1)
    [second] = _sms(db, booking_id=2)

    class CancelsMeanwhile(RecordingGateway):
        """While the first message is at the gateway, booking 2 is cancelled."""

        def send(self, sms):
            super().send(sms)
            if sms.id == first:
                cancel_pending_for_booking(2)
                db.session.commit()

    gateway = CancelsMeanwhile()
    stats = sweep(now=NOW, batch=10, driver=gateway)

    assert dict(gateway.calls) == {first: 1}
    assert (stats.claimed, stats.sent, stats.skipped) == (2, 1, 1)
    assert _row(db, second).status == MessageStatus.CANCELLED


def test_cli_sweep_prints_counts(app, db):
    _sms(db, 2)

    result = app.test_cli_runner().invoke(
        args=["notifications", "sweep", "--now", NOW.strftime("%Y-%m-%dT%H:%M:%S")])

    assert result.exit_code == 0, result.output
    assert "claimed=2 sent=2" in result.output
    assert db.session.scalars(select(Message.status)).all() == [MessageStatus.SENT] * 2


def test_sweep_of_given_ids_sends_only_those_and_never_an_expired_one(db):
    wanted, other = _sms(db, 2)
    [late] = _sms(db, due_dt=NOW - timedelta(hours=3), expires_dt=NOW)
    gateway = RecordingGateway()

    stats = sweep(now=NOW, ids=[wanted, late], driver=gateway)

    assert dict(gateway.calls) == {wanted: 1}
    assert (stats.claimed, stats.expired) == (1, 0)  # expiry is the scheduled sweep's job
    assert [_row(db, i).status for i in (other, late)] == [MessageStatus.PENDING] * 2


class _Killed(BaseException):
    """The process dying under the sweep (SIGKILL, power cut): nothing handles it."""


class DyingGateway(RecordingGateway):
    def send(self, sms) -> None:
        raise _Killed


def test_a_sweep_killed_after_claiming_loses_nothing(db):
    due = _sms(db, 4)

    with pytest.raises(_Killed):  # dies at its first send: its claim was committed
        sweep(now=NOW, batch=4, driver=DyingGateway())
    db.session.rollback()
    assert {_row(db, i).status for i in due} == {MessageStatus.SENDING}
    gateway = RecordingGateway()
    assert sweep(now=NOW + timedelta(minutes=1), driver=gateway).claimed == 0  # not stale yet

    later = sweep(now=NOW + STALE_CLAIM + timedelta(seconds=1), driver=gateway)

    assert dict(gateway.calls) == {i: 1 for i in due}
    assert (later.reclaimed, later.sent) == (4, 4)

"""A request's messages go out as soon as it has committed, not at the next sweep."""

from datetime import timedelta

from sqlalchemy import select, update

from app.bookings.models import Booking
from app.notifications.models import Channel, Message, MessageStatus
from app.notifications.services import SEND_AFTER_COMMIT, queue_sms, take_queued_ids
from app.notifications.sweep import STALE_CLAIM, send_claimed, sweep
from tests.bookings.test_views import _csrf, _login, _nonce, _setup
from tests.factories import NOW
from tests.notifications.helpers import RecordingGateway


def _statuses(db, booking_id: int) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(Message.kind, Message.status).where(Message.booking_id == booking_id,
                                                   Message.channel == Channel.SMS)
        .order_by(Message.due_dt)
    ).all()


def test_booking_confirmation_is_sent_with_the_response_and_reminders_wait(db, client):
    session, patient = _setup(db)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text

    response = client.post(f"/slots/{session.slots[0].id}/book", data={
        "csrf_token": _csrf(page), "nonce": _nonce(page), "patient": patient.id})

    assert response.status_code == 302
    response.close()  # as the WSGI server does once the response has gone out
    booking = db.session.scalar(select(Booking))
    assert _statuses(db, booking.id) == [
        ("booking_confirmed", MessageStatus.SENT),
        ("reminder_24h", MessageStatus.PENDING),
        ("reminder_2h", MessageStatus.PENDING),
    ]


def test_a_refused_booking_sends_nothing(db, client):
    session, patient = _setup(db, slots=1, capacity=1)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text
    session.slots[0].booked_count = 1  # someone else took the place meanwhile
    db.session.commit()

    client.post(f"/slots/{session.slots[0].id}/book", data={
        "csrf_token": _csrf(page), "nonce": _nonce(page), "patient": patient.id})

    assert db.session.scalars(select(Message.id)).all() == []


def test_a_worker_that_dies_before_sending_leaves_the_confirmation_to_the_sweep(db, client):
    session, patient = _setup(db)
    _login(client, patient.account)
    page = client.get(f"/slots/{session.slots[0].id}/book").text

    client.post(f"/slots/{session.slots[0].id}/book", data={  # never closed: it died
        "csrf_token": _csrf(page), "nonce": _nonce(page), "patient": patient.id})

    booking = db.session.scalar(select(Booking))
    confirmation = db.session.scalar(select(Message).where(
        Message.booking_id == booking.id, Message.kind == "booking_confirmed",
        Message.channel == Channel.SMS))
    assert confirmation.status == MessageStatus.SENDING  # claimed in the booking's own txn
    gateway = RecordingGateway()
    assert sweep(now=NOW + timedelta(minutes=1), driver=gateway).sent == 0  # still claimed
    sweep(now=NOW + STALE_CLAIM + timedelta(seconds=1), driver=gateway)
    assert dict(gateway.calls) == {confirmation.id: 1}


def test_one_batch_sends_several_requests_rows_once_and_only_while_still_claimed(db):
    claims = {}
    for token in ("request-a", "request-b"):
        db.session.info[SEND_AFTER_COMMIT] = token
        for n in range(2):
            queue_sms(f"1390000{len(claims)}{n:03d}", kind="test", body=f"{token} {n}", now=NOW)
        claims[token] = take_queued_ids(db.session)
    db.session.info.pop(SEND_AFTER_COMMIT)
    db.session.commit()
    (a1, a2), (b1, b2) = claims["request-a"], claims["request-b"]
    db.session.execute(update(Message).where(Message.id == a2)  # its booking was cancelled
                       .values(status=MessageStatus.CANCELLED, claim_token=None))
    db.session.commit()
    gateway = RecordingGateway()

    batch = {"request-a": [a1, a2, b2], "request-b": [b1]}  # b2 handed in under a's token
    stats = send_claimed(batch, now=NOW, driver=gateway)
    again = send_claimed(batch, now=NOW, driver=gateway)

    assert dict(gateway.calls) == {a1: 1, b1: 1}  # b2 was not a's to send
    assert (stats.sent, again.sent) == (2, 0)
    db.session.expire_all()
    assert {i: db.session.get(Message, i).status for i in (a1, a2, b1, b2)} == {
        a1: MessageStatus.SENT, a2: MessageStatus.CANCELLED, b1: MessageStatus.SENT,
        b2: MessageStatus.SENDING}  # left to b, or to the sweep once its claim is stale

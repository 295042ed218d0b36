"""Reminders: queued with the booking (24 h and 2 h before, each with its window),
re-timed by a reschedule, and never sent for a cancelled booking, a stopped session
or after the start. Time is passed explicitly; the gateway is a recording double."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.auth.models import Role
from app.bookings.services import changes, stopping
from app.notifications.models import Message, MessageStatus
from app.notifications.sweep import sweep
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.notifications.helpers import RecordingGateway

DAY = TODAY + timedelta(days=2)
START = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # 08:00 local on DAY: the first slot


def _booked(db):
    session = create_session(day=DAY)
    patient = create_patient(phone="13900000077")
    db.session.commit()
    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    return session, patient, booking


def _reminders(db, booking_id: int) -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(Message.kind, Message.status, Message.due_dt, Message.expires_dt,
               Message.dedupe_key)
        .where(Message.booking_id == booking_id, Message.kind.like("reminder_%"))
        .order_by(Message.due_dt)
    ).all()


def _reminders_sent(db, gateway: RecordingGateway) -> list[str]:
    return db.session.scalars(
        select(Message.kind).where(Message.id.in_(list(gateway.calls)),
                                   Message.kind.like("reminder_%"))
    ).all()


def test_booking_queues_reminders_24_and_2_hours_before_with_their_windows(db):
    _, _, booking = _booked(db)

    assert _reminders(db, booking.id) == [
        ("reminder_24h", MessageStatus.PENDING, START - timedelta(hours=24),
         START - timedelta(hours=12), f"reminder_24h:{booking.id}:sms"),
        ("reminder_2h", MessageStatus.PENDING, START - timedelta(hours=2), START,
         f"reminder_2h:{booking.id}:sms"),
    ]


def test_reminders_go_out_at_their_time_with_the_booking_details(db):
    _, _, booking = _booked(db)
    gateway = RecordingGateway()

    sweep(now=START - timedelta(hours=25), driver=gateway)
    assert _reminders_sent(db, gateway) == []
    sweep(now=START - timedelta(hours=24), driver=gateway)
    sweep(now=START - timedelta(hours=2), driver=gateway)

    assert sorted(_reminders_sent(db, gateway)) == ["reminder_24h", "reminder_2h"]
    assert max(gateway.calls.values()) == 1
    reminder_id = db.session.scalar(select(Message.id).where(Message.kind == "reminder_2h"))
    assert f"预约码{booking.code}" in gateway.texts[reminder_id]


def test_reschedule_re_times_the_same_reminder_rows(db):
    session, patient, booking = _booked(db)
    before = db.session.scalars(select(Message.id).where(Message.kind.like("reminder_%"))
                                .order_by(Message.id)).all()
    new_start = session.slots[2].start_dt

    changes.reschedule_booking(booking, session.slots[2].id, by=patient.account, now=NOW)
    db.session.commit()

    assert [(kind, status, due) for kind, status, due, *_ in _reminders(db, booking.id)] == [
        ("reminder_24h", MessageStatus.PENDING, new_start - timedelta(hours=24)),
        ("reminder_2h", MessageStatus.PENDING, new_start - timedelta(hours=2)),
    ]
    assert db.session.scalars(select(Message.id).where(Message.kind.like("reminder_%"))
                              .order_by(Message.id)).all() == before


def test_reschedule_after_a_reminder_went_out_queues_a_new_one(db):
    session, patient, booking = _booked(db)
    sweep(now=START - timedelta(hours=24), driver=RecordingGateway())
    later = create_session(day=DAY + timedelta(days=2), experts=session.experts)
    db.session.commit()

    changes.reschedule_booking(booking, later.slots[0].id, by=patient.account,
                              now=START - timedelta(hours=23))
    db.session.commit()

    kinds = [(kind, status) for kind, status, *_ in _reminders(db, booking.id)]
    assert kinds == [("reminder_24h", MessageStatus.SENT), ("reminder_24h", MessageStatus.PENDING),
                     ("reminder_2h", MessageStatus.PENDING)]


def test_no_reminder_for_a_cancelled_booking(db):
    _, patient, booking = _booked(db)
    changes.cancel_booking(booking, by=patient.account, now=NOW)
    db.session.commit()
    gateway = RecordingGateway()

    for hours in (24, 2):
        sweep(now=START - timedelta(hours=hours), driver=gateway)

    assert _reminders_sent(db, gateway) == []
    assert {status for _, status, *_ in _reminders(db, booking.id)} == {MessageStatus.CANCELLED}


def test_no_reminder_for_a_stopped_session(db):
    session, _, booking = _booked(db)
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()
    stopping.stop_session(session, "专家临时有手术安排", by=coordinator, now=NOW)
    db.session.commit()
    gateway = RecordingGateway()

    for hours in (24, 2):
        sweep(now=START - timedelta(hours=hours), driver=gateway)

    assert _reminders_sent(db, gateway) == []
    assert {status for _, status, *_ in _reminders(db, booking.id)} == {MessageStatus.CANCELLED}


def test_no_reminder_after_its_window_or_the_start(db):
    _, _, booking = _booked(db)
    gateway = RecordingGateway()

    sweep(now=START - timedelta(hours=11), driver=gateway)  # the 24 h one missed its window
    sweep(now=START + timedelta(minutes=1), driver=gateway)  # the 2 h one missed the start

    assert _reminders_sent(db, gateway) == []
    assert [status for _, status, *_ in _reminders(db, booking.id)] == [
        MessageStatus.EXPIRED, MessageStatus.EXPIRED]


def test_booking_close_to_the_start_queues_only_the_reminders_still_ahead(db):
    session = create_session(day=DAY)
    patient = create_patient(phone="13900000078")
    db.session.commit()
    booked_at = START - timedelta(hours=20)

    booking = book_slot(session.slots[0].id, patient, by=patient.account, now=booked_at)
    db.session.commit()

    assert [kind for kind, *_ in _reminders(db, booking.id)] == ["reminder_2h"]


def test_texts_rendered_before_the_write_carry_their_own_booking(db, monkeypatch, app):
    monkeypatch.setitem(app.config, "SITE_URL", "https://xq.example")
    session = create_session(day=DAY)
    first = create_patient(phone="13900000071", id_number=make_id_number(seq=71))
    second = create_patient(phone="13900000072", id_number=make_id_number(seq=72))
    second.account.email = "second@example.org"
    db.session.commit()
    book_slot(session.slots[0].id, first, by=first.account, now=NOW)
    db.session.commit()
    booking = book_slot(session.slots[1].id, second, by=second.account, now=NOW)
    db.session.commit()

    rows = db.session.execute(
        select(Message.channel, Message.body, Message.subject, Message.dedupe_key,
               Message.attachment).where(Message.booking_id == booking.id)
    ).all()

    assert booking.queue_number == 6  # the second slot's first number
    assert {row.channel for row in rows} == {"sms", "inbox", "email"}
    assert not any("\ue000" in str(v) or "\ue001" in str(v) for row in rows for v in row)
    confirmation = next(r for r in rows if r.channel == "sms" and r.dedupe_key is None)
    assert f"第6号，预约码{booking.code}" in confirmation.body
    assert any(f"https://xq.example/bookings/{booking.id}" in r.body for r in rows)
    assert {r.attachment for r in rows if r.channel == "email" and r.dedupe_key is None} == {
        f"booking:{booking.id}"}
    assert {r.dedupe_key for r in rows if r.dedupe_key} == {
        f"reminder_{h}h:{booking.id}:{c}" for h in (24, 2) for c in ("sms", "email")}

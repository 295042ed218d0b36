"""The console's write actions as production runs them: each request its own
transactions on a database of its own, no outer test transaction around them.

The suite's ``db`` fixture runs every request inside one outer transaction, where
``begin_write()`` never objects. Here a handler that let a write service start inside
the read transaction its access checks opened would fail on SQLite."""

from datetime import timedelta

import flask_migrate
from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.core.models import AuditEntry
from app.extensions import db
from app.scheduling.models import Session, SessionStatus
from tests.conftest import make_app
from tests.console.helpers import csrf, nonce
from tests.factories import (
    NOW,
    book_slot,
    create_coordinator,
    create_patient,
    create_session,
    make_id_number,
)
from tests.helpers import PASSWORD, login


def test_desk_actions_commit_outside_the_test_transaction(scratch_url):
    app = make_app(scratch_url, CLOCK=lambda: NOW)
    with app.app_context():
        flask_migrate.upgrade()
        session = create_session(slots=7, capacity=5)
        patient = create_patient()
        coordinator = create_coordinator(session.venue, password=PASSWORD)
        db.session.commit()
        booking = book_slot(session.slots[0].id, patient, by=patient.account,
                                   now=NOW - timedelta(days=1))
        db.session.commit()
        session_id, slot_id, code, phone = (session.id, session.slots[-1].id, booking.code,
                                            coordinator.phone)
        db.session.remove()
    client = app.test_client()
    base = f"/console/sessions/{session_id}"

    assert login(client, phone).status_code == 302
    html = client.get(base).text
    checked = client.post(f"{base}/check-in", data={"csrf_token": csrf(html), "q": code})
    html = client.get(base).text
    walked = client.post(f"{base}/walk-in", data={
        "csrf_token": csrf(html), "nonce": nonce(html), "slot": slot_id, "name": "张桂兰",
        "id_number": make_id_number(seq=35), "phone": "13700001111"})
    stopped = client.post(f"{base}/stop", data={"csrf_token": csrf(html), "reason": "暴雨"})

    assert [r.status_code for r in (checked, walked, stopped)] == [302, 302, 302]
    with app.app_context():
        assert db.session.scalar(select(Session.status)) == SessionStatus.STOPPED
        assert db.session.scalars(select(Booking.status).order_by(Booking.id)).all() == [
            BookingStatus.STOPPED, BookingStatus.STOPPED]
        assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "booking.check_in", "booking.front_desk", "session.stop"]
        db.session.remove()
        db.engine.dispose()

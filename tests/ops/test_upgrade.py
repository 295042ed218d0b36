"""Issue #19, item 3: every migration runs with a programme's data in the database.

The demo programme is seeded at head, taken down to the first revision that has
bookings (what the first release ran) — every downgrade with data in it — and brought
back up to head: every upgrade with data in it, as README's upgrade procedure runs
them. The rows the first revision knew survive both ways, the schema ends equal to the
models, and the site serves and books on the result. On the tier's database
(PostgreSQL in CI).
"""

from datetime import date, timedelta

import flask_migrate
from sqlalchemy import func, select, text

from app.bookings.models import Booking, BookingStatus
from app.demo.seed import seed
from app.extensions import db
from app.scheduling.models import Session, SessionKind, SessionStatus, Slot
from tests.conftest import make_app
from tests.factories import NOW, book_slot, create_patient, create_user
from tests.test_migrations import _diff

FIRST_RELEASE = "006bce9333b2"  # bookings, waitlist, policy, outbox: the first release
TODAY = date(2026, 12, 1)
# What the first release's schema held, read with plain SQL at either end.
KEPT = {
    "users": "SELECT count(*), coalesce(sum(id), 0) FROM users",
    "experts": "SELECT count(*), coalesce(sum(id), 0) FROM experts",
    "venues": "SELECT count(*), coalesce(sum(id), 0) FROM venues",
    "sessions": "SELECT count(*), coalesce(sum(id), 0) FROM sessions",
    "slots": "SELECT count(*), coalesce(sum(capacity), 0) FROM slots",
    "patients": "SELECT count(*), coalesce(sum(id), 0) FROM patients",
    "bookings": "SELECT count(*), coalesce(sum(id), 0), coalesce(sum(slot_id), 0) "
                "FROM bookings",
    "confirmed": "SELECT count(*) FROM bookings WHERE status = 'confirmed'",
}


def _kept() -> dict[str, tuple]:
    return {name: tuple(db.session.execute(text(sql)).one()) for name, sql in KEPT.items()}


def test_the_seeded_programme_goes_down_to_the_first_release_and_up_again(scratch_url):
    app = make_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
        assert seed(today=TODAY, states=False, history=False, echo=lambda *a, **k: None)
        seeded = _kept()
        db.session.remove()

        flask_migrate.downgrade(revision=FIRST_RELEASE)
        db.engine.dispose()
        at_first_release = _kept()
        db.session.remove()

        flask_migrate.upgrade()
        db.engine.dispose()
        upgraded = _kept()
        schema_diff = _diff(db.engine)
        db.session.remove()

    assert seeded["bookings"][0] > 5000 and seeded["confirmed"][0] > 1000
    assert at_first_release == seeded
    assert upgraded == seeded
    assert schema_diff == []

    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/schedule").status_code == 200
    with app.app_context():
        slot = db.session.scalar(
            select(Slot).join(Session, Session.id == Slot.session_id)
            .where(Session.status == SessionStatus.PUBLISHED,
                   Session.kind == SessionKind.CLINIC, Slot.booked_count < Slot.capacity,
                   Slot.start_dt > NOW + timedelta(hours=2),
                   Slot.start_dt < NOW + timedelta(days=5))
            .order_by(Slot.start_dt).limit(1))
        patient = create_patient(account=create_user(phone="13600000001"))
        db.session.commit()
        booking = book_slot(slot.id, patient, by=patient.account, now=NOW)
        db.session.commit()
        assert booking.status == BookingStatus.CONFIRMED
        assert db.session.scalar(select(func.count(Booking.id))) == seeded["bookings"][0] + 1
        db.session.remove()
        db.engine.dispose()

"""Rotating SECRET_KEY with DATA_KEY kept: what was written or handed out under the old
key keeps working — a patient's full ID number, one person's limits and suspension
across accounts, private feed links. Only sessions end.

Two apps on one database of the test's own, as two deployments one after the other;
DATA_KEY comes from the environment, as production reads it."""

from datetime import time, timedelta

import flask_migrate
import pytest

from app.auth.models import User
from app.bookings.errors import BookingError
from app.calendar import tokens
from app.calendar.models import FeedOwner
from app.extensions import db
from app.patients import services as patients
from app.patients.models import Patient, Person, Relation
from tests.conftest import IsolatedClient, make_app
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_expert,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.helpers import login_as

DATA_KEY = "data-key-kept-across-rotations-0123456789"
OLD_SECRET = "secret-key-before-the-rotation-0123456789"
NEW_SECRET = "secret-key-after-the-rotation-9876543210"
MOTHER = make_id_number(seq=41)
GRANDFATHER = make_id_number(seq=43)
DAY = TODAY + timedelta(days=2)


def _app(url: str, secret: str):
    app = make_app(url, SECRET_KEY=secret, CLOCK=lambda: NOW, PROPAGATE_EXCEPTIONS=False)
    app.test_client_class = IsolatedClient
    return app


def _close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _before_rotation(app) -> dict:
    """A mother at the per-person limit (3 active bookings), a suspended grandfather,
    an expert's and the mother's private feed links; what the test needs to find them."""
    with app.app_context():
        flask_migrate.upgrade()
        expert = create_expert()
        mother = create_patient(id_number=MOTHER)
        grandfather = create_patient(id_number=GRANDFATHER, account=mother.account,
                                     relation=Relation.PARENT, name="李建国")
        db.session.add(Person(key=grandfather.id_number_hash, active_count=0,
                              suspended_until=NOW + timedelta(days=10)))
        sessions = [create_session(day=DAY, start=time(8 + i, 0), hours=0.5, slots=1,
                                   experts=[expert]) for i in range(4)]
        daughter = create_user()
        db.session.commit()
        for session in sessions[:3]:
            book_slot(session.slots[0].id, mother, by=mother.account, now=NOW)
            db.session.commit()
        feeds = []
        for owner, owner_id, path in ((FeedOwner.EXPERT, expert.id, "experts"),
                                      (FeedOwner.RESIDENT, mother.account_id, "me")):
            link = tokens.ensure_link(owner, owner_id, by_id=None, now=NOW)
            feeds.append(f"/calendar/{path}/{tokens.token_of(link)}.ics")
            db.session.commit()  # each write service is its own unit of work
        return {"mother": mother.id, "account": mother.account_id, "daughter": daughter.id,
                "fourth_slot": sessions[3].slots[0].id, "feeds": feeds}


def _booking_by_the_daughter(app, known: dict, number: str, name: str) -> str:
    """The daughter adds a relative by ID number to her own account and books them."""
    with app.app_context():
        daughter = db.session.get(User, known["daughter"])
        patient = patients.add_patient(daughter.id, name=name, id_number=number,
                                       phone="13900000041", relation=Relation.PARENT,
                                       max_patients=5, now=NOW)
        db.session.commit()
        patient = db.session.get(Patient, patient.id)
        try:
            book_slot(known["fourth_slot"], patient, by=daughter, now=NOW)
        except BookingError as refusal:
            return refusal.message
        finally:
            db.session.rollback()
        return "booked"


def _edit_page(app, known: dict) -> tuple[int, bool]:
    client = app.test_client()
    with app.app_context():
        login_as(client, db.session.get(User, known["account"]))
    page = client.get(f"/patients/{known['mother']}/edit")
    return page.status_code, MOTHER in page.text


@pytest.fixture
def rotated(scratch_url, monkeypatch):
    """The site before (SECRET_KEY old) and after the rotation (SECRET_KEY new), both
    with the same DATA_KEY from the environment."""
    monkeypatch.setenv("DATA_KEY", DATA_KEY)
    before = _app(scratch_url, OLD_SECRET)
    known = _before_rotation(before)
    _close(before)
    after = _app(scratch_url, NEW_SECRET)
    yield after, known
    _close(after)


def test_review_4_rotating_secret_key_keeps_patients_limits_suspensions_and_feed_links(rotated):
    app, known = rotated
    client = app.test_client()

    outcome = {
        "edit page": _edit_page(app, known),
        "4th booking": _booking_by_the_daughter(app, known, MOTHER, "李秀英"),
        "suspended": _booking_by_the_daughter(app, known, GRANDFATHER, "李建国"),
        "feeds": [client.get(path).status_code for path in known["feeds"]],
    }

    assert outcome == {
        "edit page": (200, True),
        # Refused, so the new patient row hashed to the same person; without saying why,
        # as her own account made the three (review item 1).
        "4th booking": "李秀英现在不能在网上预约。请到医院窗口咨询，或用李秀英本人的账号预约。",
        "suspended": "李建国因多次爽约，12月11日 09:00前暂停网上预约，可到医院现场挂号",
        "feeds": [200, 200],
    }

from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from app.scheduling.models import Session, SessionKind, Slot
from tests.factories import create_session, create_venue


def _refused(db, statement) -> bool:
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"capacity": -1}, True),
        ({"capacity": 0}, False),
        ({"booked_count": 6}, True),
        ({"booked_count": 5}, False),
        ({"booked_count": -1}, True),
    ],
)
def test_slot_constraints_are_held_by_the_database(db, values, refused):
    slot = create_session(slots=1, capacity=5).slots[0]

    statement = update(Slot).where(Slot.id == slot.id).values(**values)

    assert _refused(db, statement) is refused


def test_session_must_end_after_it_starts(db):
    session = create_session(slots=0)

    statement = update(Session).where(Session.id == session.id).values(end_dt=session.start_dt)

    assert _refused(db, statement) is True


def test_session_kind_is_checked_by_the_database(db):
    session = create_session(slots=0)

    refused = _refused(db, text("UPDATE sessions SET kind = 'picnic' WHERE id = :id")
                       .bindparams(id=session.id))

    assert refused is True


def test_slot_places_left_and_full():
    slot = Slot(capacity=5, booked_count=5)

    assert (slot.places_left, slot.is_full) == (0, True)


def test_display_title_names_the_experts_and_specialty(db):
    session = create_session(venue=create_venue(), slots=0)

    assert session.display_title == f"{session.experts[0].name} {session.specialty.name}"
    assert SessionKind.SURGERY.has_public_slots is False
    assert (session.end_dt - session.start_dt) == timedelta(hours=3.5)

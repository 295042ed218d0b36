"""insert_ignore: create a row once, whoever asks first, on SQLite and PostgreSQL alike."""

from sqlalchemy import select, update

from app.core.db import insert_ignore
from app.core.models import SchedulerHeartbeat
from app.patients.models import Person
from tests.factories import NOW


def test_insert_ignore_creates_a_missing_row(db):
    insert_ignore(db.session, Person, {"key": "person-a", "active_count": 0})

    assert db.session.scalar(select(Person.active_count).where(Person.key == "person-a")) == 0


def test_insert_ignore_leaves_an_existing_row_alone(db):
    insert_ignore(db.session, Person, {"key": "person-b", "active_count": 0})
    db.session.execute(update(Person).where(Person.key == "person-b").values(active_count=2))

    insert_ignore(db.session, Person, {"key": "person-b", "active_count": 0})

    counts = db.session.scalars(select(Person.active_count).where(Person.key == "person-b"))
    assert counts.all() == [2]


def test_insert_ignore_works_on_any_keyed_table(db):
    insert_ignore(db.session, SchedulerHeartbeat, {"name": "t", "beat_dt": NOW, "pid": 1})
    insert_ignore(db.session, SchedulerHeartbeat, {"name": "t", "beat_dt": NOW, "pid": 2})

    assert db.session.scalar(select(SchedulerHeartbeat.pid)) == 1


def test_insert_ignore_says_whether_it_inserted(db):
    assert insert_ignore(db.session, Person, {"key": "person-c", "active_count": 0}) == "person-c"
    assert insert_ignore(db.session, Person, {"key": "person-c", "active_count": 0}) is None

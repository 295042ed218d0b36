"""The schema comes from migrations only, and they agree with the models."""


import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.extensions import db as _db
from tests.conftest import make_app


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, _db.metadata)


def test_models_and_migrations_agree(app):
    with app.app_context():
        assert _diff(_db.engine) == []


def test_upgrade_builds_everything_and_downgrade_base_removes_it(scratch_url):
    app = make_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
        built = set(inspect(_db.engine).get_table_names())
        assert {"sessions", "slots", "experts", "venues", "patients", "users"} <= built
        assert _diff(_db.engine) == []

        flask_migrate.downgrade(revision="base")
        _db.engine.dispose()
        assert set(inspect(_db.engine).get_table_names()) == {"alembic_version"}

        flask_migrate.upgrade()
        assert set(inspect(_db.engine).get_table_names()) == built
        _db.engine.dispose()


def test_migration_files_sort_by_date():
    from pathlib import Path

    names = sorted(p.name for p in (Path(__file__).parents[1] / "migrations/versions").glob("*.py"))
    assert names
    assert all(name[:8].isdigit() and name[8] == "_" for name in names)


def test_recounting_people_leaves_lecture_seats_out(scratch_url):
    """5e8a1c3b7f20: before it, lecture and forum seats counted toward a person's
    three active bookings; the migration recounts clinic places only."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.patients.models import Person
    from app.scheduling.models import SessionKind
    from tests.factories import NOW, TODAY, book_slot, create_patient, create_session

    app = make_app(scratch_url)
    with app.app_context():
        # The rows are made with today's models at head; then only the recount runs
        # (stamped back to the revision before it), on a schema that has every column.
        flask_migrate.upgrade()
        patient = create_patient()
        person_key = patient.id_number_hash
        day = TODAY + timedelta(days=2)
        clinic = create_session(day=day, slots=1)
        lecture = create_session(day=day, slots=1, kind=SessionKind.LECTURE)
        _db.session.commit()
        for session in (clinic, lecture):
            book_slot(session.slots[0].id, patient, by=patient.account, now=NOW)
            _db.session.commit()
        # As the code before it counted: both seats.
        _db.session.execute(update(Person).values(active_count=2))
        _db.session.commit()

        _db.session.remove()
        flask_migrate.stamp(revision="7d3f2a8c6e15")
        flask_migrate.upgrade(revision="5e8a1c3b7f20")
        flask_migrate.stamp(revision="head")
        _db.session.expire_all()
        assert _db.session.get(Person, person_key).active_count == 1
        _db.session.remove()
        _db.engine.dispose()

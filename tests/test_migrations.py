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

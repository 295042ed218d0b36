"""The schema comes from migrations only, and they agree with the models."""

import os
import uuid

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.extensions import db as _db
from tests.conftest import make_app


def _diff(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, _db.metadata)


def test_models_and_migrations_agree(app):
    with app.app_context():
        assert _diff(_db.engine) == []


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of the tier's kind, dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
        return
    name = f"xq_roundtrip_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


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

"""Fixtures shared by the whole suite.

The tier is chosen by the environment: ``TEST_DATABASE_URL`` runs everything on that
(PostgreSQL) database, otherwise on a SQLite file in a temporary folder. The Makefile
runs both tiers; with ``XQ_REQUIRE_SERVICES=1`` (.ci/run) a missing PostgreSQL tier
fails the run.
"""

import contextvars
import ipaddress
import os
import shutil
import socket
import uuid

import flask_migrate
import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.core import fragments
from app.extensions import db as _db
from app.extensions import limiter
from tests.factories import NOW

TEST_SECRET = "test-secret-key-for-the-test-suite-only"


def tier_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def make_app(database_url: str, **overrides):
    config = {
        # The development settings, made explicit where tests need their own: the site
        # takes no other path for tests (no test flag in app/).
        "ENV_NAME": "development",
        "TESTING": True,
        "SITE_URL": "http://localhost",
        "OUTBOX_SENDER": "inline",  # a request's messages are sent when it returns
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": "localhost",
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application on the tier's database, migrated from empty."""
    application = make_app(tier_database_url(tmp_path_factory))
    with application.app_context():
        if _db.engine.dialect.name == "postgresql":
            # A reused local database: start from nothing, as CI does.
            _db.session.execute(text("DROP SCHEMA public CASCADE"))
            _db.session.execute(text("CREATE SCHEMA public"))
            _db.session.commit()
        flask_migrate.upgrade()
        _db.session.remove()
        _db.engine.dispose()  # SQLite: the last connection closed folds the WAL in
        database = _db.engine.url.database
        if _db.engine.dialect.name == "sqlite":
            shutil.copyfile(database, f"{database}.migrated")
    return application


def _fresh_database() -> None:
    """The tier's database as the migrations left it. SQLite: the migrated file copied
    back (no connection open meanwhile); PostgreSQL: every table emptied."""
    _db.session.remove()
    fragments.clear()  # the public parts of pages each worker keeps a few seconds
    engine = _db.engine
    if engine.dialect.name == "sqlite":
        engine.dispose()
        database = engine.url.database
        for leftover in (f"{database}-wal", f"{database}-shm"):
            if os.path.exists(leftover):
                os.remove(leftover)
        shutil.copyfile(f"{database}.migrated", database)
        return
    # DELETE, children first: for the few rows a test leaves, faster than TRUNCATE.
    with engine.begin() as connection:
        for table in reversed(_db.metadata.sorted_tables):
            connection.execute(table.delete())


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


@pytest.fixture
def db(app):
    """The tier's database, fresh from the migrations, for this test alone. The test
    and the code it calls commit for real, on production's transaction path; the next
    test starts again from the migrated database."""
    with app.app_context():
        _fresh_database()
        try:
            yield _db
        finally:
            _db.session.remove()


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context (its own app context, ``g`` and database
    session), as in production, instead of reusing the test's app context."""

    def open(self, *args, **kwargs):
        # What the test made so far is committed first, as a browser only sees what is
        # committed; the test's session then reads what the request committed afresh.
        if has_app_context():  # not when following a redirect inside a request's context
            _db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app, db):
    """A browser on the site, with the clock pinned to ``factories.NOW``."""
    app.config["CLOCK"] = lambda: NOW
    app.test_client_class = IsolatedClient
    try:
        yield app.test_client()
    finally:
        app.config.pop("CLOCK", None)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    """Every test starts with untouched rate limits (the app lives for the whole run),
    and ends with them switched on as before: Flask-Limiter keeps RATELIMIT_ENABLED on
    its one shared object, so an app made with limits off would switch them off for
    every test after it."""
    enabled = limiter.enabled
    with app.app_context():
        limiter.reset()
    yield
    limiter.enabled = enabled


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch):
    """Fail any test that reaches beyond this machine unasked."""
    real_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise RuntimeError(f"test tried to reach {address!r} outside this machine")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


# --- Issue #19, item 6: no secret in any test's captured logs ----------------------------

_LEAKS: list[str] = []


def pytest_runtest_logreport(report):
    """Scan what each test phase captured (log records, stdout, stderr)."""
    from tests.log_secrets import secrets_in

    # A report carries the earlier phases' sections too: this phase's own only.
    captured = "\n".join(content for title, content in report.sections
                         if title.endswith(f" {report.when}"))
    if captured and (kinds := secrets_in(captured)):
        _LEAKS.append(f"{report.nodeid} ({report.when}): {', '.join(kinds)}")


def pytest_sessionfinish(session, exitstatus):
    if _LEAKS:
        print("\nSecrets in the captured logs of:\n  " + "\n  ".join(_LEAKS))
        session.exitstatus = 1

"""Issue #19, item 1: the database goes away while the site serves, and comes back.

Pages answer a calm 503 page, the API a JSON 503, /healthz 503 — each with Retry-After
and no stack trace, in the answer or the log — and the scheduler's jobs log one line
and wait for their next run. When the database returns, the same application (no
restart) serves again and the scheduler's heartbeat resumes. SQLite: its file made
unreadable; PostgreSQL (its tier): a proxy in front of the real server is cut, which
leaves the site's pooled connections dead.
"""

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import flask_migrate
import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.core.db import is_unavailable
from app.core.time import utcnow
from app.extensions import db
from app.scheduler import Lease, _beat, sweep_outbox, this_process
from tests.conftest import make_app
from tests.factories import create_user
from tests.helpers import PASSWORD, login
from tests.ops.proxy import Proxy

PHONE = "13900000001"
ROOT = Path(__file__).resolve().parents[2]


def _site(url: str):
    """An application on a freshly migrated database holding one resident."""
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        create_user(phone=PHONE, password=PASSWORD)
        db.session.commit()
        db.session.remove()
    return app


def _away_and_back(app, cut: Callable[[], None], mend: Callable[[], None], caplog) -> None:
    resident = app.test_client()
    assert login(resident, PHONE).status_code == 302
    assert resident.get("/bookings").status_code == 200
    lease = Lease(this_process())
    heartbeat, sweep = _beat(app, lease), sweep_outbox(app, lease)  # as build_scheduler
    heartbeat()
    assert lease.holds(utcnow())

    caplog.set_level(logging.INFO)
    cut()
    page = resident.get("/bookings")
    missing = resident.get("/no-such-page")  # the 404 page reads the account too
    feed_token = "12-" + "Q" * 32
    feed = app.test_client().get(f"/calendar/me/{feed_token}.ics")
    visitor = app.test_client().get("/schedule?township=1")
    api = app.test_client().get("/api/v1/townships")
    health = app.test_client().get("/healthz")
    heartbeat()  # neither raises: one warning each, the next run tries again
    sweep()
    away = list(caplog.records)

    assert page.status_code == visitor.status_code == missing.status_code == 503
    assert feed.status_code == 503
    assert not [r for r in away if feed_token in r.getMessage()]  # logged redacted
    assert "请稍后再试" in page.text and "已经预约的号照常有效" in page.text
    assert page.headers["Retry-After"] == visitor.headers["Retry-After"] == "30"
    assert (api.status_code, api.json["error"]["code"]) == (503, "unavailable")
    assert api.headers["Retry-After"] == "30"
    assert (health.status_code, health.json["database"]) == (503, "unreachable")
    assert "Traceback" not in page.text + visitor.text + api.text + missing.text
    assert [r.getMessage() for r in away if r.exc_info] == []
    unavailable = [r.getMessage() for r in away if "database unavailable" in r.getMessage()]
    assert any("GET /bookings" in m for m in unavailable)
    assert any(m.startswith("write_heartbeat:") for m in unavailable)
    assert any(m.startswith("sweep_outbox:") for m in unavailable)

    mend()
    assert resident.get("/bookings").status_code == 200  # still signed in, no restart
    assert app.test_client().get("/api/v1/townships").status_code == 200
    heartbeat()
    back = app.test_client().get("/healthz")
    assert back.status_code == 200
    assert back.json["scheduler_heartbeat_age_s"] is not None
    assert back.json["scheduler_heartbeat_age_s"] < 60


# The sites are made in fixtures: migrating configures logging (Alembic's fileConfig),
# which would drop the handler caplog installs for the test's call.


@pytest.fixture
def sqlite_site(tmp_path):
    path = tmp_path / "site.sqlite3"
    return _site(f"sqlite:///{path}"), path


@pytest.fixture
def postgresql_site(scratch_url):
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the PostgreSQL tier (TEST_DATABASE_URL) is not set")
    url = make_url(scratch_url)
    proxy = Proxy(url.port or 5432)
    proxy.mend()
    app = _site(url.set(port=proxy.port).render_as_string(hide_password=False))
    yield app, proxy
    with app.app_context():
        db.engine.dispose()
    proxy.cut()


def test_sqlite_file_unreadable_then_back(sqlite_site, tmp_path, caplog):
    app, path = sqlite_site
    aside = tmp_path / "aside.sqlite3"

    def cut() -> None:
        # The pooled connections hold the old file open; a new one finds a folder.
        with app.app_context():
            db.engine.dispose()
        path.rename(aside)
        path.mkdir()

    def mend() -> None:
        path.rmdir()
        aside.rename(path)

    _away_and_back(app, cut, mend, caplog)


def test_postgresql_goes_away_then_back(postgresql_site, caplog):
    app, proxy = postgresql_site
    _away_and_back(app, proxy.cut, proxy.mend, caplog)

    # A quiet outage (a restart of PostgreSQL at night): no request saw it, so the pool
    # still holds the dead connections; the first request after it must not fail.
    resident = app.test_client()
    login(resident, PHONE)
    proxy.cut()
    proxy.mend()
    assert resident.get("/bookings").status_code == 200


# --- Redis away ------------------------------------------------------------------------

REDIS_AWAY = """
import json, logging, socket, sys
import flask_migrate
from tests.conftest import make_app
with socket.socket() as probe:  # a port nothing listens on: Redis is down
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
warnings = []
class Keep(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.WARNING:
            warnings.append((record.getMessage(), bool(record.exc_info)))
app = make_app(f"sqlite:///{sys.argv[1]}", RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
               RATELIMIT_ENABLED=True, WTF_CSRF_ENABLED=False)
with app.app_context():
    flask_migrate.upgrade()
logging.getLogger().addHandler(Keep())
client = app.test_client()
logins = [client.post("/login", data={"phone": "1", "password": "x"}).status_code
          for _ in range(11)]
pages = [client.get(path).status_code for path in ("/", "/login", "/healthz")]
print(json.dumps({"logins": logins, "pages": pages, "warnings": warnings}))
"""


def test_redis_away_limits_fall_back_to_the_process_memory(tmp_path):
    """Rate limits keep counting, in this process's memory, with a logged warning;
    nothing else breaks (the login limit is 10 a minute per address)."""
    done = subprocess.run([sys.executable, "-c", REDIS_AWAY, str(tmp_path / "site.sqlite3")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["logins"] == [200] * 10 + [429]
    assert seen["pages"] == [200, 200, 200]
    messages = [message for message, _ in seen["warnings"]]
    assert any("falling back to in-memory storage" in m for m in messages), messages
    assert [message for message, traced in seen["warnings"] if traced] == []


def test_a_wrong_statement_is_a_bug_not_an_outage(tmp_path):
    """SQLite reports a missing table as an OperationalError, like a missing file: only
    the second is the database being away (the 503 page); the first is a bug, left to
    the 500 page and its logged trace."""
    wrong = create_engine(f"sqlite:///{tmp_path / 'here.sqlite3'}")
    away = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.sqlite3'}")
    with pytest.raises(OperationalError) as missing_table, wrong.connect() as connection:
        connection.execute(text("SELECT * FROM nowhere"))
    with pytest.raises(OperationalError) as missing_file, away.connect() as connection:
        connection.execute(text("SELECT 1"))

    assert not is_unavailable(missing_table.value)
    assert is_unavailable(missing_file.value)
    assert not is_unavailable(ValueError("not a database error"))


def test_on_postgresql_a_deadlock_is_a_bug_and_a_shutdown_an_outage():
    """psycopg raises a deadlock and a serialization failure as OperationalError too;
    only a lost connection, the disk full or the server stopping mean 'away'."""
    def wrapped(orig: Exception) -> OperationalError:
        return OperationalError("SELECT 1", {}, orig)

    assert not is_unavailable(wrapped(psycopg.errors.DeadlockDetected()))
    assert not is_unavailable(wrapped(psycopg.errors.SerializationFailure()))
    assert is_unavailable(wrapped(psycopg.errors.AdminShutdown()))
    assert is_unavailable(wrapped(psycopg.errors.DiskFull()))
    assert is_unavailable(wrapped(psycopg.OperationalError("connection refused")))

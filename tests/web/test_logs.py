"""Issue #14, item 12: no private feed token in a log — gunicorn's access log, the
development server's request lines, the app's own log."""

import logging
import runpy
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
from gunicorn.config import Config
from werkzeug.serving import make_server

from app.calendar.models import FeedOwner
from app.calendar.tokens import ensure_link, token_of
from app.extensions import db
from bench.server import serve
from bench.workload import bench_app
from tests.factories import NOW, create_expert, create_user

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
TOKEN = "5-Zm9yLXRoZS10ZXN0cy1vbmx5LW5vdC1hLWtleQ"


@pytest.fixture(autouse=True)
def _metrics_folder(tmp_path, monkeypatch):
    """gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR when it is read; reading it here
    must not leave the rest of the suite's process in multiprocess mode."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))


def _get(url: str, *, referer: str) -> int:
    request = urllib.request.Request(url, headers={"Referer": referer})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


def _feed_tokens(url: str) -> tuple[str, str]:
    """An expert's and a resident's live feed tokens, committed on ``url``."""
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        owners = [(FeedOwner.EXPERT, create_expert().id), (FeedOwner.RESIDENT, create_user().id)]
        tokens = []
        for owner, owner_id in owners:
            db.session.commit()  # ensure_link is a write service: it opens its own write
            tokens.append(token_of(ensure_link(owner, owner_id, by_id=None, now=NOW)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return tuple(tokens)


def test_review_12_gunicorn_access_log_shows_feeds_without_their_tokens(tmp_path, monkeypatch):
    """The real gunicorn with the project's gunicorn.conf.py and its access log on. On
    SQLite alone: what the access log prints does not depend on the database."""
    monkeypatch.delenv("DATA_KEY", raising=False)  # the server runs without one (bench)
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    expert_token, resident_token = _feed_tokens(url)
    access_log = tmp_path / "access.log"

    with serve(url, ["-w", "1", "--access-logfile", str(access_log)],
               tmp_path / "gunicorn.log") as (port, _command):
        base = f"http://127.0.0.1:{port}"
        expert_status = _get(f"{base}/calendar/experts/{expert_token}.ics",
                             referer=f"{base}/calendar/me/{resident_token}.ics")
        resident_status = _get(f"{base}/calendar/me/{resident_token}.ics",
                               referer=f"{base}/calendar/experts/{expert_token}.ics")

    logged = access_log.read_text()
    assert (expert_status, resident_status) == (200, 200)
    assert '"GET /calendar/experts/[redacted] HTTP/1.1" 200' in logged
    assert '"GET /calendar/me/[redacted] HTTP/1.1" 200' in logged
    assert f'"{base}/calendar/me/[redacted]"' in logged  # the referer
    assert expert_token not in logged and resident_token not in logged


def test_review_12_development_server_log_shows_feeds_without_their_tokens(app, caplog):
    """The request lines werkzeug's server writes (``flask run``, ``make run``)."""
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        with pytest.raises(urllib.error.HTTPError):  # no such link: 404, logged all the same
            _get(f"http://127.0.0.1:{server.server_port}/calendar/me/{TOKEN}.ics", referer="")
    finally:
        server.shutdown()
        thread.join()

    request_lines = [m for m in caplog.messages if "/calendar/" in m]
    assert len(request_lines) == 1
    # (werkzeug may colour the request line for a terminal: ANSI codes around it)
    assert "GET /calendar/me/[redacted] HTTP/1.1" in request_lines[0]
    assert TOKEN not in caplog.text


def test_review_12_app_log_shows_feeds_without_their_tokens(app, caplog):
    app.logger.error("Exception on /calendar/experts/%s.ics [GET]", TOKEN)

    assert caplog.messages == ["Exception on /calendar/experts/[redacted] [GET]"]


@pytest.mark.parametrize(("text", "redacted"), [
    (f"GET /calendar/me/{TOKEN}.ics HTTP/1.1", "GET /calendar/me/[redacted] HTTP/1.1"),
    (f"/calendar/experts/{TOKEN}.ics?x=1", "/calendar/experts/[redacted]?x=1"),
    (f"https://site.example/calendar/me/{TOKEN}.ics", "https://site.example/calendar/me/[redacted]"),
    (f"GET //calendar/me/{TOKEN}.ics HTTP/1.1", "GET //calendar/me/[redacted] HTTP/1.1"),
    # a raw request line may percent-encode any character; the server still routes it
    (f"GET /calendar%2Fme%2F{TOKEN}.ics HTTP/1.1", "GET /calendar%2Fme%2F[redacted] HTTP/1.1"),
    (f"GET /%63alendar/%6De/{TOKEN}%2Eics HTTP/1.1", "GET /%63alendar/%6De/[redacted] HTTP/1.1"),
    ("GET /calendar/venues/3.ics HTTP/1.1", "GET /calendar/venues/3.ics HTTP/1.1"),
    ("GET /calendar?kind=clinic HTTP/1.1", "GET /calendar?kind=clinic HTTP/1.1"),
    ("GET /bookings/7.ics HTTP/1.1", "GET /bookings/7.ics HTTP/1.1"),
])
def test_review_12_redact_takes_out_the_token_of_a_private_feed(text, redacted):
    from app.web.logs import redact  # here: the other tests here run on older code too

    assert redact(text) == redacted


def test_review_12_gunicorn_logger_prints_no_credentials_in_a_custom_format(tmp_path):
    """Even an ``access_log_format`` that names them prints no credentials, and no feed
    token from any header or environ value."""
    logger_class = runpy.run_path(str(CONF))["logger_class"]
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", '"%(r)s" %({authorization}i)s %({cookie}i)s '
                                    '%({set-cookie}o)s %({raw_uri}e)s %({x-feed}i)s')
    path = f"/calendar/me/{TOKEN}.ics"
    request = SimpleNamespace(headers=[("AUTHORIZATION", "Bearer s3cret"),
                                       ("COOKIE", "session=s3cret"), ("X-FEED", path)])
    response = SimpleNamespace(status="200 OK", sent=10,
                               headers=[("Set-Cookie", "session=s3cret; HttpOnly")])
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path,
               "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_AUTHORIZATION": "Bearer s3cret"}

    logger_class(config).access(response, request, environ, timedelta(milliseconds=5))

    assert (tmp_path / "access.log").read_text() == (
        '"GET /calendar/me/[redacted] HTTP/1.1" - - - /calendar/me/[redacted] '
        "/calendar/me/[redacted]\n")

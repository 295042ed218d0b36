"""Issue #19, item 4: /metrics — who may read it, what it says, and that the counts of
several gunicorn workers add up."""

import threading
import time
import urllib.request
from datetime import timedelta

import flask_migrate
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app.bookings.errors import BookingError
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import Channel, Message, MessageStatus
from app.scheduler import write_heartbeat
from bench.server import serve
from bench.workload import bench_app
from tests.factories import NOW, TODAY, book_slot, create_patient, create_session


def _samples(text: str) -> dict[tuple, float]:
    """{(name, (label, value), …): value} of every sample on the page."""
    return {(s.name, *sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
def metrics_token(app):
    app.config["METRICS_TOKEN"] = "scrape-token-0123456789"
    yield "scrape-token-0123456789"
    app.config["METRICS_TOKEN"] = ""


def test_only_this_machine_or_the_token_reads_the_metrics(client, metrics_token):
    outside = {"REMOTE_ADDR": "203.0.113.9"}

    assert client.get("/metrics").status_code == 200  # loopback (the test client's)
    assert client.get("/metrics", environ_base=outside).status_code == 404
    wrong = client.get("/metrics", environ_base=outside,
                       headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 404
    right = client.get("/metrics", environ_base=outside,
                       headers={"Authorization": f"Bearer {metrics_token}"})
    assert right.status_code == 200
    assert right.content_type.startswith("text/plain")


def test_the_metrics_count_requests_refusals_and_what_the_database_holds(client, db):
    session = create_session(day=TODAY + timedelta(days=2), slots=1, capacity=1)
    first, second = create_patient(), create_patient(id_number=None, name="王建国")
    db.session.commit()
    book_slot(session.slots[0].id, first, by=first.account)
    db.session.commit()
    refused_before = REGISTRY.get_sample_value("xq_booking_refusals_total",
                                               {"reason": "slot_full"}) or 0
    with pytest.raises(BookingError) as refused:
        book_slot(session.slots[0].id, second, by=second.account)
    db.session.rollback()
    db.session.add(Message(channel=Channel.SMS, kind="reminder", body="明天上午8点看诊",
                           recipient="13900000001", due_dt=NOW - timedelta(minutes=5),
                           status=MessageStatus.PENDING))
    write_heartbeat(now=utcnow() - timedelta(seconds=10))
    db.session.commit()
    for _ in range(3):
        client.get("/schedule")

    seen = _samples(client.get("/metrics").text)

    assert refused.value.code == "slot_full"
    assert REGISTRY.get_sample_value("xq_booking_refusals_total",
                                     {"reason": "slot_full"}) == refused_before + 1
    assert seen[("xq_http_requests_total", ("endpoint", "scheduling.schedule"),
                 ("method", "GET"), ("status", "200"))] >= 3
    assert seen[("xq_http_request_duration_seconds_count",
                 ("endpoint", "scheduling.schedule"))] >= 3
    assert seen[("xq_database_up",)] == 1
    assert seen[("xq_bookings", ("source", "web"), ("status", "confirmed"))] == 1
    assert seen[("xq_outbox_messages", ("channel", "sms"), ("status", "pending"))] >= 1
    assert seen[("xq_outbox_oldest_due_seconds",)] > 0
    assert 5 <= seen[("xq_scheduler_heartbeat_age_seconds",)] < 120


def _metrics_of(port: int) -> dict[tuple, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        return _samples(answer.read().decode())


@pytest.mark.parametrize("given_folder", [True, False], ids=["folder-given", "conf-folder"])
def test_two_gunicorn_workers_are_counted_together(tmp_path, monkeypatch, given_folder):
    """The multiprocess mode gunicorn.conf.py sets up — in the folder the environment
    names, or one of its own: every scrape, whichever worker answers it, counts every
    worker's requests."""
    folder = tmp_path / "metrics"
    if given_folder:
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    else:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    app = bench_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
        db.engine.dispose()
    key = ("xq_http_requests_total", ("endpoint", "api_directory.townships"),
           ("method", "GET"), ("status", "200"))

    # One thread each: a worker busy with a request accepts no other (gunicorn.conf.py
    # caps its connections at its threads), so six clients keep both workers busy.
    with serve(url, ["-w", "2", "--threads", "1"], tmp_path / "gunicorn.log") as (port, _):
        def fetch(count: int) -> None:
            for _ in range(count):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/townships",
                                            timeout=10) as answer:
                    answer.read()

        def counted_by() -> set[str]:
            return {path.name.rsplit("_", 1)[-1] for path in folder.glob("counter_*.db")}

        # Rounds of six clients at once; with the folder given, until both workers have
        # answered some (the second may still be loading the app during the first).
        made, deadline = 0, time.monotonic() + 60
        while made == 0 or (given_folder and len(counted_by()) < 2
                            and time.monotonic() < deadline):
            threads = [threading.Thread(target=fetch, args=(10,)) for _ in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            made += 60
        scrapes = [_metrics_of(port).get(key) for _ in range(6)]
        workers = counted_by()

    assert scrapes == [made] * 6
    if given_folder:
        assert len(workers) == 2  # both workers answered some of them

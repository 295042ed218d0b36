"""Issue #19, item 5: exactly one scheduler runs the jobs, even when a second one is
started by mistake (or on a second machine): the heartbeat row is a lease taken by one
conditional UPDATE; the other scheduler stands by and takes over once the lease has
run out (LEASE_SECONDS without a beat)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import flask_migrate
import pytest

from app.core.models import SchedulerHeartbeat
from app.core.time import utcnow
from app.extensions import db
from app.scheduler import LEASE_SECONDS, Lease, _in_app, write_heartbeat
from bench.workload import DATA_KEY, SECRET_KEY, SITE_URL
from tests.conftest import make_app
from tests.factories import NOW

ROOT = Path(__file__).resolve().parents[2]


def test_one_holder_at_a_time_and_a_takeover_when_it_stops(db):
    lease = timedelta(seconds=LEASE_SECONDS)

    first = write_heartbeat(now=NOW, owner="web1:100")
    second = write_heartbeat(now=NOW + timedelta(seconds=5), owner="web2:200")
    renewed = write_heartbeat(now=NOW + timedelta(seconds=30), owner="web1:100")
    still_not = write_heartbeat(now=NOW + timedelta(seconds=30) + lease
                                - timedelta(seconds=1), owner="web2:200")
    taken_over = write_heartbeat(now=NOW + timedelta(seconds=31) + lease, owner="web2:200")
    back = write_heartbeat(now=NOW + timedelta(seconds=32) + lease, owner="web1:100")
    db.session.commit()

    assert (first, second, renewed, still_not) == ("web1:100",) * 4
    assert (taken_over, back) == ("web2:200", "web2:200")
    assert db.session.get(SchedulerHeartbeat, "main").owner == "web2:200"


def test_jobs_run_only_while_the_lease_is_held(app):
    ran = []

    def job(*, now) -> None:
        ran.append(now)

    lease = Lease("web1:100")
    _in_app(app, job, lease)()  # never held
    lease.note("web1:100", utcnow())
    _in_app(app, job, lease)()
    lease.note("web2:200", utcnow())  # another took it
    _in_app(app, job, lease)()
    lease.note("web1:100", utcnow() - timedelta(seconds=LEASE_SECONDS + 1))
    _in_app(app, job, lease)()  # held, but not renewed since: run out

    assert len(ran) == 1


@pytest.fixture
def schedulers(scratch_url, tmp_path):
    """A migrated database and a way to start `flask scheduler run` processes on it —
    each logging to LOG-NAME.log — all killed at the end."""
    app = make_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
    started: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": scratch_url, "SECRET_KEY": SECRET_KEY,
               "DATA_KEY": DATA_KEY, "SITE_URL": SITE_URL, "XQ_ENV": "production",
               "SMS_DRIVER": "null", "MAIL_DRIVER": "null"}
        with open(log, "ab") as out:
            started.append(subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
                cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True))
        return started[-1], log

    yield app, start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(20)
    with app.app_context():
        db.engine.dispose()


def _wait_for(log: Path, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_a_second_scheduler_process_stands_by(schedulers):
    app, start = schedulers
    first, first_log = start("first")
    _wait_for(first_log, "runs the jobs", first)
    second, second_log = start("second")
    _wait_for(second_log, "stands by", second)
    with app.app_context():
        holder = db.session.get(SchedulerHeartbeat, "main").owner
        db.session.remove()

    assert holder.endswith(f":{first.pid}")
    assert f"another scheduler ({holder}) runs the jobs" in second_log.read_text()
    assert "runs the jobs" not in second_log.read_text().replace(
        f"another scheduler ({holder}) runs the jobs", "")


def test_a_stopped_scheduler_gives_the_lease_to_the_next_at_once(schedulers):
    """systemd's stop (SIGTERM), as in an upgrade's restart: the next scheduler runs
    the jobs from its first beat instead of standing by until the lease runs out."""
    _app, start = schedulers
    first, first_log = start("first")
    _wait_for(first_log, "runs the jobs", first)
    os.killpg(first.pid, signal.SIGTERM)
    assert first.wait(60) == 0, first_log.read_text()
    second, second_log = start("second")
    _wait_for(second_log, "runs the jobs", second)

    assert "gave the lease back" in first_log.read_text()
    assert "stands by" not in second_log.read_text()

"""The one scheduler process: ``flask scheduler run``.

APScheduler's job stores cannot be shared between processes, and a scheduler started
inside every web worker would run each job once per worker, so the jobs live here,
in a process of their own that ``make run`` (or a systemd unit) starts beside the web
server. Every job calls one package's service inside an app context and commits once,
except the outbox sweep, which commits each claim before it sends (its own units of work).
"""

import contextlib
import logging
import os
from collections.abc import Callable

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from flask.cli import AppGroup, ScriptInfo, pass_script_info
from sqlalchemy.exc import SQLAlchemyError

from app.api import idempotency
from app.auth import login, tokens
from app.bookings.services.desk import close_past_sessions
from app.bookings.services.waitlist import expire_offers
from app.core.db import begin_write, first_line, is_unavailable
from app.core.models import MAIN_SCHEDULER, SchedulerHeartbeat
from app.core.time import utcnow
from app.extensions import db
from app.notifications.sweep import sweep

log = logging.getLogger(__name__)

scheduler_cli = AppGroup("scheduler", help="The reminder and maintenance process.")

HEARTBEAT_SECONDS = 30
SWEEP_SECONDS = 30
OFFER_EXPIRY_SECONDS = 60
CLOSE_SESSIONS_SECONDS = 300
PURGE_SECONDS = 3600


def write_heartbeat(*, now, name: str = MAIN_SCHEDULER) -> None:
    """Stamp this process's heartbeat; /healthz reports its age."""
    beat = db.session.get(SchedulerHeartbeat, name)
    if beat is None:
        db.session.add(SchedulerHeartbeat(name=name, beat_dt=now, pid=os.getpid()))
    else:
        beat.beat_dt, beat.pid = now, os.getpid()


def _in_app(app: Flask, job: Callable[..., None]) -> Callable[[], None]:
    """Run ``job(now=…)`` in an app context as one write unit of work, committed once.
    Every job writes, so it opens with the write lock (on SQLite a read that turns
    into a write would fail at once if a web worker wrote in between)."""

    def run() -> None:
        with app.app_context():
            try:
                begin_write(db.session)
                job(now=utcnow())
                db.session.commit()
            except Exception as error:
                _given_up(job.__name__, error)
            finally:
                _remove_session()

    run.__name__ = run.__qualname__ = job.__name__
    return run


def _given_up(name: str, error: Exception) -> None:
    """A job that failed: with the database away, one warning line and the next run
    tries again (the heartbeat's age on /healthz shows how long it has been); any other
    failure is logged with its trace and raised to APScheduler."""
    _remove_session()
    if is_unavailable(error):
        log.warning("%s: database unavailable, trying again at the next run: %s", name,
                    first_line(error))
        return
    log.exception("scheduled job %s failed", name)
    raise error


def _remove_session() -> None:
    with contextlib.suppress(SQLAlchemyError):  # the database may be gone
        db.session.remove()


def sweep_outbox(app: Flask) -> Callable[[], None]:
    """The outbox sweep in an app context. It commits its own units of work: each
    claim before the messages are sent, the stamps after (app.notifications.sweep)."""

    def run() -> None:
        with app.app_context():
            try:
                stats = sweep(now=utcnow())
                if stats.claimed or stats.expired or stats.reclaimed:
                    log.info("outbox sweep: %s", stats)
            except Exception as error:
                _given_up("sweep_outbox", error)
            finally:
                _remove_session()

    run.__name__ = run.__qualname__ = "sweep_outbox"
    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    """Every periodic job of the site, registered in this one place."""
    scheduler = BlockingScheduler(timezone=app.config["TIMEZONE"])
    scheduler.add_job(
        _in_app(app, write_heartbeat), "interval", seconds=HEARTBEAT_SECONDS,
        id="heartbeat", name="heartbeat", next_run_time=utcnow(), coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        sweep_outbox(app), "interval", seconds=SWEEP_SECONDS, id="sweep_outbox",
        name="sweep_outbox", next_run_time=utcnow(), coalesce=True, max_instances=1,
    )
    jobs = [
        (expire_offers, OFFER_EXPIRY_SECONDS),
        (close_past_sessions, CLOSE_SESSIONS_SECONDS),
        (idempotency.purge_old_responses, PURGE_SECONDS),  # kept API responses, after 24 h
        (tokens.purge_dead, PURGE_SECONDS),  # API tokens dead for 30 days
        (login.purge_expired, PURGE_SECONDS),  # signed-in sessions that ran out
    ]
    for job, seconds in jobs:
        scheduler.add_job(
            _in_app(app, job), "interval", seconds=seconds, id=job.__name__,
            name=job.__name__, next_run_time=utcnow(), coalesce=True, max_instances=1,
        )
    return scheduler


@scheduler_cli.command("run")
@pass_script_info
def run_command(info: ScriptInfo) -> None:
    """Run the scheduler in the foreground until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scheduler = build_scheduler(info.load_app())
    click.echo(f"scheduler started (pid {os.getpid()}); Ctrl-C stops it")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")

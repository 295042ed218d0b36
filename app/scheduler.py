"""The one scheduler process: ``flask scheduler run``.

APScheduler's job stores cannot be shared between processes, and a scheduler started
inside every web worker would run each job once per worker, so the jobs live here,
in a process of their own that ``make run`` (or a systemd unit) starts beside the web
server. Every job calls one package's service inside an app context and commits once,
except the outbox sweep, which commits each claim before it sends (its own units of work).

One scheduler runs the jobs, however many are started (by mistake, or one per
web machine): the heartbeat row in the database is a lease. Each heartbeat takes or
renews it in one conditional UPDATE — its owner's own, or run out (LEASE_SECONDS
without a beat) — so two schedulers beating at once cannot both hold it. The one that
holds it runs the jobs; another stands by, beating, and takes over at its first beat
after LEASE_SECONDS without one (a scheduler stopped by SIGTERM gives the lease back
at once). Each job is safe to run twice, should two ever overlap (ARCHITECTURE.md).
The database is the one thing every machine shares on both SQLite and PostgreSQL, so
the lease lives there rather than in Redis.
"""

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from flask.cli import AppGroup, ScriptInfo, pass_script_info
from flask.logging import default_handler
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from app.api import idempotency
from app.auth import login, tokens
from app.bookings.services.desk import close_past_sessions
from app.bookings.services.waitlist import expire_offers, offer_free_places
from app.core.db import begin_write, first_line, forget_session, insert_ignore, is_unavailable
from app.core.models import MAIN_SCHEDULER, SchedulerHeartbeat
from app.core.time import utcnow
from app.extensions import db
from app.notifications.sweep import sweep

log = logging.getLogger(__name__)

scheduler_cli = AppGroup("scheduler", help="The reminder and maintenance process.")

HEARTBEAT_SECONDS = 30
LEASE_SECONDS = 90  # three heartbeats missed: that scheduler has stopped
SWEEP_SECONDS = 30
OFFER_EXPIRY_SECONDS = 60
CLOSE_SESSIONS_SECONDS = 300
PURGE_SECONDS = 3600


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def write_heartbeat(*, now, owner: str | None = None, name: str = MAIN_SCHEDULER) -> str:
    """Stamp the heartbeat for ``owner`` (default: this process) if the lease is its
    own or has run out — one conditional UPDATE, so of two schedulers beating at once
    exactly one holds it; /healthz reports its age. Returns who holds the lease now."""
    owner = owner or this_process()
    stamped = db.session.execute(
        update(SchedulerHeartbeat)
        .where(SchedulerHeartbeat.name == name,
               or_(SchedulerHeartbeat.owner == owner,
                   SchedulerHeartbeat.beat_dt < now - timedelta(seconds=LEASE_SECONDS)))
        .values(beat_dt=now, pid=os.getpid(), owner=owner)
        .execution_options(synchronize_session=False)).rowcount
    if not stamped:
        insert_ignore(db.session, SchedulerHeartbeat,
                      {"name": name, "beat_dt": now, "pid": os.getpid(), "owner": owner})
    return db.session.scalar(select(SchedulerHeartbeat.owner)
                             .where(SchedulerHeartbeat.name == name))


class Lease:
    """Whether this process is the scheduler that runs the jobs. Held while its last
    heartbeat — committed — took the lease less than LEASE_SECONDS ago; a second
    scheduler started by mistake (or on another machine) stands by, beating, and takes
    over within LEASE_SECONDS of the first one stopping."""

    def __init__(self, owner: str):
        self.owner = owner
        self.renewed: datetime | None = None
        self.holder: str | None = None

    def holds(self, now: datetime) -> bool:
        return self.renewed is not None and now - self.renewed < timedelta(
            seconds=LEASE_SECONDS)

    def note(self, holder: str, now: datetime) -> None:
        if holder == self.owner:
            if not self.holds(now):
                log.info("scheduler %s runs the jobs", self.owner)
            self.renewed = now
        elif holder != self.holder or self.renewed is not None:
            log.warning("another scheduler (%s) runs the jobs; this one (%s) stands by "
                        "and takes over if that one stops for %s s", holder, self.owner,
                        LEASE_SECONDS)
            self.renewed = None
        self.holder = holder


def _beat(app: Flask, lease: Lease) -> Callable[[], None]:
    """The heartbeat job: stamp it, commit, then note whether this process leads."""

    def run() -> None:
        with app.app_context():
            now = utcnow()
            try:
                begin_write(db.session)
                holder = write_heartbeat(now=now, owner=lease.owner)
                db.session.commit()
            except Exception as error:
                _given_up("write_heartbeat", error)
                return
            finally:
                forget_session(db.session)
        lease.note(holder, now)

    run.__name__ = run.__qualname__ = "write_heartbeat"
    return run


def _in_app(app: Flask, job: Callable[..., None], lease: Lease | None = None, *,
            write: bool = True, name: str | None = None) -> Callable[[], None]:
    """Run ``job(now=…)`` in an app context — if this process holds ``lease`` — as one
    unit of work committed once, opened with the write lock (on SQLite a read that
    turns into a write would fail at once if a web worker wrote in between). ``write``
    False: the job commits its own units of work (the outbox sweep)."""
    name = name or job.__name__

    def run() -> None:
        if lease is not None and not lease.holds(utcnow()):
            return
        with app.app_context():
            try:
                if write:
                    begin_write(db.session)
                job(now=utcnow())
                if write:
                    db.session.commit()
            except Exception as error:
                _given_up(name, error)
            finally:
                forget_session(db.session)

    run.__name__ = run.__qualname__ = name
    return run


def _given_up(name: str, error: Exception) -> None:
    """A job that failed: with the database away, one warning line and the next run
    tries again (the heartbeat's age on /healthz shows how long it has been); any other
    failure is logged with its trace and raised to APScheduler."""
    forget_session(db.session)
    if is_unavailable(error):
        log.warning("%s: database unavailable, trying again at the next run: %s", name,
                    first_line(error))
        return
    log.exception("scheduled job %s failed", name)
    raise error


def sweep_outbox(app: Flask, lease: Lease | None = None) -> Callable[[], None]:
    """The outbox sweep, if this process holds ``lease``. It commits its own units of
    work: each claim before the messages are sent, the stamps after
    (app.notifications.sweep)."""
    return _in_app(app, _sweep_and_say, lease, write=False, name="sweep_outbox")


def _sweep_and_say(*, now) -> None:
    stats = sweep(now=now)
    if stats.claimed or stats.expired or stats.reclaimed:
        log.info("outbox sweep: %s", stats)


def build_scheduler(app: Flask, lease: Lease | None = None) -> BackgroundScheduler:
    """Every periodic job of the site, registered in this one place. The heartbeat
    takes (or renews) ``lease`` first; the other jobs run only while it is held."""
    lease = lease or Lease(this_process())
    heartbeat = _beat(app, lease)
    heartbeat()  # before any job looks at the lease
    scheduler = BackgroundScheduler(timezone=app.config["TIMEZONE"])
    scheduler.add_job(
        heartbeat, "interval", seconds=HEARTBEAT_SECONDS,
        id="heartbeat", name="heartbeat", coalesce=True, max_instances=1,
    )
    scheduler.add_job(
        sweep_outbox(app, lease), "interval", seconds=SWEEP_SECONDS, id="sweep_outbox",
        name="sweep_outbox", next_run_time=utcnow(), coalesce=True, max_instances=1,
    )
    jobs = [
        (expire_offers, OFFER_EXPIRY_SECONDS),
        (offer_free_places, OFFER_EXPIRY_SECONDS),  # released referral places, to waiters
        (close_past_sessions, CLOSE_SESSIONS_SECONDS),
        (idempotency.purge_old_responses, PURGE_SECONDS),  # kept API responses, after 24 h
        (tokens.purge_dead, PURGE_SECONDS),  # API tokens dead for 30 days
        (login.purge_expired, PURGE_SECONDS),  # signed-in sessions that ran out
    ]
    for job, seconds in jobs:
        scheduler.add_job(
            _in_app(app, job, lease), "interval", seconds=seconds, id=job.__name__,
            name=job.__name__, next_run_time=utcnow(), coalesce=True, max_instances=1,
        )
    return scheduler


@scheduler_cli.command("run")
@pass_script_info
def run_command(info: ScriptInfo) -> None:
    """Run the scheduler in the foreground until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = info.load_app()
    # One line per record: the root handler above, not also Flask's own on app.logger
    # (added when the app was loaded to find this command; Flask's documented removal).
    app.logger.removeHandler(default_handler)
    # systemd stops a service with SIGTERM: stop as with Ctrl-C, giving the lease back.
    # The handler only raises a flag the main thread waits on: an exception raised from
    # a signal handler can land inside APScheduler's own code, which swallows it.
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    lease = Lease(this_process())
    scheduler = build_scheduler(app, lease)
    click.echo(f"scheduler started (pid {os.getpid()}); Ctrl-C stops it")
    try:
        scheduler.start()
        while not stopping.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        click.echo("scheduler stopped")
        _give_back(app, lease)


def _give_back(app: Flask, lease: Lease) -> None:
    """Let the next scheduler take the lease at its first beat (a restart, an upgrade)
    instead of waiting for it to run out; /healthz then shows the age of no beat."""
    if lease.renewed is None:
        return
    with app.app_context():
        try:
            begin_write(db.session)
            db.session.execute(
                update(SchedulerHeartbeat)
                .where(SchedulerHeartbeat.name == MAIN_SCHEDULER,
                       SchedulerHeartbeat.owner == lease.owner)
                .values(beat_dt=lease.renewed - timedelta(seconds=LEASE_SECONDS))
                .execution_options(synchronize_session=False))
            db.session.commit()
            log.info("scheduler %s gave the lease back", lease.owner)
        except SQLAlchemyError as error:
            log.warning("could not give the lease back (%s); it runs out in %s s",
                        first_line(error), LEASE_SECONDS)
        finally:
            forget_session(db.session)

"""``/metrics``: the site's figures in Prometheus's text format, for the county's
monitoring — only to this machine (loopback) or with ``METRICS_TOKEN`` as a bearer
token; anyone else gets the 404 of a page that is not there.

Two sources. Each process's own counts (app.core.metrics: requests by endpoint, method
and status with their latency, refused bookings by reason) — under gunicorn added up
across its workers by prometheus_client's multiprocess mode (gunicorn.conf.py). And
what the database knows, read at the scrape (a handful of grouped counts): bookings by
status and source, waitlist offers, outbox messages by channel and status with the age
of the oldest one due, the scheduler's heartbeat. ``xq_database_up`` is 0 while the
database cannot be read (the rest of those then missing); /metrics itself still answers.
"""

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.bookings import queries as booking_queries
from app.core import metrics
from app.core.models import MAIN_SCHEDULER, SchedulerHeartbeat
from app.core.time import utcnow
from app.extensions import db
from app.notifications import queries as outbox

bp = Blueprint("metrics", __name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


@bp.get("/metrics")
def scrape() -> Response:
    if not _allowed():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    known = CollectorRegistry()
    known.register(DatabaseFigures())
    return Response(generate_latest(counted) + generate_latest(known),
                    content_type=CONTENT_TYPE_LATEST)


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


class DatabaseFigures:
    """A collector (prometheus_client's protocol: ``collect``) reading the database."""

    def collect(self):
        up = GaugeMetricFamily("xq_database_up", "1 if the database answered this scrape.")
        try:
            families = list(self._read())
        except SQLAlchemyError:
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    @staticmethod
    def _read():
        now = utcnow()
        bookings = GaugeMetricFamily(
            "xq_bookings", "Bookings stored, by status and source (rows are never deleted: "
            "a rate of the sum is bookings made).", labels=["status", "source"])
        for status, source, count in booking_queries.booking_counts():
            bookings.add_metric([status, source], count)
        yield bookings

        offers = GaugeMetricFamily(
            "xq_waitlist_offers", "Waitlist places ever offered, by what became of them.",
            labels=["status"])
        for status, count in booking_queries.offer_counts():
            offers.add_metric([status], count)
        yield offers

        messages = GaugeMetricFamily(
            "xq_outbox_messages", "Messages in the outbox, by channel and status.",
            labels=["channel", "status"])
        for channel, status, count in outbox.outbox_counts():
            messages.add_metric([channel, status], count)
        yield messages

        oldest = outbox.oldest_due(now)
        yield GaugeMetricFamily(
            "xq_outbox_oldest_due_seconds",
            "How long the oldest pending message has been due (0: none waiting).",
            value=(now - oldest).total_seconds() if oldest else 0)

        beat = db.session.scalar(select(SchedulerHeartbeat.beat_dt)
                                 .where(SchedulerHeartbeat.name == MAIN_SCHEDULER))
        if beat is not None:
            yield GaugeMetricFamily(
                "xq_scheduler_heartbeat_timestamp_seconds",
                "When the scheduler last stamped its heartbeat (Unix time).",
                value=beat.timestamp())
            yield GaugeMetricFamily(
                "xq_scheduler_heartbeat_age_seconds",
                "Seconds since the scheduler's last heartbeat (it beats every 30 s).",
                value=(now - beat).total_seconds())
        db.session.rollback()  # a read: give the connection back at once


def _started() -> None:
    g.xq_started = time.perf_counter()


def _counted(response: Response) -> Response:
    started = g.pop("xq_started", None)
    endpoint = request.endpoint or "none"
    method = request.method if request.method in METHODS else "other"
    metrics.REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    if started is not None:
        metrics.LATENCY.labels(endpoint).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_started)
    app.after_request(_counted)

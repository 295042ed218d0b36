"""What every page shares: locale, formatting, security headers, errors, home and health,
and logs without the secrets of URLs."""

import hashlib
from contextlib import suppress
from datetime import datetime
from functools import lru_cache, partial
from pathlib import Path

from flask import Flask, g
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from app.auth.care import care_mode
from app.bookings.labels import BOOKING_STATUS_LABELS, booking_status_label
from app.bookings.models import BookingPolicy, SlotState
from app.bookings.services.policy import current_policy
from app.core.clock import request_now
from app.scheduling.labels import AUDIENCE_LABELS, KIND_LABELS, STATUS_LABELS
from app.scheduling.queries import SessionPlaces
from app.web import formatting, logs, metrics, outbox, security
from app.web.views import bp, http_error


def register_error_pages(app: Flask) -> None:
    """Pages answer any HTTP error with the site's page — registered last, after
    flask-smorest's ``Api``, which registers a JSON handler for every HTTP error of the
    application (the API's blueprints have handlers of their own)."""
    app.register_error_handler(HTTPException, http_error)


def init_web(app: Flask) -> None:
    app.register_blueprint(bp)
    app.url_defaults(partial(_static_version, app))
    formatting.init_app(app)
    security.init_app(app)
    logs.init_app(app)
    outbox.init_app(app)
    metrics.init_app(app)

    @app.context_processor
    def shared_context() -> dict:
        return {
            "current_locale": str(get_locale()),
            "care_mode": care_mode(),
            "kind_labels": KIND_LABELS,
            "status_labels": STATUS_LABELS,
            "audience_labels": AUDIENCE_LABELS,
            "booking_status_labels": BOOKING_STATUS_LABELS,
            "booking_status_label": booking_status_label,
            "slot_state": slot_state,
            "session_state": session_state,
            "public_left": public_left,
        }


def _static_version(app: Flask, endpoint: str, values: dict) -> None:
    """Every static file's URL carries a digest of its content (``?v=…``, which the
    static route ignores): a browser or nginx may keep it a year (deploy/nginx), and a
    release that changes the file changes its URL."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        path = Path(app.static_folder, values["filename"])
        with suppress(OSError):  # a missing file: the URL 404s as before
            stat = path.stat()
            values["v"] = _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=512)
def _digest(path: str, _mtime_ns: int, _size: int) -> str:
    """A file's content digest, read again when it changes (its mtime and size are in
    the key)."""
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=6).hexdigest()


def _policy() -> BookingPolicy:
    """The booking policy, read once per request."""
    if (policy := g.get("xq_policy")) is None:
        policy = g.xq_policy = current_policy()
    return policy


def slot_state(start_dt: datetime, left: int) -> SlotState:
    """A slot's state for residents now — 放号 time, open, full or closed — for the
    pages to show before the tap."""
    return _policy().slot_state(start_dt, left, now=request_now())


def public_left(slot) -> int:
    """The places of ``slot`` the public may book now (referral places held back)."""
    return slot.public_left(request_now())


def session_state(places: SessionPlaces) -> SlotState:
    """A session's state in a list (BookingPolicy.session_state)."""
    return _policy().session_state(places.slots, now=request_now())

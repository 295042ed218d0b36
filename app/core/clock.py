"""The request's "now". Pages read it here so that tests can pin the clock through the
``CLOCK`` setting (a callable returning an aware UTC datetime) instead of patching."""

from datetime import datetime

from flask import current_app

from app.core.time import utcnow


def request_now() -> datetime:
    return current_app.config.get("CLOCK", utcnow)()

"""Dates in messages and pages: "12月3日 08:00" in Chinese, "Dec 3 08:00" in English."""

from datetime import datetime

from babel.dates import format_skeleton
from flask_babel import get_locale

from app.core.time import to_local

DEFAULT_LOCALE = "zh_Hans_CN"


def short_datetime(dt: datetime) -> str:
    """Month, day and time in the programme's zone, in the current (or default) locale."""
    local = to_local(dt)
    day = format_skeleton("MMMd", local, locale=get_locale() or DEFAULT_LOCALE)
    return f"{day} {local:%H:%M}"

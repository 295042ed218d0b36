"""Dates in messages and pages: "12月3日 08:00" in Chinese, "Dec 3 08:00" in English."""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_skeleton
from flask_babel import get_locale

from app.core.time import to_local

DEFAULT_LOCALE = "zh_Hans_CN"


def short_datetime(dt: datetime, locale: str | None = None) -> str:
    """Month, day and time in the programme's zone, in ``locale`` (by default the
    current one, else the default)."""
    return _short_datetime(dt, locale or str(get_locale() or DEFAULT_LOCALE))


@lru_cache(maxsize=4096)
def _short_datetime(dt: datetime, locale: str) -> str:
    # Every booking's confirmation and reminders name its slot's start, and a rush
    # books the same few hundred starts: Babel's formatting is worth remembering.
    local = to_local(dt)
    day = format_skeleton("MMMd", local, locale=locale)
    return f"{day} {local:%H:%M}"


def short_date(day: date, locale: str | None = None) -> str:
    """Month and day ("12月8日", "Dec 8") in ``locale`` (by default the current one)."""
    return format_skeleton("MMMd", day, locale=locale or str(get_locale() or DEFAULT_LOCALE))


def month_name(day: date, locale: str | None = None) -> str:
    """The month of ``day`` ("2026年12月", "Dec 2026")."""
    return format_skeleton("yMMM", day, locale=locale or str(get_locale() or DEFAULT_LOCALE))


def localized(thing, field: str = "name") -> str:
    """A directory name in the reader's language: ``field + "_en"`` in English where it
    is filled in (specialties, institutions, experts' titles), else the Chinese."""
    chinese = getattr(thing, field)
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return getattr(thing, f"{field}_en", "") or chinese
    return chinese

"""Time at the edges: the database holds aware UTC, people see the programme's zone."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

__all__ = ["UTC", "utcnow", "local_zone", "to_local", "local_to_utc", "local_day_bounds"]

DEFAULT_ZONE = "Asia/Shanghai"
_zone = ZoneInfo(DEFAULT_ZONE)


def set_local_zone(name: str) -> None:
    """Set the programme's zone once at start-up (from the TIMEZONE setting)."""
    global _zone
    _zone = ZoneInfo(name)


def local_zone() -> ZoneInfo:
    return _zone


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(dt: datetime) -> datetime:
    return dt.astimezone(_zone)


def local_to_utc(day: date, at: time) -> datetime:
    """The UTC instant of a local wall-clock time on a local day."""
    return datetime.combine(day, at, tzinfo=_zone).astimezone(UTC)


def local_today(now: datetime) -> date:
    return to_local(now).date()


# The days a programme plans for: a date outside them is a typing slip, and near
# date.min / date.max its week or month would overflow.
FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY = date(2000, 1, 1), date(2100, 12, 31)


def plausible_day(value: str | None, default: date) -> date:
    """A day asked for in a page's address (``2026-12-07``), when it reads as one within
    the years a programme plans (2000–2100); else ``default`` — never a date whose week
    or month would overflow."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return default
    return day if FIRST_PLAUSIBLE_DAY <= day <= LAST_PLAUSIBLE_DAY else default


def local_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """UTC [start, end) covering local days ``first`` through ``last`` inclusive."""
    start = local_to_utc(first, time.min)
    end = local_to_utc(date.fromordinal(last.toordinal() + 1), time.min)
    return start, end

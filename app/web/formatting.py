"""Jinja filters that show aware UTC datetimes in the programme's zone and locale."""

from datetime import date, datetime, timedelta

from babel.dates import format_date, format_skeleton, format_time
from flask import Flask
from flask_babel import get_locale

from app.core.formatting import short_datetime
from app.core.time import to_local


def local_day(value: datetime | date) -> str:
    """12月3日周四 / Thu, Dec 3."""
    day = to_local(value).date() if isinstance(value, datetime) else value
    return format_skeleton("MMMEd", day, locale=get_locale())


def local_time(value: datetime) -> str:
    return format_time(to_local(value), "HH:mm", locale=get_locale())


def local_datetime(value: datetime) -> str:
    return f"{local_day(value)} {local_time(value)}"


def long_day(value: date) -> str:
    return format_date(value, "long", locale=get_locale())


def add_days(value: date, days: int) -> date:
    return value + timedelta(days=days)


def init_app(app: Flask) -> None:
    app.add_template_filter(add_days)
    app.add_template_filter(short_datetime)
    app.add_template_filter(local_day)
    app.add_template_filter(local_time)
    app.add_template_filter(local_datetime)
    app.add_template_filter(long_day)

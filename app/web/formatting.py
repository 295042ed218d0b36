"""Jinja filters: aware UTC datetimes in the programme's zone and locale, and messages' links."""

import re
from datetime import date, datetime, timedelta

from babel.dates import format_date, format_skeleton, format_time
from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core.formatting import localized, short_datetime
from app.core.time import to_local


def local_day(value: datetime | date) -> str:
    """12月3日周四 / Thu, Dec 3."""
    day = to_local(value).date() if isinstance(value, datetime) else value
    return format_skeleton("MMMEd", day, locale=get_locale())


def local_time(value: datetime) -> str:
    return format_time(to_local(value), "HH:mm", locale=get_locale())


def weekday(value: date) -> str:
    """周四 / Thu."""
    return format_date(value, "EEE", locale=get_locale())


def local_date(value: datetime) -> date:
    """The local calendar day of a moment (for links that take a day)."""
    return to_local(value).date()


def local_datetime(value: datetime) -> str:
    return f"{local_day(value)} {local_time(value)}"


def long_day(value: date) -> str:
    return format_date(value, "long", locale=get_locale())


def add_days(value: date, days: int) -> date:
    return value + timedelta(days=days)


# The site's own pages a message may point to (a path, or the same after SITE_URL).
_OWN_PAGE = (r"/(?:sessions|slots|schedule|s|bookings|waitlist|calendar|inbox)(?![\w\-])"
             r"(?:/[\w\-.]*)*")


def message_links(body: str) -> Markup:
    """A message's text for the inbox page, with each link to one of the site's own
    pages as a button to it (on the address the page is read on); anything else stays
    text — a stop reason someone typed never becomes a link elsewhere."""
    site = re.escape((current_app.config.get("SITE_URL") or "").rstrip("/"))
    own = re.compile(rf"(?<![\w/])(?:{site})?({_OWN_PAGE})" if site else
                     rf"(?<![\w/])({_OWN_PAGE})")
    label = escape(_("打开"))
    return Markup(own.sub(lambda m: f'<a class="button" href="{m.group(1)}">{label}</a>',
                          str(escape(body))))


def init_app(app: Flask) -> None:
    app.add_template_filter(message_links)
    app.add_template_filter(localized)
    app.add_template_filter(add_days)
    app.add_template_filter(weekday)
    app.add_template_filter(short_datetime)
    app.add_template_filter(local_day)
    app.add_template_filter(local_time)
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(long_day)

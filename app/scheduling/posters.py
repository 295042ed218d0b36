"""Posters for the township notice board (issue #18): one A4 portrait page of a week's
sessions at a venue, or at every venue of a township — expert, title, specialty, day
and time, how to book, the desk's phone — with a QR code that opens the venue's (or
township's) page. At most ``FITS`` sessions; beyond that, "更多场次请扫码"."""

from dataclasses import dataclass
from datetime import date, timedelta

import segno
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.time import local_day_bounds, to_local
from app.directory.models import Venue
from app.extensions import db
from app.scheduling.models import Session, SessionStatus

FITS = 8  # sessions a poster holds at 16 pt and larger on one A4 page, with a heading a day


@dataclass(frozen=True)
class Poster:
    title: str  # the venue's or township's name
    monday: date
    days: list[tuple[date, list[Session]]]  # the first FITS sessions by local day
    more: int  # how many more that week
    phones: list[str]  # the desks' phones
    url: str  # what the QR code opens
    qr: str  # the QR code as an SVG data URI


def parse_week(value: str | None, today: date) -> date:
    """The Monday of ISO week ``2026-W49`` (this week's when missing or malformed)."""
    this_week = today - timedelta(days=today.weekday())
    try:
        year, week = (value or "").split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return this_week
    return monday if 2000 <= monday.year <= 2100 else this_week


def poster(title: str, venue_ids: list[int], monday: date, url: str,
           phones: list[str]) -> Poster:
    start_dt, end_dt = local_day_bounds(monday, monday + timedelta(days=6))
    sessions = db.session.scalars(
        select(Session)
        .where(Session.venue_id.in_(venue_ids), Session.status == SessionStatus.PUBLISHED,
               Session.start_dt >= start_dt, Session.start_dt < end_dt)
        .order_by(Session.start_dt, Session.id)
        .options(selectinload(Session.experts))
    ).all()
    days: dict[date, list[Session]] = {}
    for session in sessions[:FITS]:
        days.setdefault(to_local(session.start_dt).date(), []).append(session)
    return Poster(title=title, monday=monday, days=list(days.items()),
                  more=max(len(sessions) - FITS, 0), phones=[p for p in phones if p], url=url,
                  qr=segno.make(url, error="m").svg_data_uri(scale=6, border=2))


def venue_poster(venue: Venue, monday: date, url: str) -> Poster:
    return poster(venue.name, [venue.id], monday, url, [venue.phone])


def township_poster(township, monday: date, url: str) -> Poster:
    venues = db.session.scalars(select(Venue).where(Venue.township_id == township.id,
                                                    Venue.is_enabled)
                                .order_by(Venue.id)).all()
    return poster(township.name, [v.id for v in venues], monday, url,
                  [v.phone for v in venues])

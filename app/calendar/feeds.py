"""What each feed holds, its version, and rendered bodies cached per version.

A feed's rows are read as plain columns (no ORM objects: a venue feed may hold
thousands of events). Its *version* comes from one aggregate query over the same rows
— count, newest change, sum of SEQUENCEs, newest id — plus the local date, because the
window moves and stopped sessions drop out after 7 days. Stopping raises SEQUENCE and
the change time; a row leaving the window changes the count. A repeated request for an
unchanged feed is answered from the version alone: 304, or the cached body.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select

from app.bookings.models import Booking, BookingStatus
from app.calendar.ical import UID_DOMAIN, FeedEvent, feed_calendar, render
from app.core.time import local_today, local_zone
from app.directory.models import Expert, Specialty, Venue
from app.extensions import db
from app.notifications import attachments
from app.notifications.mail import Attachment
from app.scheduling.labels import KIND_LABELS
from app.scheduling.models import (
    Session,
    SessionExpert,
    SessionKind,
    SessionStatus,
    Slot,
)

PAST_DAYS = 30
STOPPED_KEPT_DAYS = 7
CACHE_SIZE = 256


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    last_modified: datetime | None


@dataclass(frozen=True)
class FeedSpec:
    """Which sessions a session feed holds; ``key`` names the feed in the cache."""

    key: str
    name: str
    where: tuple  # SQL conditions on Session (and Venue)
    with_bookings: bool = False  # an expert's feed shows how many are booked


# --- which sessions ---------------------------------------------------------------------


def _window(now: datetime):
    """From 30 days back to every future session; stopped ones for 7 days after stopping."""
    since = now - timedelta(days=PAST_DAYS)
    return (
        Session.end_dt >= since,
        or_(Session.status.in_((SessionStatus.PUBLISHED, SessionStatus.COMPLETED)),
            and_(Session.status == SessionStatus.STOPPED,
                 Session.stopped_dt >= now - timedelta(days=STOPPED_KEPT_DAYS))),
    )


def venue_feed(venue: Venue) -> FeedSpec:
    return FeedSpec(f"venue:{venue.id}", f"{venue.name} · 乡情专家行",
                    (Session.venue_id == venue.id,))


def institution_feed(institution_id: int, name: str) -> FeedSpec:
    of_institution = select(SessionExpert.session_id).join(
        Expert, Expert.id == SessionExpert.expert_id).where(
        Expert.institution_id == institution_id)
    return FeedSpec(f"institution:{institution_id}", f"{name} · 乡情专家行",
                    (Session.id.in_(of_institution),))


def programme_feed(*, kind: SessionKind | None, township_id: int | None,
                   township_name: str = "") -> FeedSpec:
    where, parts = [], ["乡情专家行"]
    if kind:
        where.append(Session.kind == kind)
        parts.append(str(KIND_LABELS[kind]))
    if township_id:
        where.append(Venue.township_id == township_id)
        parts.append(township_name)
    key = f"programme:{kind.value if kind else ''}:{township_id or ''}"
    return FeedSpec(key, " · ".join(parts), tuple(where))


def expert_feed(expert: Expert) -> FeedSpec:
    mine = select(SessionExpert.session_id).where(SessionExpert.expert_id == expert.id)
    return FeedSpec(f"expert:{expert.id}", f"{expert.name}的排班 · 乡情专家行",
                    (Session.id.in_(mine),), with_bookings=True)


def _sessions_query(spec: FeedSpec, now: datetime) -> Select:
    return (
        select(Session.id, Session.kind, Session.title, Session.status, Session.start_dt,
               Session.end_dt, Session.updated_dt, Session.sequence, Session.stop_reason,
               Venue.name, Venue.address, Specialty.name)
        .join(Venue, Venue.id == Session.venue_id)
        .outerjoin(Specialty, Specialty.id == Session.specialty_id)
        .where(*_window(now), *spec.where)
        .order_by(Session.start_dt, Session.id)
    )


def session_version(spec: FeedSpec, now: datetime) -> tuple:
    """The feed's version and newest change, in one aggregate query."""
    query = (
        select(func.count(Session.id), func.max(Session.updated_dt),
               func.coalesce(func.sum(Session.sequence), 0), func.max(Session.id))
        .join(Venue, Venue.id == Session.venue_id)
        .where(*_window(now), *spec.where)
    )
    count, newest, sequences, top = db.session.execute(query).one()
    booked = None
    if spec.with_bookings:
        booked = db.session.scalar(
            select(func.coalesce(func.sum(Slot.booked_count), 0))
            .join(Session, Session.id == Slot.session_id)
            .join(Venue, Venue.id == Session.venue_id)
            .where(*_window(now), *spec.where))
    return (spec.key, local_today(now), count, newest, sequences, top, booked), newest


def session_events(spec: FeedSpec, now: datetime, *, base_url: str) -> list[FeedEvent]:
    rows = db.session.execute(_sessions_query(spec, now)).all()
    ids = [row[0] for row in rows]
    experts = _expert_names(ids)
    booked = _booked(ids) if spec.with_bookings else {}
    labels = {kind: str(label) for kind, label in KIND_LABELS.items()}  # translate once
    events = []
    for (sid, kind, title, status, start, end, changed, sequence, reason, venue, address,
         specialty) in rows:
        names = "、".join(experts.get(sid, []))
        what = title or " ".join(part for part in (names, specialty) if part)
        lines = [f"{labels[kind]}：{what}"]
        if names and title:
            lines.append(_("专家：%(names)s", names=names))
        if status == SessionStatus.STOPPED and reason:
            lines.append(_("停诊原因：%(reason)s", reason=reason))
        if sid in booked:
            lines.append(_("已预约 %(n)s / %(cap)s", n=booked[sid][0], cap=booked[sid][1]))
        url = f"{base_url}/sessions/{sid}"
        lines.append(url)
        events.append(FeedEvent(
            uid=f"session-{sid}@{UID_DOMAIN}", summary=f"{labels[kind]} {what}",
            start_dt=start, end_dt=end, last_modified=changed, sequence=sequence,
            location=f"{venue} {address}".strip(), description="\n".join(lines), url=url,
            cancelled=status == SessionStatus.STOPPED,
        ))
    return events


def _expert_names(session_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for chunk in _chunks(session_ids):
        for sid, name in db.session.execute(
            select(SessionExpert.session_id, Expert.name)
            .join(Expert, Expert.id == SessionExpert.expert_id)
            .where(SessionExpert.session_id.in_(chunk))
            .order_by(SessionExpert.session_id, Expert.id)
        ):
            names.setdefault(sid, []).append(name)
    return names


def _booked(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    booked = {}
    for chunk in _chunks(session_ids):
        for sid, taken, capacity in db.session.execute(
            select(Slot.session_id, func.sum(Slot.booked_count), func.sum(Slot.capacity))
            .where(Slot.session_id.in_(chunk)).group_by(Slot.session_id)
        ):
            booked[sid] = (int(taken), int(capacity))
    return booked


def _chunks(ids: list[int], size: int = 900):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


# --- a resident's bookings -----------------------------------------------------------------


BOOKING_SHOWN = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.COMPLETED,
                 BookingStatus.CANCELLED, BookingStatus.STOPPED)


def _bookings_where(account_id: int, now: datetime):
    kept = now - timedelta(days=STOPPED_KEPT_DAYS)
    return (
        Booking.account_id == account_id,
        Slot.end_dt >= now - timedelta(days=PAST_DAYS),
        Booking.status.in_(BOOKING_SHOWN),
        or_(Booking.status.not_in((BookingStatus.CANCELLED, BookingStatus.STOPPED)),
            Booking.updated_dt >= kept),
    )


def booking_version(account_id: int, now: datetime) -> tuple:
    count, newest, sequences, top, session_newest, session_sequences = db.session.execute(
        select(func.count(Booking.id), func.max(Booking.updated_dt),
               func.coalesce(func.sum(Booking.sequence), 0), func.max(Booking.id),
               func.max(Session.updated_dt), func.coalesce(func.sum(Session.sequence), 0))
        .join(Slot, Slot.id == Booking.slot_id).join(Session, Session.id == Booking.session_id)
        .where(*_bookings_where(account_id, now))
    ).one()
    newest = max(filter(None, (newest, session_newest)), default=None)
    version = (f"me:{account_id}", local_today(now), count, newest, sequences, top,
               session_sequences)
    return version, newest


# A booking's own .ics (加入手机日历, the confirmation e-mail) reminds two hours before;
# feeds carry no alarms: a subscribed calendar is the phone's, its alarms the owner's.
BOOKING_ALARM = timedelta(hours=2)


def booking_events(account_id: int, now: datetime, *, base_url: str,
                   booking_id: int | None = None,
                   alarm_before: timedelta | None = None) -> list[FeedEvent]:
    query = (
        select(Booking.id, Booking.code, Booking.queue_number, Booking.status,
               Booking.updated_dt, Booking.sequence, Slot.start_dt, Slot.end_dt,
               Session.id, Session.kind, Session.title, Session.updated_dt, Session.sequence,
               Venue.name, Venue.address)
        .join(Slot, Slot.id == Booking.slot_id).join(Session, Session.id == Booking.session_id)
        .join(Venue, Venue.id == Session.venue_id)
        .order_by(Slot.start_dt, Booking.id)
    )
    if booking_id is None:
        query = query.where(*_bookings_where(account_id, now))
    else:
        query = query.where(Booking.id == booking_id, Booking.account_id == account_id)
    rows = db.session.execute(query).all()
    experts = _expert_names([row[8] for row in rows])
    events = []
    for (bid, code, number, status, changed, sequence, start, end, sid, kind, title,
         session_changed, session_sequence, venue, address) in rows:
        what = title or "、".join(experts.get(sid, [])) or str(KIND_LABELS[kind])
        cancelled = status in (BookingStatus.CANCELLED, BookingStatus.STOPPED)
        events.append(FeedEvent(
            uid=f"booking-{bid}@{UID_DOMAIN}",
            summary=_("%(kind)s %(what)s 第%(n)s号", kind=KIND_LABELS[kind], what=what,
                      n=number),
            start_dt=start, end_dt=end, last_modified=max(changed, session_changed),
            sequence=sequence + session_sequence, location=f"{venue} {address}".strip(),
            description=_("预约码 %(code)s，第%(n)s号。请带好身份证提前到达。", code=code,
                          n=number) + f"\n{base_url}/bookings/{bid}",
            url=f"{base_url}/bookings/{bid}", cancelled=cancelled,
            cancelled_prefix="【已停诊】" if status == BookingStatus.STOPPED else "【已取消】",
            alarm_before=alarm_before,
        ))
    return events


# --- rendering and the cache ------------------------------------------------------------


class RenderCache:
    """Rendered bodies by feed version, per process, least recently used dropped."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._items: OrderedDict[tuple, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: tuple) -> Rendered | None:
        with self._lock:
            found = self._items.get(version)
            if found is not None:
                self._items.move_to_end(version)
            return found

    def put(self, version: tuple, rendered: Rendered) -> None:
        with self._lock:
            self._items[version] = rendered
            self._items.move_to_end(version)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        """How many bodies are kept: one per feed version rendered since the last clear."""
        with self._lock:
            return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


cache = RenderCache()


def rendered(version: tuple, newest: datetime | None, name: str,
             events: Callable[[], list[FeedEvent]]) -> Rendered:
    """The body for ``version``: from the cache, or built once and kept."""
    found = cache.get(version)
    if found is None:
        body = render(feed_calendar(name, events(), zone=local_zone()))
        found = Rendered(body, f'"{hashlib.sha256(body).hexdigest()[:40]}"', newest)
        cache.put(version, found)
    return found


def booking_attachment(booking_id: int, now: datetime) -> Attachment | None:
    """The booking's own .ics for its confirmation e-mail: the same event (UID,
    SEQUENCE) as in the resident's feed, so a calendar that has both shows it once."""
    account_id = db.session.scalar(select(Booking.account_id).where(Booking.id == booking_id))
    if account_id is None:
        return None
    base_url = (current_app.config.get("SITE_URL") or "").rstrip("/")
    events = booking_events(account_id, now, base_url=base_url, booking_id=booking_id,
                            alarm_before=BOOKING_ALARM)
    if not events:
        return None
    body = render(feed_calendar("乡情专家行", events, zone=local_zone()))
    return Attachment(f"booking-{booking_id}.ics", "text/calendar", body)


def register_attachments() -> None:
    attachments.register("booking", booking_attachment)

"""Publishing a session and stopping it (停诊)."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.models import User
from app.bookings.errors import NotBookable
from app.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, WaitlistStatus
from app.bookings.services import notices
from app.bookings.services.desk import close_waitlist
from app.bookings.services.engine import release_person_place
from app.bookings.services.policy import fmt
from app.core import audit
from app.core.db import restart_as_write
from app.extensions import db
from app.notifications import compose
from app.notifications.services import cancel_pending_for_booking
from app.scheduling.models import Session, SessionStatus, Slot
from app.scheduling.queries import nearest_alternatives


def publish_session(session: Session, *, by: User, now: datetime) -> Session:
    """A draft becomes visible and bookable."""
    if session.status != SessionStatus.DRAFT:
        raise NotBookable(_("只有草稿可以发布"))
    session_id, by_id = session.id, by.id
    restart_as_write(db.session)
    published = db.session.execute(
        update(Session).where(Session.id == session_id, Session.status == SessionStatus.DRAFT)
        .values(status=SessionStatus.PUBLISHED, updated_dt=now)
    ).rowcount
    if not published:
        db.session.rollback()
        raise NotBookable(_("只有草稿可以发布"))
    session = db.session.get(Session, session_id)
    audit.record("session.publish", session, actor_id=by_id, now=now,
                 before={"status": "draft"}, after={"status": "published"})
    db.session.flush()
    return session


@dataclass(frozen=True)
class ToCall:
    """A stopped booking's patient no message reaches (a walk-in with a landline or no
    phone, booked without an account): the venue has to call them."""

    queue_number: int
    name: str
    phone: str


@dataclass(frozen=True)
class Told:
    """Bookings a change reached: how many, and whom the venue must call instead."""

    count: int  # the bookings stopped or moved
    to_call: list[ToCall]  # those of them no message reaches

    @property
    def told(self) -> int:
        return self.count - len(self.to_call)


def to_call(bookings: list[Booking]) -> list[ToCall]:
    """Of ``bookings``, the patients no message reaches, in the order given."""
    return [ToCall(b.queue_number, b.patient.name, b.patient.phone) for b in bookings
            if not compose.reaches(b.account_id, b.patient.phone)]


def stop_session(session: Session, reason: str, *, by: User, now: datetime) -> Told:
    """Stop a session (停诊) in one transaction: every active booking is stopped and its
    place freed, pending reminders are cancelled, the waitlist closes, and every patient
    a message reaches is told at once, with the nearest alternative sessions of the
    same specialty. Returns how many bookings were stopped and whom the venue has to
    call instead."""
    reason = reason.strip()
    if not reason:
        raise NotBookable(_("请填写停诊原因"))
    if session.status == SessionStatus.DRAFT:
        # A stopped draft would show on the public pages as 停诊 with its reason.
        raise NotBookable(_("草稿还没有发布，不用停诊；不要了可以删除草稿"))
    if session.status != SessionStatus.PUBLISHED:
        raise NotBookable(_("本场已停诊或已结束"))
    session_id, by_id, before = session.id, by.id, session.status.value
    restart_as_write(db.session)
    stopped = db.session.execute(
        update(Session)
        .where(Session.id == session_id, Session.status == SessionStatus.PUBLISHED)
        .values(status=SessionStatus.STOPPED, stop_reason=reason[:200], stopped_dt=now,
                updated_dt=now, sequence=Session.sequence + 1)
    ).rowcount
    if not stopped:
        db.session.rollback()
        raise NotBookable(_("本场已停诊或已结束"))
    session = db.session.get(Session, session_id)
    bookings = db.session.scalars(
        select(Booking).join(Booking.slot)
        .where(Booking.session_id == session.id, Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Slot.start_dt, Booking.queue_number)
    ).all()
    alternatives = [notices.Alternative(_describe(s), compose.site_link(f"/sessions/{s.id}")
                                        or f"/sessions/{s.id}")
                    for s in nearest_alternatives(session, now=now)]
    link = compose.site_link(f"/s/{session_id}")
    result = Told(len(bookings), to_call(bookings))
    for booking in bookings:
        booking.status, booking.updated_dt, booking.cancel_reason = (
            BookingStatus.STOPPED, now, reason[:200])
        booking.sequence += 1
        release_person_place(booking.person_key, session.kind)
        cancel_pending_for_booking(booking.id)
        notices.session_stopped(notices.facts_of(booking), reason=reason,
                                alternatives=alternatives, link=link, now=now)
    _tell_experts(session, reason=reason, stopped=result, link=link, now=now)
    db.session.execute(update(Slot).where(Slot.session_id == session.id)
                       .values(booked_count=0, referred_count=0))
    close_waitlist(session.id, WaitlistStatus.CANCELLED)
    audit.record("session.stop", session, actor_id=by_id, now=now,
                 before={"status": before},
                 after={"status": "stopped", "reason": reason, "bookings": len(bookings)})
    db.session.flush()
    return result


def _tell_experts(session: Session, *, reason: str, stopped: Told, link: str,
                  now: datetime) -> None:
    """The session's experts and their assistants hear of the stop (inbox, e-mail)."""
    compose.tell_accounts(
        (u for e in session.experts for u in (e.user, *e.assistants)),
        "session_stopped_expert", now=now, when=partial(fmt, session.start_dt),
        place=session.venue.name, what=session.display_title, reason=reason,
        count=stopped.told, to_call=len(stopped.to_call), link=link)


def sessions_moved(session_ids: list[int], *, now: datetime) -> Told:
    """Tell everyone booked into sessions whose time, place or experts were changed (a
    session's edit, a series edit moving its future occurrences) and re-time their
    reminders, in the caller's write unit of work. Returns how many bookings were told,
    and whom no message reaches (the venue calls them)."""
    if not session_ids:
        return Told(0, [])
    bookings = db.session.scalars(
        select(Booking).join(Booking.slot)
        .where(Booking.session_id.in_(session_ids),
               Booking.status == BookingStatus.CONFIRMED)
        .order_by(Slot.start_dt, Booking.queue_number)
    ).all()
    for booking in bookings:
        booking.sequence += 1
        booking.updated_dt = now
        notices.booking_rescheduled(notices.facts_of(booking), now=now)
    db.session.flush()
    return Told(len(bookings), to_call(bookings))


def _describe(session: Session) -> str:
    return f"{fmt(session.start_dt)} {session.venue.name} {session.display_title}"

"""The messages a booking change sends, queued in the same unit of work as the change.

SMS go to the patient's phone (the person who will come), inbox messages to the
account that booked. Texts are short enough for one SMS.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from app.bookings.models import Booking
from app.bookings.services.policy import fmt
from app.notifications.models import Channel
from app.notifications.services import (
    cancel_message,
    queue_inbox,
    queue_sms,
    schedule_message,
)

SIGNATURE = "【乡情专家行】"


@dataclass(frozen=True)
class ReminderRule:
    """Remind ``hours`` before the start, and never later than ``latest_hours`` before."""

    hours: int
    latest_hours: int

    @property
    def kind(self) -> str:
        return f"reminder_{self.hours}h"


def reminder_rules(config) -> list[ReminderRule]:
    """REMINDER_HOURS="24,2" with REMINDER_LATEST_HOURS="12,0" (pairwise)."""
    hours = [int(h) for h in str(config["REMINDER_HOURS"]).split(",") if h.strip()]
    latest = [int(h) for h in str(config["REMINDER_LATEST_HOURS"]).split(",") if h.strip()]
    latest += [0] * (len(hours) - len(latest))
    return [ReminderRule(h, min(last, h)) for h, last in zip(hours, latest, strict=False)]


@dataclass(frozen=True)
class BookingFacts:
    """A booking as its messages describe it (plain values: no lazy loads under a lock)."""

    booking_id: int
    code: str
    queue_number: int
    name: str
    phone: str
    account_id: int | None
    start_dt: datetime
    place: str
    what: str


def facts_of(booking: Booking) -> BookingFacts:
    session = booking.session
    return BookingFacts(
        booking_id=booking.id, code=booking.code, queue_number=booking.queue_number,
        name=booking.patient.name, phone=booking.patient.phone, account_id=booking.account_id,
        start_dt=booking.slot.start_dt, place=session.venue.name, what=session.display_title,
    )


def _send(f: BookingFacts, *, kind: str, sms: str, subject: str, body: str | None = None,
          now: datetime) -> None:
    if f.phone:
        queue_sms(f.phone, kind=kind, body=SIGNATURE + sms, now=now, user_id=f.account_id,
                  booking_id=f.booking_id)
    if f.account_id:
        queue_inbox(f.account_id, kind=kind, subject=subject, body=body or sms, now=now,
                    booking_id=f.booking_id)


def booking_confirmed(f: BookingFacts, *, now: datetime) -> None:
    text = _("%(name)s已预约%(when)s %(place)s %(what)s，第%(n)s号，预约码%(code)s。",
             name=f.name, when=fmt(f.start_dt), place=f.place, what=f.what,
             n=f.queue_number, code=f.code)
    _send(f, kind="booking_confirmed", sms=text, subject=_("预约成功"), now=now)
    schedule_reminders(f, now=now)


def schedule_reminders(f: BookingFacts, *, now: datetime) -> None:
    """Queue (or re-time) the SMS reminders of a booking, one per rule and booking.

    A reminder whose time has already passed is not queued (the confirmation just
    said the same); one that is already queued for an earlier time is cancelled. Each
    carries the end of its window as ``expires_dt``, so it is never sent late."""
    text = SIGNATURE + _("提醒：%(name)s预约了%(when)s %(place)s %(what)s，第%(n)s号，"
                         "预约码%(code)s。", name=f.name, when=fmt(f.start_dt), place=f.place,
                         what=f.what, n=f.queue_number, code=f.code)
    for rule in reminder_rules(current_app.config):
        key = f"{rule.kind}:{f.booking_id}:sms"
        due_dt = f.start_dt - timedelta(hours=rule.hours)
        if not f.phone or due_dt <= now:
            cancel_message(key)
            continue
        schedule_message(dedupe_key=key, channel=Channel.SMS, kind=rule.kind, body=text,
                         now=now, due_dt=due_dt,
                         expires_dt=f.start_dt - timedelta(hours=rule.latest_hours),
                         recipient=f.phone, user_id=f.account_id, booking_id=f.booking_id)


def booking_cancelled(f: BookingFacts, *, now: datetime) -> None:
    text = _("%(name)s %(when)s %(place)s的预约已取消。", name=f.name,
             when=fmt(f.start_dt), place=f.place)
    _send(f, kind="booking_cancelled", sms=text, subject=_("预约已取消"), now=now)


def booking_rescheduled(f: BookingFacts, *, now: datetime) -> None:
    text = _("%(name)s的预约已改到%(when)s %(place)s，第%(n)s号，预约码%(code)s。",
             name=f.name, when=fmt(f.start_dt), place=f.place, n=f.queue_number,
             code=f.code)
    _send(f, kind="booking_rescheduled", sms=text, subject=_("预约已改约"), now=now)
    schedule_reminders(f, now=now)


def session_stopped(f: BookingFacts, *, reason: str, alternatives: list[str],
                    now: datetime) -> None:
    sms = _("很抱歉，%(when)s %(place)s %(what)s停诊（%(reason)s），%(name)s的预约已取消。",
            when=fmt(f.start_dt), place=f.place, what=f.what, reason=reason, name=f.name)
    if alternatives:
        sms += _("可改约：%(first)s", first=alternatives[0])
    body = sms
    if len(alternatives) > 1:
        body += "\n" + _("其他可选场次：") + "\n" + "\n".join(alternatives)
    _send(f, kind="session_stopped", sms=sms, subject=_("停诊通知"), body=body, now=now)


def waitlist_offer(*, name: str, phone: str, account_id: int, start_dt: datetime,
                   place: str, expires_dt: datetime, now: datetime) -> None:
    text = _("%(when)s %(place)s有空位，已为%(name)s保留到%(until)s，请登录“我的候补”确认。",
             when=fmt(start_dt), place=place, name=name, until=fmt(expires_dt))
    if phone:
        queue_sms(phone, kind="waitlist_offer", body=SIGNATURE + text, now=now,
                  user_id=account_id)
    queue_inbox(account_id, kind="waitlist_offer", subject=_("候补有空位"), body=text, now=now)

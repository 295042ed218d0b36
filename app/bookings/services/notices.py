"""The messages a booking change sends, queued in the same unit of work as the change.

SMS go to the patient's phone (the person who will come), the inbox and e-mail to the
account that booked, as its preferences say (app.notifications.compose). Texts are the
templates under app/templates/messages/, rendered in the account's language; every
SMS fits one message. Confirmations and reschedules carry the booking's .ics by e-mail.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from flask import current_app

from app.auth.models import User
from app.bookings.models import Booking, WaitlistEntry
from app.core.formatting import short_datetime as fmt
from app.extensions import db
from app.notifications import compose
from app.notifications.compose import Recipient, recipient_of
from app.notifications.models import Channel
from app.notifications.services import cancel_message, queue_messages, schedule_message


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
    to: Recipient | None = None  # the account that booked (None: a walk-in)


@dataclass(frozen=True)
class Tell:
    """Whom to tell that someone else booked a person: an SMS to ``phone`` (None: the
    confirmation went there already) and the inbox of their own account ``to``.
    ``booker_phone``: the booking account's phone, masked ("": a front desk)."""

    phone: str | None
    to: Recipient | None
    booker_phone: str


def facts_of(booking: Booking) -> BookingFacts:
    session = booking.session
    return BookingFacts(
        booking_id=booking.id, code=booking.code, queue_number=booking.queue_number,
        name=booking.patient.name, phone=booking.patient.phone, account_id=booking.account_id,
        start_dt=booking.slot.start_dt, place=session.venue.name, what=session.display_title,
        to=recipient_of(booking.account),
    )


def _texts(template: str, f: BookingFacts, **values) -> compose.Texts:
    """A booking message's texts, in the language of the account it goes to."""
    locale = f.to.locale if f.to and f.to.locale in compose.LOCALES else compose.DEFAULT_LOCALE
    return compose.render(template, locale=locale, f=f, when=partial(fmt, f.start_dt),
                          link=compose.site_link(f"/bookings/{f.booking_id}"), **values)


def _send(f: BookingFacts, kind: str, texts: compose.Texts, *, now: datetime,
          attach: bool = False) -> None:
    compose.send(kind, texts, now=now, to=f.to, phone=f.phone, booking_id=f.booking_id,
                 attachment=f"booking:{f.booking_id}" if attach else None)


def booking_confirmed(f: BookingFacts, *, now: datetime, tell: Tell | None = None) -> None:
    """A booking confirmed in this unit of work (a waitlist place taken, say), and
    ``tell``'s notice (``prepare_confirmation``)."""
    queue_messages(confirmation_messages(f, now=now)
                   + (_booked_for_person(f, tell, now=now) if tell else []))


def confirmation_messages(f: BookingFacts, *, now: datetime) -> list[dict]:
    """A new booking's confirmation and reminders, as ``queue_messages`` takes them
    (a new booking has no reminders to re-time or cancel yet)."""
    texts = _texts("booking_confirmed", f)
    return (compose.routes("booking_confirmed", texts, now=now, to=f.to, phone=f.phone,
                           booking_id=f.booking_id, attachment=f"booking:{f.booking_id}")
            + [{"dedupe_key": key, **message} for key, message in _reminders(f, now=now)
               if message is not None])


def _booked_for_person(f: BookingFacts, tell: Tell, *, now: datetime) -> list[dict]:
    """The notice to a person's own phone and account that another account (or a
    front desk) booked them, so that a stranger's booking shows; the SMS leaves the
    place out when it would not fit one message."""
    locale = tell.to.locale if tell.to else compose.DEFAULT_LOCALE
    values = {"booker": tell.booker_phone, "name": f.name, "when": partial(fmt, f.start_dt),
              "place": f.place, "full_place": f.place, "what": f.what,
              "own_account": tell.to is not None}
    texts = compose.render("booked_for_you", locale=locale, **values)
    if not compose.sms_fits(texts.sms):
        texts = replace(texts, sms=compose.render("booked_for_you", locale=locale,
                                                  **{**values, "place": ""}).sms)
    return compose.routes("booked_for_you", texts, now=now, to=tell.to,
                          phone=tell.phone or "", booking_id=f.booking_id)


def _reminders(f: BookingFacts, *, now: datetime):
    """(dedupe key, message) of each reminder rule and channel whose time is still to
    come: SMS to the patient's phone, e-mail to the account's address, as it prefers.
    Each carries the end of its window as ``expires_dt``, so it is never sent late."""
    email = f.to.email_to if f.to else None
    # Only an e-mail reminder needs the subject and the body (every booking renders it).
    texts = _texts("reminder", f, only=compose.PARTS if email else ("sms",))
    routes = ((Channel.SMS, compose.sms_to(f.to, f.phone), texts.sms, ""),
              (Channel.EMAIL, email, texts.body, compose.email_subject(texts)))
    for rule in reminder_rules(current_app.config):
        due_dt = f.start_dt - timedelta(hours=rule.hours)
        for channel, address, body, subject in routes:
            key = f"{rule.kind}:{f.booking_id}:{channel.value}"
            if not address or due_dt <= now:
                yield key, None
                continue
            yield key, {"channel": channel, "kind": rule.kind, "body": body, "now": now,
                        "due_dt": due_dt,
                        "expires_dt": f.start_dt - timedelta(hours=rule.latest_hours),
                        "recipient": address, "subject": subject, "user_id": f.account_id,
                        "booking_id": f.booking_id}


def schedule_reminders(f: BookingFacts, *, now: datetime) -> None:
    """Queue or re-time the reminders of a booking that changed, one per rule and
    channel: a reminder whose time has already passed is not queued (the change's own
    notice just said the same), and one queued for an earlier time is cancelled."""
    for key, message in _reminders(f, now=now):
        if message is None:
            cancel_message(key)
        else:
            schedule_message(dedupe_key=key, **message)


def booking_cancelled(f: BookingFacts, *, now: datetime) -> None:
    _send(f, "booking_cancelled", _texts("booking_cancelled", f), now=now)


def booking_rescheduled(f: BookingFacts, *, now: datetime) -> None:
    _send(f, "booking_rescheduled", _texts("booking_rescheduled", f), now=now, attach=True)
    schedule_reminders(f, now=now)


@dataclass(frozen=True)
class Alternative:
    """A session to book instead of a stopped one: how the notice names it, and its
    page (absolute when the site knows its address, else the site's own path)."""

    text: str
    link: str


def session_stopped(f: BookingFacts, *, reason: str, alternatives: list[Alternative], link: str,
                    now: datetime) -> None:
    """停诊: the SMS says so and links to the stopped session's page, which lists the
    nearest alternatives; the inbox and e-mail list them too. Without a site address the
    SMS names the first alternative instead, when it fits."""
    values = {"reason": reason, "alternatives": alternatives, "session_link": link,
              "short": False}
    texts = _texts("session_stopped", f, **values)
    for shorter in ({"alternatives": []}, {"reason": ""}, {"short": True}):
        if compose.sms_fits(texts.sms):
            break
        values.update(shorter)  # what the SMS leaves out, the inbox and e-mail keep
        texts = replace(texts, sms=_texts("session_stopped", f, **values).sms)
    _send(f, "session_stopped", texts, now=now)


def waitlist_offer(entry: WaitlistEntry, *, expires_dt: datetime, now: datetime) -> None:
    """The held place, by SMS, inbox and e-mail. The SMS and e-mail expire with the
    offer (never sent once it has passed) and are withdrawn when it ends sooner
    (``withdraw_waitlist_offers``); the inbox keeps its copy."""
    account, texts = _waiter_texts(entry, "waitlist_offer", link="/waitlist",
                                   until=partial(fmt, expires_dt))
    queue_messages([
        message if message["channel"] == Channel.INBOX else
        {**message, "expires_dt": expires_dt,
         "dedupe_key": _offer_key(entry.id, message["channel"])}
        for message in compose.routes("waitlist_offer", texts, now=now, to=account,
                                      phone=entry.patient.phone)])


def withdraw_waitlist_offers(entry_ids) -> None:
    """The offers' SMS and e-mail not sent yet are not sent: the offer was accepted,
    left, passed on, or its session stopped."""
    for entry_id in entry_ids:
        for channel in (Channel.SMS, Channel.EMAIL):
            cancel_message(_offer_key(entry_id, channel))


def _offer_key(entry_id: int, channel: Channel) -> str:
    return f"waitlist_offer:{entry_id}:{channel.value}"


def waitlist_expired(entry: WaitlistEntry, *, now: datetime) -> None:
    account, texts = _waiter_texts(entry, "waitlist_expired", link="/schedule")
    compose.send("waitlist_expired", texts, now=now, to=account, phone=entry.patient.phone)


def _waiter_texts(entry: WaitlistEntry, kind: str, *, link: str,
                  **values) -> tuple[Recipient, compose.Texts]:
    """A notice about a waitlist entry, for the account that put the waiter on the list
    (inbox and e-mail; the SMS goes to the waiter's phone)."""
    account = recipient_of(db.session.get(User, entry.account_id))
    slot = entry.slot
    texts = compose.render(kind, locale=account.locale, name=entry.patient.name,
                           place=slot.session.venue.name, when=partial(fmt, slot.start_dt),
                           link=compose.site_link(link), **values)
    return account, texts


def person_suspended(*, name: str, phone: str, to: Recipient | None, until: datetime,
                     now: datetime) -> None:
    """The person is told that their no-shows suspended online booking, and until
    when: by SMS to their phone, in the inbox (and e-mail) of their own account."""
    locale = to.locale if to else compose.DEFAULT_LOCALE
    texts = compose.render("suspended", locale=locale, name=name, until=partial(fmt, until))
    compose.send("suspended", texts, now=now, to=to, phone=phone)

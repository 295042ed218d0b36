"""Bookings, the people they are for, waitlists and the admin-set booking policy."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.bookings.errors import BookingClosed, NotBookable, NotOpenYet, TooLateToCancel
from app.core.enums import enum_column
from app.core.formatting import short_datetime
from app.core.phones import mask_phone
from app.core.time import local_to_utc, to_local, utcnow
from app.extensions import db
from app.patients.models import Patient
from app.scheduling.models import Audience, Session, SessionStatus, Slot


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"  # by the resident (or the desk) before the cut-off
    STOPPED = "stopped"  # the session was stopped (停诊)
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"
    COMPLETED = "completed"

    @property
    def is_active(self) -> bool:
        return self in ACTIVE_STATUSES


ACTIVE_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
ACTIVE_SQL = "status IN ('confirmed', 'checked_in')"  # as partial indexes say it
# What an idempotency key from outside may be (the API's header, a form's nonce):
# printable ASCII without spaces. The site's own keys hold a space (the waitlist's
# ``waitlist <entry id>``), so that no request can book with one of them first.
KEY_PATTERN = r"^[\x21-\x7e]{1,64}$"


class BookingSource(StrEnum):
    WEB = "web"
    API = "api"
    FRONT_DESK = "front_desk"
    REFERRAL = "referral"  # a township doctor or coordinator, into a referral place


class Booking(db.Model):
    """A patient in a slot."""

    __tablename__ = "bookings"
    __table_args__ = (
        UniqueConstraint("booked_by_id", "idempotency_key"),
        # A queue number is held by at most one active booking of the session: a
        # cancelled place's number is free again for its slot.
        Index(
            "uq_bookings_active_number", "session_id", "queue_number", unique=True,
            sqlite_where=text(ACTIVE_SQL), postgresql_where=text(ACTIVE_SQL),
        ),
        # One active booking per person and session, held by the database. The guard
        # column is the session id while that policy is on and NULL when the admin turns
        # it off (NULLs never collide), so the policy stays a setting.
        Index(
            "uq_bookings_active_person_session", "one_per_session_guard", "person_key",
            unique=True,
            sqlite_where=text(ACTIVE_SQL), postgresql_where=text(ACTIVE_SQL),
        ),
        Index("ix_bookings_account_status", "account_id", "status"),
        Index("ix_bookings_slot_status", "slot_id", "status"),
        Index("ix_bookings_person_status", "person_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    person_key: Mapped[str] = mapped_column(ForeignKey("persons.key"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[BookingSource] = mapped_column(enum_column(BookingSource, "booking_source"))
    # Why a township doctor refers the patient (转诊说明), for the expert's list.
    referral_note: Mapped[str] = mapped_column(String(200), default="", server_default="")
    status: Mapped[BookingStatus] = mapped_column(
        enum_column(BookingStatus, "booking_status"), default=BookingStatus.CONFIRMED
    )
    queue_number: Mapped[int] = mapped_column(Integer)
    one_per_session_guard: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_dt: Mapped[datetime | None]
    checked_in_dt: Mapped[datetime | None]
    # Raised whenever time, place or status changes (the resident's calendar feed).
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    slot: Mapped[Slot] = relationship()
    session: Mapped[Session] = relationship()
    patient: Mapped[Patient] = relationship()
    account: Mapped[User | None] = relationship(foreign_keys=[account_id])
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def booked_by_phone(self) -> str | None:
        return shown_booker(self.source, self.booked_by.phone)


def shown_booker(source: BookingSource, phone: str) -> str | None:
    """Who made a booking, as the person it is for may see it: the account's phone,
    masked; None for a front desk's."""
    return None if source == BookingSource.FRONT_DESK else mask_phone(phone)


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # a freed place is held for this waiter until offer_expires_dt
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


_OPEN_WAIT_SQL = "status IN ('waiting', 'offered')"


class WaitlistEntry(db.Model):
    """A person waiting for a place in a full slot (候补), first come first offered."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index(
            "uq_waitlist_open_person_slot", "slot_id", "person_key", unique=True,
            sqlite_where=text(_OPEN_WAIT_SQL), postgresql_where=text(_OPEN_WAIT_SQL),
        ),
        Index("ix_waitlist_slot_status", "slot_id", "status", "id"),
        Index("ix_waitlist_status_expires", "status", "offer_expires_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    person_key: Mapped[str] = mapped_column(ForeignKey("persons.key"))
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[WaitlistStatus] = mapped_column(
        enum_column(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.WAITING
    )
    offered_dt: Mapped[datetime | None]
    offer_expires_dt: Mapped[datetime | None]
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    slot: Mapped[Slot] = relationship()
    patient: Mapped[Patient] = relationship()


class BookingPolicy(db.Model):
    """The booking rules the admin sets (SPEC §4). A single row, id 1."""

    __tablename__ = "booking_policies"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("release_days >= 0 AND release_minute BETWEEN 0 AND 1439",
                        name="release_sane"),
        CheckConstraint("max_active_per_person >= 1", name="limits_positive"),
        CheckConstraint("(max_per_day IS NULL OR max_per_day >= 1) AND "
                        "(max_per_week IS NULL OR max_per_week >= 1) AND "
                        "(max_per_month IS NULL OR max_per_month >= 1)",
                        name="period_limits_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    release_days: Mapped[int] = mapped_column(Integer, default=7)
    release_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)  # 08:00 local
    booking_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=60)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=120)
    one_per_session: Mapped[bool] = mapped_column(Boolean, default=True)
    max_active_per_person: Mapped[int] = mapped_column(Integer, default=3)
    # Clinic bookings per person whose session falls on one local day, in one week
    # (Monday to Sunday) and in one calendar month; None: no such limit (the default).
    max_per_day: Mapped[int | None] = mapped_column(Integer, default=None)
    max_per_week: Mapped[int | None] = mapped_column(Integer, default=None)
    max_per_month: Mapped[int | None] = mapped_column(Integer, default=None)
    noshow_limit: Mapped[int] = mapped_column(Integer, default=3)
    noshow_window_days: Mapped[int] = mapped_column(Integer, default=90)
    suspension_days: Mapped[int] = mapped_column(Integer, default=30)
    waitlist_offer_minutes: Mapped[int] = mapped_column(Integer, default=30)
    waitlist_auto_confirm: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @classmethod
    def unsaved(cls, values: Mapping[str, Any] | None = None) -> "BookingPolicy":
        """A policy of plain values that no session holds: the saved row's ``values``
        (read along with something else), or the defaults while the admin never saved
        one."""
        if values is None:
            values = {column.key: column.default.arg for column in cls.__table__.columns
                      if column.default is not None and column.default.is_scalar}
        return cls(**values)

    @property
    def period_limits(self) -> dict[str, int]:
        """The limits per person per ``day``, ``week`` and ``month`` that are set."""
        limits = {"day": self.max_per_day, "week": self.max_per_week,
                  "month": self.max_per_month}
        return {period: limit for period, limit in limits.items() if limit}

    # The time rules of SPEC §4 that follow from the policy; refusals say why.

    def slot_times(self, start_dt: datetime) -> "SlotTimes":
        """When a slot starting at ``start_dt`` opens for online booking, and when
        online booking and cancelling close."""
        day = to_local(start_dt).date() - timedelta(days=self.release_days)
        opens = local_to_utc(day, time(self.release_minute // 60, self.release_minute % 60))
        return SlotTimes(
            opens_dt=opens,
            booking_closes_dt=start_dt - timedelta(minutes=self.booking_cutoff_minutes),
            cancel_closes_dt=start_dt - timedelta(minutes=self.cancel_cutoff_minutes),
        )

    def slot_state(self, start_dt: datetime, left: int, *, now: datetime) -> "SlotState":
        """What a resident can do with a slot starting at ``start_dt`` with ``left``
        places, said before they tap (the booking re-checks all of it)."""
        times = self.slot_times(start_dt)
        if now >= times.booking_closes_dt:
            availability = Availability.CLOSED
        elif now < times.opens_dt:
            availability = Availability.NOT_OPEN
        elif left <= 0:
            availability = Availability.FULL
        else:
            availability = Availability.OPEN
        return SlotState(availability, left, times.opens_dt)

    def session_state(self, slots, *, now: datetime) -> "SlotState":
        """A session's state in a list, from its slots' ``(start_dt, places left)``: the
        places of the slots open now (余 N), else a full one's waitlist, else the
        release time, else closed."""
        states = [self.slot_state(start_dt, left, now=now) for start_dt, left in slots]
        open_now = [s for s in states if s.availability == Availability.OPEN]
        if open_now:
            return replace(open_now[0], left=sum(s.left for s in open_now))
        for availability in (Availability.FULL, Availability.NOT_OPEN):
            if found := [s for s in states if s.availability == availability]:
                return found[0]
        return states[-1]

    @staticmethod
    def check_bookable(status: SessionStatus, has_public_slots: bool) -> None:
        """Only a published session with public slots takes bookings."""
        if status == SessionStatus.STOPPED:
            raise NotBookable(_("本场已停诊，不能预约"))
        if status != SessionStatus.PUBLISHED or not has_public_slots:
            raise NotBookable(_("本场不接受预约"))

    @staticmethod
    def check_open_online(audience: Audience) -> None:
        """A lecture or forum for local doctors takes no sign-ups online: their health
        centre's desk books their seats."""
        if audience == Audience.PROFESSIONAL:
            raise NotBookable(_("本场面向医务人员，不在网上报名；请通过所在卫生院报名"))

    def check_online_window(self, start_dt: datetime, *, now: datetime) -> None:
        """Online booking opens ``release_days`` before at the release time and closes
        ``booking_cutoff_minutes`` before the slot starts."""
        times = self.slot_times(start_dt)
        if now < times.opens_dt:
            raise NotOpenYet(_("该时段将于 %(when)s 开放预约", when=short_datetime(times.opens_dt)))
        if now >= times.booking_closes_dt:
            raise BookingClosed(_("该时段网上预约已于 %(when)s 截止，请到现场挂号",
                                  when=short_datetime(times.booking_closes_dt)))

    @staticmethod
    def check_desk_window(end_dt: datetime, *, now: datetime) -> None:
        """The front desk books walk-ins (and cancels for residents) until the slot ends."""
        if now >= end_dt:
            raise BookingClosed(_("该时段已结束"))

    def check_cancel_window(self, start_dt: datetime, *, now: datetime) -> None:
        closes = self.slot_times(start_dt).cancel_closes_dt
        if now >= closes:
            raise TooLateToCancel(
                _("开诊前%(hours)s不能取消或改约（截止时间 %(when)s），如不能前来请联系医院",
                  hours=_duration(self.cancel_cutoff_minutes), when=short_datetime(closes)))


class Availability(StrEnum):
    NOT_OPEN = "not_open"  # online booking opens at the release time (放号)
    OPEN = "open"
    FULL = "full"  # the waitlist is open
    CLOSED = "closed"  # online booking has closed: the desk books until the slot ends


@dataclass(frozen=True)
class SlotState:
    availability: Availability
    left: int
    opens_dt: datetime

    @property
    def bookable(self) -> bool:
        """A booking (or, full, a waitlist place) can be asked for now."""
        return self.availability in (Availability.OPEN, Availability.FULL)


@dataclass(frozen=True)
class SlotTimes:
    """When a slot opens for online booking, when online booking and cancelling close."""

    opens_dt: datetime
    booking_closes_dt: datetime
    cancel_closes_dt: datetime


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        return _("%(n)s小时", n=minutes // 60)
    return _("%(n)s分钟", n=minutes)

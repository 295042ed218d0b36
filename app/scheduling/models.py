"""A session is one scheduled event at a venue; its slots are what residents book."""

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.enums import enum_column
from app.core.formatting import localized
from app.core.time import utcnow
from app.directory.models import Expert, Specialty, Venue
from app.extensions import db


class SessionKind(StrEnum):
    CLINIC = "clinic"  # 坐诊
    WARD_ROUND = "ward_round"  # 查房
    SURGERY = "surgery"  # 手术
    LECTURE = "lecture"  # 医技大讲堂 / 名医讲座
    FORUM = "forum"  # 渌江讲坛
    TEACHING = "teaching"  # 送教

    @property
    def has_public_slots(self) -> bool:
        """Surgeries and ward rounds are scheduled, never booked by the public."""
        return self not in (SessionKind.WARD_ROUND, SessionKind.SURGERY)

    @property
    def is_gathering(self) -> bool:
        """A lecture, forum or teaching visit: called off (取消), where clinical work
        is stopped (停诊)."""
        return self in (SessionKind.LECTURE, SessionKind.FORUM, SessionKind.TEACHING)

    @property
    def counts_toward_limit(self) -> bool:
        """Only a clinic place counts toward a person's limit of active bookings and
        toward a suspension for no-shows: a lecture's or forum's seat does not."""
        return self in COUNTED_KINDS


# The kinds whose bookings count toward a person's limit (SPEC §4: 3 active clinic
# bookings) and whose no-shows count toward a suspension.
COUNTED_KINDS = (SessionKind.CLINIC,)


class SessionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    STOPPED = "stopped"  # 停诊
    COMPLETED = "completed"


# Sessions the public site shows (stopped ones too, so residents see 停诊).
PUBLIC_STATUSES = (SessionStatus.PUBLISHED, SessionStatus.STOPPED, SessionStatus.COMPLETED)


class Audience(StrEnum):
    PUBLIC = "public"
    PROFESSIONAL = "professional"  # local doctors


class Session(db.Model):
    """One scheduled event: a clinic, ward round, surgery, lecture, forum or teaching visit."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="end_after_start"),
        Index("ix_sessions_status_start", "status", "start_dt"),
        Index("ix_sessions_venue_start", "venue_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, "session_kind"))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.DRAFT
    )
    audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, "audience"), default=Audience.PUBLIC
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"), index=True)
    start_dt: Mapped[datetime]
    end_dt: Mapped[datetime]
    stop_reason: Mapped[str] = mapped_column(String(200), default="")
    # The end of the last queue-number range given to a slot, or of the numbers given
    # after them (places added to a slot later): the next range starts after it. 0 until
    # the first booking, which gives the ranges — so 0 also means "never booked".
    last_queue_number: Mapped[int] = mapped_column(Integer, default=0)
    stopped_dt: Mapped[datetime | None]
    # Raised whenever time, place or status changes, so calendar clients take the change.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_series.id", ondelete="SET NULL"), index=True
    )
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)

    venue: Mapped[Venue] = relationship(lazy="joined", innerjoin=True)
    specialty: Mapped[Specialty | None] = relationship(lazy="joined")
    experts: Mapped[list[Expert]] = relationship(
        secondary="session_experts", order_by=Expert.id, lazy="selectin"
    )
    slots: Mapped[list["Slot"]] = relationship(
        back_populates="session", order_by="Slot.start_dt", cascade="all, delete-orphan"
    )

    @property
    def is_published(self) -> bool:
        return self.status == SessionStatus.PUBLISHED

    @property
    def is_stopped(self) -> bool:
        return self.status == SessionStatus.STOPPED

    @property
    def is_public(self) -> bool:
        """Visible on the public site (``PUBLIC_STATUSES``)."""
        return self.status in PUBLIC_STATUSES

    @property
    def display_title(self) -> str:
        return display_title(self.title, [e.name for e in self.experts],
                             self.specialty.name if self.specialty else None)

    @property
    def page_title(self) -> str:
        """The display title in the page's language (the specialty's English name on an
        English page). Messages use ``display_title``: they go out in the recipient's
        language, not the sender's."""
        return display_title(self.title, [e.name for e in self.experts],
                             localized(self.specialty) if self.specialty else None)

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.kind} {self.start_dt:%Y-%m-%d %H:%M}>"


def display_title(title: str | None, expert_names: list[str], specialty: str | None) -> str:
    """A session's own title, else its experts' names and its specialty."""
    if title:
        return title
    names = "、".join(expert_names)
    return f"{names} {specialty}" if specialty else names


class SessionExpert(db.Model):
    __tablename__ = "session_experts"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


def queue_ranges(after: int, capacities: list[int]) -> list[tuple[int, int]]:
    """The queue-number ranges (first number, how many) of slots with these
    capacities, in time order, after number ``after``: a slot owns as many numbers as
    it has places (one at least)."""
    ranges = []
    for capacity in capacities:
        count = max(capacity, 1)
        ranges.append((after + 1, count))
        after += count
    return ranges


def held_for_referrals(reserved: int, referred: int, until: datetime | None, *,
                       now: datetime) -> int:
    """Of ``reserved`` referral places, ``referred`` booked, those still held at ``now``
    (none once ``until`` has come)."""
    if until is None or now >= until:
        return 0
    return max(reserved - referred, 0)


class Places:
    """What a slot's ``capacity`` and ``booked_count`` say, for the model and for plain
    slot facts (app.bookings.queries.SlotFacts); both also carry ``reserved``,
    ``referred_count`` and ``reserved_until`` (the referral places)."""

    @property
    def places_left(self) -> int:
        """Every place not booked, referral places included (what the desk sees)."""
        return self.capacity - self.booked_count

    @property
    def is_full(self) -> bool:
        return self.places_left <= 0

    def held_for_referrals(self, now: datetime) -> int:
        """The referral places (转诊号) still unused and not yet released at ``now``."""
        return held_for_referrals(self.reserved, self.referred_count, self.reserved_until,
                                  now=now)

    def public_left(self, now: datetime) -> int:
        """The places the public may book at ``now`` (余 N): the unbooked ones but the
        referral places held until their release."""
        return max(self.places_left - self.held_for_referrals(now), 0)


class Slot(Places, db.Model):
    """A bookable part of a session with a capacity (a clinic half hour, a hall's seats).

    ``booked_count`` is kept by the booking engine with conditional updates; the
    database refuses any value outside ``0 … capacity``, so no race can overbook.
    """

    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked_count >= 0", name="booked_not_negative"),
        CheckConstraint("booked_count <= capacity", name="booked_within_capacity"),
        CheckConstraint("reserved >= 0 AND reserved <= capacity AND referred_count >= 0 "
                        "AND referred_count <= reserved", name="referrals_within_reserved"),
        CheckConstraint("end_dt > start_dt", name="end_after_start"),
        Index("ix_slots_session_start", "session_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    start_dt: Mapped[datetime]
    end_dt: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    booked_count: Mapped[int] = mapped_column(Integer, default=0)
    # The queue numbers the slot's places own: first_number … first_number + numbers - 1
    # (0, 0: none yet). The session's first booking gives every slot its range in time
    # order (08:00 with 5 places → 1–5, 08:30 → 6–10 …); a slot added later gets one
    # after the session's last (app.bookings.services.engine.next_queue_number).
    first_number: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    numbers: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Referral places (转诊号源): ``reserved`` of the capacity are kept for patients that
    # township doctors and the venue's coordinators refer, until ``reserved_until``;
    # ``referred_count`` of them are booked. Unused ones join the public pool at that
    # time by the clock, inside the update that takes a place (no job runs).
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    referred_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reserved_until: Mapped[datetime | None]

    session: Mapped[Session] = relationship(back_populates="slots")

    @classmethod
    def has_public_place(cls, now) -> ColumnElement[bool]:
        """A condition: the slot has a place the public may book at ``now`` (a
        datetime or a bound parameter) — SQL's ``public_left(now) > 0``."""
        return and_(cls.booked_count < cls.capacity,
                    or_(cls.reserved_until.is_(None), cls.reserved_until <= now,
                        cls.booked_count - cls.referred_count < cls.capacity - cls.reserved))


class SessionSeries(db.Model):
    """A recurring plan (every Tuesday morning at 浦口镇卫生院 for 3 months …) that
    generates sessions. ``rule`` is an RFC 5545 RRULE; dates are local."""

    __tablename__ = "session_series"
    __table_args__ = (CheckConstraint("end_time > start_time", name="end_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, "series_kind"))
    audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, "series_audience"), default=Audience.PUBLIC
    )
    title: Mapped[str] = mapped_column(String(120), default="")
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialties.id"))
    expert_ids: Mapped[list] = mapped_column(JSON, default=list)
    rule: Mapped[str] = mapped_column(String(300))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    per_slot: Mapped[int | None] = mapped_column(Integer)
    seats: Mapped[int | None] = mapped_column(Integer)
    skip_holidays: Mapped[bool] = mapped_column(Boolean, default=True)
    # Per-date overrides: {"2026-12-08": "skip" | "hold"}; "hold" keeps a holiday date.
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)

    venue: Mapped[Venue] = relationship()


class ExpertBusy(db.Model):
    """Time an expert is busy elsewhere (uploaded from their own calendar); counts in
    conflict checks like a session does."""

    __tablename__ = "expert_busy"
    __table_args__ = (
        CheckConstraint("end_dt > start_dt", name="end_after_start"),
        Index("ix_expert_busy_expert_start", "expert_id", "start_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"))
    start_dt: Mapped[datetime]
    end_dt: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(200), default="")
    uid: Mapped[str] = mapped_column(String(255), default="")
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)


class ProposalStatus(StrEnum):
    OPEN = "open"  # waiting for a coordinator
    PLANNED = "planned"  # turned into a session or a series
    WITHDRAWN = "withdrawn"  # by the expert or their assistant
    DECLINED = "declined"  # by a coordinator, with an answer the expert reads


class HalfDay(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"


class Proposal(db.Model):
    """An expert's (or their assistant's) offer of time: these weekdays' mornings or
    afternoons from ``first_day`` to ``last_day`` (one day when they are equal), at the
    preferred townships (none: anywhere). A coordinator turns it into a session or a
    series in one step (app.scheduling.proposals)."""

    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint("last_day >= first_day", name="days_in_order"),
        Index("ix_proposals_status_first_day", "status", "first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"),
                                           index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[list] = mapped_column(JSON, default=list)  # 0 = Monday … 6 = Sunday
    half: Mapped[HalfDay] = mapped_column(enum_column(HalfDay, "half_day"))
    township_ids: Mapped[list] = mapped_column(JSON, default=list)  # preferred; [] = any
    note: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "proposal_status"), default=ProposalStatus.OPEN)
    answer: Mapped[str] = mapped_column(String(200), default="", server_default="")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id",
                                                              ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("session_series.id",
                                                             ondelete="SET NULL"))
    planned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)

    expert: Mapped[Expert] = relationship()

    @property
    def one_day(self) -> bool:
        return self.first_day == self.last_day


# What a held session achieved beyond its bookings, by kind (app.console.outcomes):
# operations done, ward-round patients seen, people who came to a lecture, forum or
# teaching visit without booking (booked attendees are the check-ins).
OUTCOME_KINDS = (SessionKind.SURGERY, SessionKind.WARD_ROUND, SessionKind.LECTURE,
                 SessionKind.FORUM, SessionKind.TEACHING)


class SessionOutcome(db.Model):
    """The recorded outcome of one held session (``OUTCOME_KINDS``): one count whose
    meaning follows the session's kind."""

    __tablename__ = "session_outcomes"
    __table_args__ = (CheckConstraint("count BETWEEN 0 AND 100000", name="count_sane"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)


class ProgrammeSettings(db.Model):
    """The programme office's settings for its statistics: a single row, id 1."""

    __tablename__ = "programme_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),
                      CheckConstraint("saving_per_visit >= 0", name="saving_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    # Yuan a resident saves per clinic visit at home instead of travelling to Changsha
    # (fares, a day's wages, the provincial registration fee): the statistics multiply.
    saving_per_visit: Mapped[int] = mapped_column(Integer, default=0)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProgrammeYear(db.Model):
    """A year of the programme before this system kept it, as the office's reports
    give it (programme-wide totals), so that the cumulative figures match them."""

    __tablename__ = "programme_years"
    __table_args__ = (
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_sane"),
        CheckConstraint("clinic_sessions >= 0 AND clinic_visits >= 0 AND surgeries >= 0 "
                        "AND lectures_forums >= 0 AND attendance >= 0 AND savings >= 0",
                        name="not_negative"),
    )

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    clinic_sessions: Mapped[int] = mapped_column(Integer, default=0)
    clinic_visits: Mapped[int] = mapped_column(Integer, default=0)
    surgeries: Mapped[int] = mapped_column(Integer, default=0)
    lectures_forums: Mapped[int] = mapped_column(Integer, default=0)
    attendance: Mapped[int] = mapped_column(Integer, default=0)
    savings: Mapped[int] = mapped_column(Integer, default=0)  # yuan
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

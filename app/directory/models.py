"""Institutions experts come from, the townships and venues they come back to."""

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core.enums import enum_column
from app.extensions import db


class TownshipKind(StrEnum):
    TOWN = "town"  # 镇
    STREET = "street"  # 街道


class Township(db.Model):
    """A town or street (乡镇/街道) of the county."""

    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[TownshipKind] = mapped_column(enum_column(TownshipKind, "township_kind"))
    # False: retired by the programme office — out of lists and new plans; past
    # sessions keep it (app.admin.directory.set_enabled).
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    def __repr__(self) -> str:
        return f"<Township {self.name}>"


class TravelTime(db.Model):
    """Minutes by road between two townships' seats, as the programme office keeps them
    (one row per pair, the smaller township id first). Pairs not in the table take the
    ``TRAVEL_MINUTES`` setting (app.scheduling.conflicts.TravelTimes)."""

    __tablename__ = "travel_times"
    __table_args__ = (
        CheckConstraint("from_township_id < to_township_id", name="ordered_pair"),
        CheckConstraint("minutes BETWEEN 1 AND 600", name="minutes_sane"),
    )

    from_township_id: Mapped[int] = mapped_column(
        ForeignKey("townships.id", ondelete="CASCADE"), primary_key=True)
    to_township_id: Mapped[int] = mapped_column(
        ForeignKey("townships.id", ondelete="CASCADE"), primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer)


class InstitutionKind(StrEnum):
    HOSPITAL = "hospital"
    UNIVERSITY = "university"


class Institution(db.Model):
    """Where an expert works (中南大学湘雅医院 …)."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(160), default="", server_default="")
    kind: Mapped[InstitutionKind] = mapped_column(
        enum_column(InstitutionKind, "institution_kind")
    )
    city: Mapped[str] = mapped_column(String(40), default="长沙")
    # False: retired by the programme office — out of lists and new plans; past
    # sessions keep it (app.admin.directory.set_enabled).
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class VenueKind(StrEnum):
    CITY_HOSPITAL = "city_hospital"
    TOWNSHIP_CENTRE = "township_centre"
    LECTURE_HALL = "lecture_hall"


class Venue(db.Model):
    """Where sessions take place: a city hospital, a township health centre, a hall."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[VenueKind] = mapped_column(enum_column(VenueKind, "venue_kind"))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    directions: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # False: retired by the programme office — out of lists and new plans; past
    # sessions keep it (app.admin.directory.set_enabled).
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    township: Mapped[Township] = relationship(lazy="joined", innerjoin=True)
    coordinators: Mapped[list[User]] = relationship(secondary="venue_coordinators")


class VenueCoordinator(db.Model):
    """A coordinator (排班员) plans the sessions of the venues they are assigned to."""

    __tablename__ = "venue_coordinators"

    venue_id: Mapped[int] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class InstitutionAdmin(db.Model):
    """An institution admin (医院管理员) keeps the profiles of their institution's experts."""

    __tablename__ = "institution_admins"

    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TownshipDoctor(db.Model):
    """A township doctor (乡镇医生) works at one township health centre: they refer its
    patients to reserved places at the venues of its township."""

    __tablename__ = "township_doctors"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)

    venue: Mapped[Venue] = relationship(lazy="joined", innerjoin=True)


class Specialty(db.Model):
    """A department or specialty (心血管内科 …); clinics are found by it."""

    __tablename__ = "specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # False: retired by the programme office — out of lists and new plans; past
    # sessions keep it (app.admin.directory.set_enabled).
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Expert(db.Model):
    """An expert born in the county who comes home part-time."""

    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(40))  # 主任医师, 教授 …
    title_en: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # 擅长: what patients look for on a doctor card, "、"-separated.
    expertise: Mapped[str] = mapped_column(String(200), default="", server_default="")
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialties.id"), index=True)
    department: Mapped[str] = mapped_column(String(60), default="")
    native_township_id: Mapped[int | None] = mapped_column(
        ForeignKey("townships.id"), index=True
    )
    bio: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    institution: Mapped[Institution] = relationship(lazy="joined", innerjoin=True)
    specialty: Mapped[Specialty] = relationship(lazy="joined", innerjoin=True)
    native_township: Mapped[Township | None] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    assistants: Mapped[list[User]] = relationship(secondary="expert_assistants")
    # The photo's version when there is one (ExpertPhoto); its address carries it, so a
    # new photo is never hidden by a cached old one.
    photo_version: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<Expert {self.id} {self.name}>"


class ExpertAssistant(db.Model):
    """An assistant (助手) manages the schedule of the experts assigned to them."""

    __tablename__ = "expert_assistants"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ExpertPhoto(db.Model):
    """An expert's photo as the site re-encoded it (JPEG, 240 px square, ≤ 15 KB): the
    uploaded file itself is never kept or served (app.admin.photos)."""

    __tablename__ = "expert_photos"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)

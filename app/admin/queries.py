"""What the staff-accounts page reads."""

from dataclasses import dataclass

from sqlalchemy import select

from app.auth.labels import STAFF_ROLES
from app.auth.models import User, UserRole
from app.directory.models import (
    Expert,
    ExpertAssistant,
    Institution,
    InstitutionAdmin,
    TownshipDoctor,
    Venue,
    VenueCoordinator,
    VenueKind,
)
from app.extensions import db


@dataclass(frozen=True)
class StaffRow:
    user: User
    venues: list[str]
    experts: list[str]  # assisted experts, or the expert themself
    institutions: list[str]  # an institution admin's
    centre: str  # a township doctor's health centre, or ""


def staff() -> list[StaffRow]:
    """Every account holding a staff role, with what it is assigned to, by id."""
    users = db.session.scalars(
        select(User).where(User.id.in_(
            select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES))
        )).order_by(User.id)
    ).all()
    ids = [u.id for u in users]
    venues: dict[int, list[str]] = {}
    for user_id, name in db.session.execute(
        select(VenueCoordinator.user_id, Venue.name).join(Venue)
        .where(VenueCoordinator.user_id.in_(ids)).order_by(Venue.id)
    ):
        venues.setdefault(user_id, []).append(name)
    experts: dict[int, list[str]] = {}
    for user_id, name in db.session.execute(
        select(ExpertAssistant.user_id, Expert.name).join(Expert)
        .where(ExpertAssistant.user_id.in_(ids)).order_by(Expert.id)
    ):
        experts.setdefault(user_id, []).append(name)
    for user_id, name in db.session.execute(
        select(Expert.user_id, Expert.name).where(Expert.user_id.in_(ids))
    ):
        experts.setdefault(user_id, []).append(name)
    institutions: dict[int, list[str]] = {}
    for user_id, name in db.session.execute(
        select(InstitutionAdmin.user_id, Institution.name).join(Institution)
        .where(InstitutionAdmin.user_id.in_(ids)).order_by(Institution.id)
    ):
        institutions.setdefault(user_id, []).append(name)
    centres = dict(db.session.execute(
        select(TownshipDoctor.user_id, Venue.name).join(Venue)
        .where(TownshipDoctor.user_id.in_(ids))
    ).all())
    return [StaffRow(u, venues.get(u.id, []), experts.get(u.id, []),
                     institutions.get(u.id, []), centres.get(u.id, "")) for u in users]


def venue_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(select(Venue.id, Venue.name).where(Venue.is_enabled)
                                   .order_by(Venue.id)))


def institution_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(select(Institution.id, Institution.name)
                                   .where(Institution.is_enabled).order_by(Institution.id)))


def centre_choices() -> list[tuple[int, str]]:
    """The township health centres a township doctor may work at."""
    return list(db.session.execute(
        select(Venue.id, Venue.name)
        .where(Venue.is_enabled, Venue.kind == VenueKind.TOWNSHIP_CENTRE).order_by(Venue.id)))


def expert_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Expert).where(Expert.is_enabled).order_by(Expert.id))
    return [(e.id, f"{e.name}（{e.institution.name} {e.department or e.specialty.name}）")
            for e in rows]

"""What the staff-accounts page reads."""

from dataclasses import dataclass

from sqlalchemy import select

from app.auth.labels import STAFF_ROLES
from app.auth.models import User, UserRole
from app.directory.models import Expert, ExpertAssistant, Venue, VenueCoordinator
from app.extensions import db


@dataclass(frozen=True)
class StaffRow:
    user: User
    venues: list[str]
    experts: list[str]  # assisted experts, or the expert themself


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
    return [StaffRow(u, venues.get(u.id, []), experts.get(u.id, [])) for u in users]


def venue_choices() -> list[tuple[int, str]]:
    return list(db.session.execute(select(Venue.id, Venue.name).where(Venue.is_enabled)
                                   .order_by(Venue.id)))


def expert_choices() -> list[tuple[int, str]]:
    rows = db.session.scalars(select(Expert).where(Expert.is_enabled).order_by(Expert.id))
    return [(e.id, f"{e.name}（{e.institution.name} {e.department or e.specialty.name}）")
            for e in rows]

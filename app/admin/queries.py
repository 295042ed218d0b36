"""What the staff-accounts page reads."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from app.auth.labels import STAFF_ROLES
from app.auth.models import Role, User, UserRole
from app.directory.models import (
    Expert,
    ExpertAssistant,
    Institution,
    InstitutionAdmin,
    Specialty,
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


PER_PAGE = 50


def staff(*, q: str = "", role: Role | None = None, page: int = 1):
    """A page of the accounts holding a staff role (``role``, if given) whose name or
    mobile number contains ``q``, by id: the rows, each with what it is assigned to, and
    Flask-SQLAlchemy's pagination (for the pager)."""
    roles = [role] if role in STAFF_ROLES else list(STAFF_ROLES)
    query = select(User).where(User.id.in_(
        select(UserRole.user_id).where(UserRole.role.in_(roles)))).order_by(User.id)
    if q:
        query = query.where(User.name.contains(q, autoescape=True)
                            | User.phone.contains(q, autoescape=True))
    found = db.paginate(query, page=page, per_page=PER_PAGE, error_out=False)
    return _staff_rows(found.items), found


def _staff_rows(users: list[User]) -> list[StaffRow]:
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


class Assignments(NamedTuple):
    """A staff account's staff roles and what each is assigned to."""
    roles: set[Role]
    venue_ids: set[int]
    expert_ids: set[int]  # assisted experts, or the expert themself
    institution_id: int | None
    centre_id: int | None


def assignments(user: User) -> Assignments:
    return Assignments(
        user.roles & set(STAFF_ROLES),
        set(db.session.scalars(
            select(VenueCoordinator.venue_id).where(VenueCoordinator.user_id == user.id))),
        set(db.session.scalars(
            select(ExpertAssistant.expert_id).where(ExpertAssistant.user_id == user.id)))
        | set(db.session.scalars(select(Expert.id).where(Expert.user_id == user.id))),
        db.session.scalar(select(InstitutionAdmin.institution_id)
                          .where(InstitutionAdmin.user_id == user.id)),
        db.session.scalar(select(TownshipDoctor.venue_id)
                          .where(TownshipDoctor.user_id == user.id)),
    )


# The choices offer enabled entries, and ``also`` those (retired since) an account
# being changed is assigned to, so that keeping them is not refused.

def venue_choices(also: Iterable[int] = ()) -> list[tuple[int, str]]:
    return list(db.session.execute(
        select(Venue.id, Venue.name).where(Venue.is_enabled | Venue.id.in_(list(also)))
        .order_by(Venue.id)))


def institution_choices(also: Iterable[int] = ()) -> list[tuple[int, str]]:
    return list(db.session.execute(
        select(Institution.id, Institution.name)
        .where(Institution.is_enabled | Institution.id.in_(list(also)))
        .order_by(Institution.id)))


def centre_choices(also: Iterable[int] = ()) -> list[tuple[int, str]]:
    """The township health centres a township doctor may work at."""
    return list(db.session.execute(
        select(Venue.id, Venue.name)
        .where(Venue.is_enabled | Venue.id.in_(list(also)),
               Venue.kind == VenueKind.TOWNSHIP_CENTRE).order_by(Venue.id)))


def expert_choices(also: Iterable[int] = ()) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(Expert.id, Expert.name, Institution.name, Expert.department, Specialty.name)
        .join(Institution, Expert.institution_id == Institution.id)
        .join(Specialty, Expert.specialty_id == Specialty.id)
        .where(Expert.is_enabled | Expert.id.in_(list(also))).order_by(Expert.id))
    return [(expert_id, f"{name}（{institution} {department or specialty}）")
            for expert_id, name, institution, department, specialty in rows]

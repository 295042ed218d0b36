"""Who may see and who may run a session (SPEC §2), as plain queries.

- an admin runs every session;
- a coordinator runs the sessions at the venues they coordinate;
- an assistant runs the sessions of the experts they assist;
- an expert sees their own sessions and patient lists but changes nothing.

What staff are shown of a booked patient (README, "Who sees what"): ``patient_view_for``.

Planning a new session: an admin anywhere with anyone, a coordinator at their venues
with any expert, an assistant anywhere with their experts only.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.bookings.models import Booking
from app.core.phones import mask_phone
from app.core.time import local_day_bounds
from app.directory.models import Expert, ExpertAssistant, Venue, VenueCoordinator
from app.extensions import db
from app.notifications.models import Message
from app.patients.models import Patient
from app.scheduling.models import Session, SessionExpert

STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.ASSISTANT, Role.EXPERT)
MANAGER_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.ASSISTANT)


def _coordinated_venues(user_id: int) -> Select:
    return select(VenueCoordinator.venue_id).where(VenueCoordinator.user_id == user_id)


def _assisted_experts(user_id: int) -> Select:
    return select(ExpertAssistant.expert_id).where(ExpertAssistant.user_id == user_id)


def _own_experts(user_id: int) -> Select:
    return select(Expert.id).where(Expert.user_id == user_id)


def _with_expert_in(expert_ids: Select) -> ColumnElement[bool]:
    return (
        select(SessionExpert.session_id)
        .where(SessionExpert.session_id == Session.id, SessionExpert.expert_id.in_(expert_ids))
        .exists()
    )


def manage_clause(user: User) -> ColumnElement[bool]:
    """A condition on Session: the sessions ``user`` may change."""
    roles = user.roles
    if Role.ADMIN in roles:
        return true()
    clauses = []
    if Role.COORDINATOR in roles:
        clauses.append(Session.venue_id.in_(_coordinated_venues(user.id)))
    if Role.ASSISTANT in roles:
        clauses.append(_with_expert_in(_assisted_experts(user.id)))
    return or_(false(), *clauses)


def view_clause(user: User) -> ColumnElement[bool]:
    """A condition on Session: the sessions ``user`` may see in the console."""
    clause = manage_clause(user)
    if Role.EXPERT in user.roles:
        clause = or_(clause, _with_expert_in(_own_experts(user.id)))
    return clause


def _allowed(user: User, session: Session, clause: ColumnElement[bool]) -> bool:
    if not user.is_authenticated or not any(user.has_role(r) for r in STAFF_ROLES):
        return False  # residents and visitors, without a query
    return db.session.scalar(
        select(Session.id).where(Session.id == session.id, clause)
    ) is not None


def can_manage(user: User, session: Session) -> bool:
    """Check-in, no-shows, the front desk, cancelling, publishing and stopping."""
    return _allowed(user, session, manage_clause(user))


def can_view(user: User, session: Session) -> bool:
    """The console page of the session with its patient list (see ``patient_view_for``)."""
    return _allowed(user, session, view_clause(user))


@dataclass(frozen=True)
class ShownPatient:
    """A booked patient as one staff member is shown them."""

    id: int
    name: str
    phone: str
    id_number: str


@dataclass(frozen=True)
class PatientView:
    """How one staff member is shown the patients of one session: the name whole, the
    ID number always masked (the full number appears only in its owner's edit form),
    the phone whole or masked as ``patient_view_for`` decided."""

    full_phone: bool

    def show(self, patient: Patient) -> ShownPatient:
        phone = patient.phone if self.full_phone else mask_phone(patient.phone)
        return ShownPatient(id=patient.id, name=patient.name, phone=phone,
                            id_number=patient.id_number_masked)


def patient_view_for(user: User, session: Session) -> PatientView:
    """The one rule for the console page, the printed slip and the API's patient list.

    The role through which ``user`` sees ``session`` decides: whoever runs it — an
    admin, a coordinator of its venue, an assistant of one of its experts — calls its
    patients and sees their phones whole; an expert who only sees their own list sees
    them masked. An expert who also coordinates this venue runs the session, so sees
    them whole here and masked at another venue's session of theirs."""
    return PatientView(full_phone=can_manage(user, session))


def console_sessions(user: User, *, first: date, last: date) -> list[Session]:
    """The sessions ``user`` may see on local days ``first`` … ``last``, in time order,
    whatever their status (drafts and stopped sessions included)."""
    start_dt, end_dt = local_day_bounds(first, last)
    return db.session.scalars(
        select(Session)
        .where(view_clause(user), Session.start_dt >= start_dt, Session.start_dt < end_dt)
        .order_by(Session.start_dt, Session.id)
        .options(selectinload(Session.experts))
    ).all()


def may_plan(user: User) -> bool:
    return any(user.has_role(role) for role in MANAGER_ROLES)


def planning_venues(user: User) -> list[Venue]:
    """The venues ``user`` may plan a session at (not retired ones)."""
    query = select(Venue).where(Venue.is_enabled).order_by(Venue.id)
    if not (user.has_role(Role.ADMIN) or user.has_role(Role.ASSISTANT)):
        query = query.where(Venue.id.in_(_coordinated_venues(user.id)))
    return db.session.scalars(query).all()


def planning_experts(user: User) -> list[Expert]:
    """The experts ``user`` may plan a session for."""
    query = select(Expert).where(Expert.is_enabled).order_by(Expert.id)
    if not (user.has_role(Role.ADMIN) or user.has_role(Role.COORDINATOR)):
        query = query.where(Expert.id.in_(_assisted_experts(user.id)))
    return db.session.scalars(query).all()


def can_plan(user: User, venue_id: int, expert_ids: list[int]) -> bool:
    """Whether ``user`` may plan a session of these experts at this venue."""
    if user.has_role(Role.ADMIN):
        return True
    if user.has_role(Role.COORDINATOR) and db.session.scalar(
        _coordinated_venues(user.id).where(VenueCoordinator.venue_id == venue_id)
    ) is not None:
        return True
    if user.has_role(Role.ASSISTANT) and expert_ids:
        assisted = set(db.session.scalars(_assisted_experts(user.id)).all())
        return set(expert_ids) <= assisted
    return False


def can_see_circuit(user: User, expert_id: int) -> bool:
    """An expert's circuit: admins and coordinators (who plan with any expert), the
    expert's assistants and the expert."""
    if user.has_role(Role.ADMIN) or user.has_role(Role.COORDINATOR):
        return True
    return db.session.scalar(
        select(Expert.id).where(Expert.id == expert_id, or_(
            Expert.id.in_(_own_experts(user.id)), Expert.id.in_(_assisted_experts(user.id))))
    ) is not None


def import_venues(user: User) -> list[Venue]:
    """The venues ``user`` may import a schedule into: an admin's every venue, a
    coordinator's own (not retired ones)."""
    query = select(Venue).where(Venue.is_enabled).order_by(Venue.id)
    if not user.has_role(Role.ADMIN):
        query = query.where(Venue.id.in_(_coordinated_venues(user.id)))
    return db.session.scalars(query).all()


def busy_experts(user: User) -> list[Expert]:
    """The experts whose busy times ``user`` may upload: an admin's every expert, an
    expert's own, an assistant's experts."""
    query = select(Expert).order_by(Expert.id)
    if not user.has_role(Role.ADMIN):
        query = query.where(or_(Expert.id.in_(_own_experts(user.id)),
                                Expert.id.in_(_assisted_experts(user.id))))
    return db.session.scalars(query).all()


def message_clause(user: User) -> ColumnElement[bool]:
    """A condition on Message: the outbox rows ``user`` may see in the delivery log. An
    admin sees every row, a coordinator the messages about bookings at their venues
    (messages about no booking, such as verification codes, are the admin's only)."""
    if Role.ADMIN in user.roles:
        return true()
    if Role.COORDINATOR in user.roles:
        return Message.booking_id.in_(
            select(Booking.id).join(Session, Session.id == Booking.session_id)
            .where(Session.venue_id.in_(_coordinated_venues(user.id)))
        )
    return false()

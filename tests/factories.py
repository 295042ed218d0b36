"""``create_x(**overrides)`` factories: the smallest valid row, flushed, with sane defaults."""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import count

from app.auth.models import Role, User, UserRole
from app.auth.passwords import hash_password
from app.core.time import local_to_utc
from app.directory.models import (
    Expert,
    ExpertAssistant,
    Institution,
    InstitutionAdmin,
    InstitutionKind,
    Specialty,
    Township,
    TownshipDoctor,
    TownshipKind,
    Venue,
    VenueCoordinator,
    VenueKind,
)
from app.extensions import db
from app.patients import idnumbers
from app.patients.models import Patient, Relation
from app.scheduling.models import Session, SessionKind, SessionStatus, Slot

_seq = count(1)

# A fixed "now" for tests: Tuesday 1 December 2026, 09:00 in Liling.
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)


def _n() -> int:
    return next(_seq)


def _save(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def create_township(**kw) -> Township:
    kw.setdefault("name", f"测试{_n()}镇")
    kw.setdefault("kind", TownshipKind.TOWN)
    return _save(Township(**kw))


def create_institution(**kw) -> Institution:
    kw.setdefault("name", f"测试医院{_n()}")
    kw.setdefault("kind", InstitutionKind.HOSPITAL)
    return _save(Institution(**kw))


def create_specialty(**kw) -> Specialty:
    kw.setdefault("name", f"测试科{_n()}")
    return _save(Specialty(**kw))


def create_venue(**kw) -> Venue:
    if "township" not in kw and "township_id" not in kw:
        kw["township"] = create_township()
    kw.setdefault("name", f"测试卫生院{_n()}")
    kw.setdefault("kind", VenueKind.TOWNSHIP_CENTRE)
    return _save(Venue(**kw))


def create_expert(**kw) -> Expert:
    if "institution" not in kw and "institution_id" not in kw:
        kw["institution"] = create_institution()
    if "specialty" not in kw and "specialty_id" not in kw:
        kw["specialty"] = create_specialty()
    kw.setdefault("name", f"专家{_n()}")
    kw.setdefault("title", "主任医师")
    return _save(Expert(**kw))


def create_session(*, day: date = TODAY, start: time = time(8, 0), hours: float = 3.5,
                   slots: int = 7, capacity: int = 5, experts=None, **kw) -> Session:
    """A published clinic on ``day`` (local) with ``slots`` slots of ``capacity``."""
    if "venue" not in kw and "venue_id" not in kw:
        kw["venue"] = create_venue()
    experts = experts if experts is not None else [create_expert()]
    kw.setdefault("kind", SessionKind.CLINIC)
    kw.setdefault("status", SessionStatus.PUBLISHED)
    if "specialty" not in kw and "specialty_id" not in kw and experts:
        kw["specialty"] = experts[0].specialty
    start_dt = local_to_utc(day, start)
    end_dt = start_dt + timedelta(hours=hours)
    session = Session(start_dt=start_dt, end_dt=end_dt, experts=list(experts), **kw)
    if slots:
        step = (end_dt - start_dt) / slots
        session.slots = [
            Slot(start_dt=start_dt + i * step, end_dt=start_dt + (i + 1) * step,
                 capacity=capacity)
            for i in range(slots)
        ]
    return _save(session)


@cache
def _password_hash(password: str) -> str:
    """Argon2 is slow on purpose; tests hash each distinct password once."""
    return hash_password(password)


def create_user(*, roles=(Role.RESIDENT,), password: str | None = None, **kw) -> User:
    """An account; it can log in only when given a ``password``."""
    kw.setdefault("phone", f"139{_n():08d}")
    kw.setdefault("name", "测试用户")
    kw.setdefault("password_hash", _password_hash(password) if password else "not-a-real-hash")
    user = User(**kw)
    user.role_rows = [UserRole(role=r) for r in roles]
    return _save(user)


def make_id_number(birth: date = date(1956, 3, 7), seq: int = 123) -> str:
    return idnumbers.with_check_digit(f"430281{birth:%Y%m%d}{seq:03d}")


def create_patient(*, id_number: str | None = None, **kw) -> Patient:
    if "account" not in kw and "account_id" not in kw:
        kw["account"] = create_user()
    kw.setdefault("name", "李秀英")
    kw.setdefault("relation", Relation.SELF)
    kw.setdefault("phone", "13900000009")
    patient = Patient(**kw)
    # A person of their own unless told (one ID number is one account's holder at most),
    # born before 1955, so never one of the tests' own ``make_id_number`` people.
    default = make_id_number(birth=date(1930, 1, 1) + timedelta(days=_n() % 9000), seq=999)
    patient.set_id_number(idnumbers.parse(id_number or default))
    return _save(patient)


def create_policy(**kw):
    """Save the booking policy row with ``kw`` changed from the defaults."""
    from app.bookings.services.policy import current_policy

    policy = current_policy()
    for key, value in kw.items():
        setattr(policy, key, value)
    return _save(policy)


def create_coordinator(*venues: Venue, **kw) -> User:
    """A coordinator (排班员) of ``venues``."""
    user = create_user(roles=(Role.COORDINATOR,), **kw)
    for venue in venues:
        _save(VenueCoordinator(venue_id=venue.id, user_id=user.id))
    return user


def create_assistant(*experts: Expert, **kw) -> User:
    """An assistant (助手) of ``experts``."""
    user = create_user(roles=(Role.ASSISTANT,), **kw)
    for expert in experts:
        _save(ExpertAssistant(expert_id=expert.id, user_id=user.id))
    return user


def create_expert_user(expert: Expert, **kw) -> User:
    """The account an expert logs in with."""
    user = create_user(roles=(Role.EXPERT,), **kw)
    expert.user_id = user.id
    _save(expert)
    return user


def create_institution_admin(institution: Institution, **kw) -> User:
    """An institution admin (医院管理员) of ``institution``."""
    user = create_user(roles=(Role.INSTITUTION_ADMIN,), **kw)
    _save(InstitutionAdmin(institution_id=institution.id, user_id=user.id))
    return user


def create_township_doctor(centre: Venue, **kw) -> User:
    """A township doctor (乡镇医生) of the health centre ``centre``."""
    user = create_user(roles=(Role.TOWNSHIP_DOCTOR,), **kw)
    _save(TownshipDoctor(venue_id=centre.id, user_id=user.id))
    return user


def create_admin(**kw) -> User:
    return create_user(roles=(Role.ADMIN,), **kw)


def book_slot(slot_id: int, patient: Patient, *, by, now: datetime = NOW, **kw):
    """A booking made by the engine (``engine.book``), as its model; not committed."""
    from app.bookings.models import Booking
    from app.bookings.services import engine

    return db.session.get(Booking, engine.book(slot_id, patient, by=by, now=now, **kw).id)

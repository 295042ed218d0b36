"""The directory kept by the programme office: townships, institutions, specialties,
venues and experts are created, edited, retired and restored here, each change in the
audit log of the same unit of work. Services flush; the caller commits.

Retiring (``is_enabled = False``) keeps history — past sessions keep their expert and
venue — and takes the thing out of lists and new plans. It is refused while the thing
has published sessions still to come.

Who keeps what: an admin keeps everything; an institution admin (医院管理员) keeps the
experts of their own institution — creates, edits, retires them, gives them a photo —
and nothing else (``kept_institutions``, ``check_keeper``).
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from app.auth.models import Role, User
from app.core import audit
from app.core.errors import Conflict, DomainError, NotFound
from app.directory.models import (
    Expert,
    Institution,
    InstitutionAdmin,
    Specialty,
    Township,
    Venue,
)
from app.extensions import db
from app.scheduling.models import Session, SessionExpert, SessionStatus

# What the office may set on each kind (the forms and the API carry the same names).
FIELDS = {
    Township: ("name", "kind"),
    Institution: ("name", "name_en", "kind", "city"),
    Specialty: ("name", "name_en"),
    Venue: ("name", "kind", "township_id", "address", "phone", "directions"),
    Expert: ("name", "title", "title_en", "institution_id", "specialty_id", "department",
             "native_township_id", "expertise", "bio"),
}
# What each kind's name must not share with another of its kind (experts may share one).
UNIQUE_NAMES = (Township, Institution, Specialty, Venue)
# The other rows a kind refers to, which must exist and not be retired.
REFERENCES = {"township_id": Township, "institution_id": Institution,
              "specialty_id": Specialty, "native_township_id": Township}


def save(model, values: dict, *, thing=None, by_id: int | None, now: datetime):
    """Create a ``model`` row from ``values`` (``thing`` None) or change ``thing``;
    only the kind's FIELDS are taken. Refuses a name its kind already has and a
    reference to a missing or retired row."""
    values = {k: v for k, v in values.items() if k in FIELDS[model]}
    _check_name(model, values.get("name"), thing)
    _check_references(values, thing)
    if thing is None:
        thing = model(**values)
        db.session.add(thing)
        db.session.flush()
        audit.record(f"{model.__tablename__}.create", thing, actor_id=by_id, now=now,
                     after=_plain(values))
        return thing
    before = {k: getattr(thing, k) for k in values if getattr(thing, k) != values[k]}
    if before:
        for key in before:
            setattr(thing, key, values[key])
        db.session.flush()
        audit.record(f"{model.__tablename__}.update", thing, actor_id=by_id, now=now,
                     before=_plain(before), after=_plain({k: values[k] for k in before}))
    return thing


def set_enabled(thing, enabled: bool, *, by_id: int | None, now: datetime) -> None:
    """Retire (False) or restore (True) ``thing``. Retiring is refused while it has
    published sessions still to come."""
    if thing.is_enabled == enabled:
        return
    if not enabled and (count := upcoming_sessions(thing, now=now)):
        raise Conflict(_("还有 %(n)s 场已发布、尚未开始的场次用到它，请先停诊或改到别处，再停用",
                         n=count), code="in_use")
    thing.is_enabled = enabled
    db.session.flush()
    audit.record(f"{thing.__tablename__}.{'restore' if enabled else 'retire'}", thing,
                 actor_id=by_id, now=now, before={"is_enabled": not enabled},
                 after={"is_enabled": enabled})


def upcoming_sessions(thing, *, now: datetime) -> int:
    """How many published sessions still to come use ``thing``."""
    query = select(func.count(Session.id)).where(Session.status == SessionStatus.PUBLISHED,
                                     Session.start_dt > now)
    if isinstance(thing, Township):
        query = query.join(Venue, Venue.id == Session.venue_id).where(
            Venue.township_id == thing.id)
    elif isinstance(thing, Venue):
        query = query.where(Session.venue_id == thing.id)
    elif isinstance(thing, Specialty):
        query = query.where(Session.specialty_id == thing.id)
    elif isinstance(thing, Expert):
        query = query.where(Session.id.in_(
            select(SessionExpert.session_id).where(SessionExpert.expert_id == thing.id)))
    elif isinstance(thing, Institution):
        query = query.where(Session.id.in_(
            select(SessionExpert.session_id).join(Expert, Expert.id == SessionExpert.expert_id)
            .where(Expert.institution_id == thing.id)))
    return db.session.scalar(query)


def kept_institutions(user: User) -> set[int] | None:
    """The institutions whose experts ``user`` keeps; None for an admin (every row of
    every kind), an empty set for someone who keeps nothing."""
    if user.has_role(Role.ADMIN):
        return None
    if not user.has_role(Role.INSTITUTION_ADMIN):
        return set()
    return set(db.session.scalars(select(InstitutionAdmin.institution_id)
                                  .where(InstitutionAdmin.user_id == user.id)))


def check_keeper(user: User, model, thing=None, values: dict | None = None) -> None:
    """Refuse what ``user`` does not keep: another institution's expert, or any other
    kind, is NotFound (not revealed); with ``values`` (a create or a change), an
    institution that is not theirs is a DomainError on ``institution_id``."""
    institutions = kept_institutions(user)
    if institutions is None:
        return
    if model is not Expert or (thing is not None and thing.institution_id not in institutions):
        raise NotFound(_("找不到这一项"))
    if values is None:
        return
    institution_id = values.get("institution_id")
    if (institution_id is not None or thing is None) and institution_id not in institutions:
        raise DomainError(_("只能选择本院"), code="institution_id")


def get(model, thing_id: int):
    """The ``model`` row ``thing_id`` (NotFound)."""
    thing = db.session.get(model, thing_id)
    if thing is None:
        raise NotFound(_("找不到这一项"))
    return thing


def _check_name(model, name: str | None, thing) -> None:
    if name is None or model not in UNIQUE_NAMES:
        return
    same = select(model.id).where(model.name == name)
    if thing is not None:
        same = same.where(model.id != thing.id)
    if db.session.scalar(select(exists(same))):
        raise Conflict(_("已经有叫“%(name)s”的了", name=name), code="name_taken")


def _check_references(values: dict, thing) -> None:
    for key, model in REFERENCES.items():
        ref_id = values.get(key)
        if ref_id is None or (thing is not None and getattr(thing, key) == ref_id):
            continue  # unchanged: a retired one may stay where it was
        ref = db.session.get(model, ref_id)
        if ref is None or not ref.is_enabled:
            raise DomainError(_("所选的一项不存在或已停用"), code=key)


def _plain(values: dict) -> dict:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}

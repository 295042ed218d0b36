"""Read-side queries for experts and venues."""

from sqlalchemy import select

from app.directory.models import Expert, ExpertPhoto, Institution, Specialty, Township, Venue
from app.extensions import db


def expert(expert_id: int) -> Expert | None:
    return db.session.scalars(
        select(Expert).where(Expert.id == expert_id, Expert.is_enabled)
    ).first()


def venue(venue_id: int) -> Venue | None:
    return db.session.get(Venue, venue_id)


def experts_page(*, name: str, specialty_id: int | None, institution_id: int | None,
                 page: int, per_page: int):
    query = select(Expert).where(Expert.is_enabled).order_by(Expert.id)
    if name:
        query = query.where(Expert.name.contains(name, autoescape=True))
    if specialty_id:
        query = query.where(Expert.specialty_id == specialty_id)
    if institution_id:
        query = query.where(Expert.institution_id == institution_id)
    return db.paginate(query, page=page, per_page=per_page, max_per_page=100, error_out=False)


def specialties() -> list[Specialty]:
    return db.session.scalars(select(Specialty).where(Specialty.is_enabled)
                              .order_by(Specialty.id)).all()


def institutions() -> list[Institution]:
    return db.session.scalars(select(Institution).where(Institution.is_enabled)
                              .order_by(Institution.id)).all()


def venues_by_township() -> list[tuple[Township, list[Venue]]]:
    venues = db.session.scalars(select(Venue).where(Venue.is_enabled)
                                .order_by(Venue.township_id, Venue.id)).all()
    groups: dict[int, tuple[Township, list[Venue]]] = {}
    for v in venues:
        groups.setdefault(v.township_id, (v.township, []))[1].append(v)
    return list(groups.values())



def expert_photo(expert_id: int, version: int) -> bytes | None:
    """The JPEG of an enabled expert's photo, if ``version`` is its current one."""
    return db.session.scalar(
        select(ExpertPhoto.data).join(Expert, Expert.id == ExpertPhoto.expert_id)
        .where(Expert.id == expert_id, Expert.is_enabled, Expert.photo_version == version))

"""Public reads: townships, specialties, institutions, venues and experts."""

from flask import abort, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.admin import directory, photos
from app.api.auth import admin_required, api_user, keeper_required
from app.api.core import PageArgsSchema, api_blueprint, page_of, page_schema
from app.api.directory_schemas import (
    ExpertUpdateSchema,
    ExpertWriteSchema,
    InstitutionUpdateSchema,
    InstitutionWriteSchema,
    SpecialtyUpdateSchema,
    SpecialtyWriteSchema,
    TownshipUpdateSchema,
    TownshipWriteSchema,
    VenueUpdateSchema,
    VenueWriteSchema,
)
from app.api.fields import ID_PATH
from app.api.schemas import (
    ExpertFilterSchema,
    ExpertSchema,
    InstitutionSchema,
    SpecialtySchema,
    TownshipSchema,
    VenueFilterSchema,
    VenueSchema,
)
from app.core.clock import request_now
from app.core.errors import DomainError
from app.directory import queries
from app.directory.models import Expert, Institution, Specialty, Township, Venue
from app.extensions import db

blp = api_blueprint("directory", __name__, "Townships, specialties, institutions, venues "
                                           "and experts (public reads; admins create, "
                                           "change and retire them)")


@blp.get("/townships")
@blp.response(200, TownshipSchema(many=True))
def townships():
    return db.session.scalars(select(Township).where(Township.is_enabled)
                              .order_by(Township.id)).all()


@blp.get("/specialties")
@blp.response(200, SpecialtySchema(many=True))
def specialties():
    return queries.specialties()


@blp.get("/institutions")
@blp.response(200, InstitutionSchema(many=True))
def institutions():
    return queries.institutions()


@blp.get("/venues")
@blp.arguments(VenueFilterSchema, location="query")
@blp.response(200, VenueSchema(many=True))
def venues(args):
    query = select(Venue).where(Venue.is_enabled).order_by(Venue.id)
    if args["township"]:
        query = query.where(Venue.township_id == args["township"])
    return db.session.scalars(query).all()


@blp.get(f"/venues/<{ID_PATH}:venue_id>")
@blp.response(200, VenueSchema)
def venue(venue_id: int):
    return queries.venue(venue_id) or abort(404)


@blp.get("/experts")
@blp.arguments(ExpertFilterSchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(ExpertSchema))
def experts(args, paging):
    return page_of(queries.experts_page(
        name=args["name"], specialty_id=args["specialty"], institution_id=args["institution"],
        page=paging["page"], per_page=paging["per_page"]))


@blp.get(f"/experts/<{ID_PATH}:expert_id>")
@blp.response(200, ExpertSchema)
def expert(expert_id: int):
    return queries.expert(expert_id) or abort(404)


# --- the programme office keeps the directory (admins) --------------------------------


def _write(model, data: dict, thing_id: int | None = None):
    """Create (no ``thing_id``) or change a ``model`` row, and retire or restore it when
    ``is_enabled`` is sent (app.admin.directory: names unique per kind, references to
    rows that exist and are not retired, audited)."""
    user, now = api_user(), request_now()
    enabled = data.pop("is_enabled", None)
    thing = directory.get(model, thing_id) if thing_id else None
    directory.check_keeper(user, model, thing, data)
    if data or thing is None:
        thing = directory.save(model, data, thing=thing, by_id=user.id, now=now)
    if enabled is not None:
        directory.set_enabled(thing, enabled, by_id=user.id, now=now)
    return thing


def _write_routes(path: str, model, write_schema, update_schema, read_schema) -> None:
    """POST {path} and PATCH {path}/<id> for ``model``: admins; for experts also an
    institution admin, within their institution."""
    name = model.__tablename__
    required = keeper_required if model is Expert else admin_required

    @blp.post(f"/{path}", endpoint=f"create_{name}")
    @required
    @blp.arguments(write_schema)
    @blp.response(201, read_schema)
    def create(data):
        """Create one (admins; an expert also by an institution admin, at their own
        institution). A name its kind has already is a 409 ``name_taken``; a township,
        institution or specialty that does not exist or is retired, a 422."""
        return _write(model, data)

    id_name = {"townships": "township_id", "institutions": "institution_id",
               "specialties": "specialty_id", "venues": "venue_id",
               "experts": "expert_id"}[path]  # as the GET of one names it

    @blp.patch(f"/{path}/<{ID_PATH}:{id_name}>", endpoint=f"update_{name}")
    @required
    @blp.arguments(update_schema(partial=True), required=False)
    @blp.response(200, read_schema)
    def update(data, **ids):
        """Change one (admins; an expert also by their institution's admin — another
        institution's expert is a 404): only the fields sent change; ``is_enabled: false``
        retires it — a 409 ``in_use`` while published sessions still to come use it —
        and ``true`` restores it. Every change is in the audit log."""
        return _write(model, data, ids[id_name])


_write_routes("townships", Township, TownshipWriteSchema, TownshipUpdateSchema,
              TownshipSchema)
_write_routes("institutions", Institution, InstitutionWriteSchema, InstitutionUpdateSchema,
              InstitutionSchema)
_write_routes("specialties", Specialty, SpecialtyWriteSchema, SpecialtyUpdateSchema,
              SpecialtySchema)
_write_routes("venues", Venue, VenueWriteSchema, VenueUpdateSchema,
              VenueSchema)
_write_routes("experts", Expert, ExpertWriteSchema, ExpertUpdateSchema,
              ExpertSchema)


PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


@blp.put(f"/experts/<{ID_PATH}:expert_id>/photo")
@keeper_required
@blp.doc(requestBody={"required": True, "content": {
    kind: {"schema": {"type": "string", "format": "binary"}} for kind in PHOTO_TYPES}})
@blp.response(200, ExpertSchema)
def put_expert_photo(expert_id: int):
    """Give an expert a photo (admins, and the expert's institution admin): the body is
    a JPEG, PNG or WebP of at most 2 MB, re-encoded by the site as a 240-pixel JPEG;
    anything else is a 422 ``photo`` and nothing changes."""
    expert = directory.get(Expert, expert_id)
    directory.check_keeper(api_user(), Expert, expert)
    if request.mimetype not in PHOTO_TYPES:
        raise DomainError(_("请上传 JPEG、PNG 或 WebP 格式的照片"), code="photo")
    photos.set_photo(expert, request.get_data(cache=False), by_id=api_user().id,
                     now=request_now())
    return expert


@blp.delete(f"/experts/<{ID_PATH}:expert_id>/photo")
@keeper_required
@blp.response(204)
def delete_expert_photo(expert_id: int):
    """Take an expert's photo away (admins, and the expert's institution admin)."""
    expert = directory.get(Expert, expert_id)
    directory.check_keeper(api_user(), Expert, expert)
    photos.set_photo(expert, None, by_id=api_user().id, now=request_now())

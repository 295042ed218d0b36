"""Public reads: townships, specialties, institutions, venues and experts."""

from flask import abort
from sqlalchemy import select

from app.api.core import PageArgsSchema, api_blueprint, page_of, page_schema
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
from app.directory import queries
from app.directory.models import Township, Venue
from app.extensions import db

blp = api_blueprint("directory", __name__, "Townships, specialties, institutions, venues "
                                           "and experts (public)")


@blp.get("/townships")
@blp.response(200, TownshipSchema(many=True))
def townships():
    return db.session.scalars(select(Township).order_by(Township.id)).all()


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
    query = select(Venue).order_by(Venue.id)
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

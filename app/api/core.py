"""What every API blueprint shares: the /api/v1 prefix, its request parser, JSON errors,
ETags, paging."""

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser, abort

from app.api import errors
from app.extensions import db

PREFIX = "/api/v1"
MAX_PER_PAGE = 100


MAX_JSON_DEPTH = 32  # the API's bodies nest two levels; far deeper is a mistake or an attack


class ApiParser(FlaskParser):
    """webargs' Flask parser, but a body nested deeper than ``MAX_JSON_DEPTH`` is
    malformed JSON like any other (400) — also one deeper than Python's decoder can
    follow, which would raise RecursionError (a 500) — whatever the Python version's
    decoder limit."""

    def load_json(self, req, schema):
        try:
            data = super().load_json(req, schema)
        except RecursionError as exc:
            self._too_deep(exc)
        if _deeper_than(data, MAX_JSON_DEPTH):
            self._too_deep(None)
        return data

    @staticmethod
    def _too_deep(exc: Exception | None):
        abort(400, exc=exc, messages={"json": ["Invalid JSON body: nested too deeply."]})


def _deeper_than(value, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class ApiBlueprint(Blueprint):
    """flask-smorest's blueprint with our parser (its documented ``ARGUMENTS_PARSER``)."""

    ARGUMENTS_PARSER = ApiParser()


def api_blueprint(name: str, import_name: str, description: str) -> ApiBlueprint:
    """A blueprint of the API, named ``api_<name>`` beside the pages' blueprints; its
    name is the tag of its operations in the OpenAPI document."""
    blueprint = ApiBlueprint(f"api_{name}", import_name, url_prefix=PREFIX,
                             description=description)
    errors.register(blueprint)
    blueprint.after_request(conditional_get)
    blueprint.after_request(end_unit_of_work)
    return blueprint


def end_unit_of_work(response: Response) -> Response:
    """The API's one commit: after the handler, before its answer goes out, so a
    success is only ever answered for what is committed; a refusal or an error keeps
    nothing (handlers neither commit nor, on success, roll back)."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def conditional_get(response: Response) -> Response:
    """An ETag on every successful GET, and 304 when the client has it already."""
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.headers["Cache-Control"] = "no-cache"
        response.vary.add("Authorization")
        response.make_conditional(request)
    return response


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PageSchema(Schema):
    """A page of results; ``items`` is set by each list's subclass."""

    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


def page_of(pagination, items=None) -> dict:
    """A Flask-SQLAlchemy Pagination as the API's page envelope."""
    return {"items": pagination.items if items is None else items, "page": pagination.page,
            "per_page": pagination.per_page, "total": pagination.total,
            "pages": pagination.pages}


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The page envelope of ``item_schema``, named after it in the OpenAPI document."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema),
                                                           required=True)})

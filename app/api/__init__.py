"""The JSON API under /api/v1: the same services as the pages, Bearer tokens instead of
the session cookie, an OpenAPI 3 document generated from the schemas that validate
requests and shape responses (flask-smorest with marshmallow)."""

from flask import Flask
from flask_smorest import Api

from app.api import errors
from app.api.auth import SECURITY_SCHEME

API_SETTINGS = {
    "API_TITLE": "Xiangqing (乡情专家行) API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}


class JsonApi(Api):
    """flask-smorest's Api, with our error envelope documented. Errors are handled on
    the API's blueprints (app.api.errors); the application-wide JSON handler its
    ``init_app`` registers is replaced by the site's pages (app.web.register_error_pages)."""

    ERROR_SCHEMA = errors.ErrorSchema


def init_api(app: Flask) -> None:
    from app.api import (
        auth_views,
        directory_views,
        docs_views,
        referral_views,
        resident_views,
        session_views,
        staff_views,
        statistics_views,
    )
    from app.extensions import csrf

    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    api = JsonApi(app, spec_kwargs={"info": {"description": __doc__}})
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for module in (auth_views, directory_views, session_views, resident_views, staff_views,
                   referral_views, statistics_views):
        csrf.exempt(module.blp)  # Bearer tokens, never cookies: nothing to forge
        api.register_blueprint(module.blp)
    app.register_blueprint(docs_views.bp)

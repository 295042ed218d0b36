"""/api/docs: the OpenAPI document for people, with Swagger UI from our static folder."""

from flask import Blueprint, render_template

bp = Blueprint("api_docs_page", __name__)


@bp.get("/api/docs")
def docs():
    return render_template("api/docs.html")

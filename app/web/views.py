"""The home page, the language switch, the health check and error pages."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.core.clock import request_now
from app.core.fragments import public_fragment
from app.core.models import MAIN_SCHEDULER, SchedulerHeartbeat
from app.core.redirects import safe_next
from app.core.time import local_today
from app.extensions import db
from app.scheduling.queries import places_left, week_by_township
from app.web.forms import LanguageForm
from app.web.i18n import LANG_COOKIE

bp = Blueprint("web", __name__)

@bp.get("/")
def home():
    now = request_now()
    today = local_today(now)

    def week() -> str:
        groups = week_by_township(now=now)
        places = places_left([s.id for group in groups for s in group.sessions])
        return render_template("web/_week.html", groups=groups, places=places, today=today)

    return render_template("web/home.html", week=public_fragment("home", today, build=week))


@bp.post("/lang")
def set_language():
    form = LanguageForm()
    target = url_for("web.home")
    if form.validate_on_submit():
        target = safe_next(form.next.data) or target
        response = redirect(target)
        response.set_cookie(LANG_COOKIE, form.lang.data, max_age=365 * 86400,
                            samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
        return response
    return redirect(target)


@bp.get("/healthz")
def healthz():
    """Database reachable and the scheduler's last heartbeat, in one primary-key read."""
    now = request_now()
    try:
        beat = db.session.scalar(
            select(SchedulerHeartbeat.beat_dt).where(SchedulerHeartbeat.name == MAIN_SCHEDULER)
        )
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    age = round((now - beat).total_seconds()) if beat else None
    return jsonify(status="ok", database="ok", scheduler_heartbeat_age_s=age)


@bp.app_errorhandler(404)
def not_found(_error):
    return _error_page(404)


@bp.app_errorhandler(405)
def method_not_allowed(error):
    body, status = _error_page(405)
    # RFC 9110: a 405 names the methods the resource does support.
    return body, status, {"Allow": ", ".join(sorted(error.valid_methods or []))}


@bp.app_errorhandler(413)
def too_large(_error):
    return _error_page(413)


@bp.app_errorhandler(415)
def unsupported_media_type(_error):
    return _error_page(415)


@bp.app_errorhandler(429)
def too_many_requests(_error):
    return _error_page(429)


@bp.app_errorhandler(500)
def server_error(_error):
    return _error_page(500)


def http_error(error: HTTPException):
    """Any other HTTP error a page raises (400 …): the site's error page. Registered on
    the application after the API's (app.register_error_pages), whose flask-smorest
    handler would answer every page in JSON."""
    return _error_page(error.code or 500)


ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large",
               415: "unsupported_media_type", 429: "rate_limited",
               500: "server_error"}


def _error_page(status: int):
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        code = ERROR_CODES.get(status, str(status))
        return jsonify(error={"code": code, "message": code.replace("_", " ")}), status
    return render_template("web/error.html", status=status), status

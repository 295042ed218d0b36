"""The home page, the language switch, the health check and error pages."""

import logging
from datetime import date, timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.auth.care import CARE_COOKIE, care_mode
from app.core.clock import request_now
from app.core.coerce import id_or_none
from app.core.db import first_line, forget_session, is_unavailable
from app.core.fragments import public_fragment
from app.core.models import MAIN_SCHEDULER, SchedulerHeartbeat
from app.core.redirects import safe_next
from app.core.time import local_today
from app.extensions import db
from app.scheduling.queries import places_left, township_days, townships, week_by_township
from app.web.forms import CareForm, LanguageForm
from app.web.i18n import LANG_COOKIE

bp = Blueprint("web", __name__)
log = logging.getLogger(__name__)

RETRY_AFTER_S = 30  # when the database is unavailable

TOWNSHIP_COOKIE = "xq_township"  # the resident's township, remembered on this device


@bp.get("/")
def home():
    """The next seven days: of the resident's township (``?township=``, remembered on
    this device; ``all`` forgets it) with a date strip, else of every township."""
    now = request_now()
    today = local_today(now)
    asked = request.args.get("township")
    township_id = id_or_none(asked if asked is not None
                             else request.cookies.get(TOWNSHIP_COOKIE))
    day = _day(request.args.get("day"), today)

    care = care_mode()

    def week() -> str:
        choices = townships()
        mine = township_days(township_id, now=now) if township_id else None
        if mine is None and care:  # 关怀版: one township's week, never all 27
            return render_template("web/_choose_township.html", townships=choices)
        if mine is not None:
            shown = [s for d, sessions in mine.days if day in (None, d) for s in sessions]
            return render_template("web/_township.html", mine=mine, day=day, today=today,
                                   townships=choices,
                                   places=places_left([s.id for s in shown], now=now),
                                   shown_days=[(d, s) for d, s in mine.days if day in (None, d)])
        groups = week_by_township(now=now)
        places = places_left([s.id for group in groups for s in group.sessions], now=now)
        return render_template("web/_week.html", groups=groups, places=places, today=today,
                               townships=choices)

    response = make_response(render_template(
        "web/home.html", week=public_fragment("home", today, township_id, day, care, build=week)))
    if asked is not None:  # a chip was tapped: remember it (or forget, for 全部乡镇)
        if township_id:
            _remember(response, TOWNSHIP_COOKIE, str(township_id))
        else:
            response.delete_cookie(TOWNSHIP_COOKIE)
    return response


def _day(value: str | None, today: date) -> date | None:
    """A day of the coming week asked for by the date strip (anything else: none)."""
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if today <= day <= today + timedelta(days=6) else None


@bp.post("/lang")
def set_language():
    form = LanguageForm()
    target = url_for("web.home")
    if form.validate_on_submit():
        target = safe_next(form.next.data) or target
        response = redirect(target)
        _remember(response, LANG_COOKIE, form.lang.data)
        return response
    return redirect(target)


@bp.post("/care")
def set_care_mode():
    """The 关怀版 switch: remembered on this device and, signed in, on the account."""
    form = CareForm()
    target = url_for("web.home")
    if not form.validate_on_submit():
        return redirect(target)
    on = form.on.data == "1"
    if current_user.is_authenticated and current_user.care_mode != on:
        current_user.care_mode = on
        db.session.commit()
    response = redirect(safe_next(form.next.data) or target)
    _remember(response, CARE_COOKIE, form.on.data)
    return response


def _remember(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=365 * 86400, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


@bp.get("/healthz")
def healthz():
    """Database reachable and the scheduler's last heartbeat, in one primary-key read."""
    now = request_now()
    try:
        beat = db.session.scalar(
            select(SchedulerHeartbeat.beat_dt).where(SchedulerHeartbeat.name == MAIN_SCHEDULER)
        )
    except SQLAlchemyError as error:
        forget_session(db.session)
        log.warning("healthz: database unavailable: %s", first_line(error))
        return (jsonify(status="error", database="unreachable"), 503,
                {"Retry-After": str(RETRY_AFTER_S)})
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


@bp.app_errorhandler(DBAPIError)
def database_unavailable(error: DBAPIError):
    """The database went away (or SQLite's file cannot be read, or stays locked): a
    calm 503 — the page below or the API's JSON — with Retry-After and one log line,
    no stack trace. The next request tries again; pool_pre_ping (config) drops the
    pooled connections the outage left stale, so the site recovers without a restart.
    Any other database error is a bug: it goes on to the 500 page, logged."""
    if not is_unavailable(error):
        raise error
    forget_session(db.session)
    log.warning("%s %s: database unavailable: %s", request.method, request.path,
                first_line(error))  # a feed's token is redacted as the record is made
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if _wants_json():
        return jsonify(error={"code": "unavailable", "message": "database unavailable, "
                              "try again shortly"}), 503, headers
    # Rendered without the context processors: they read the signed-in account, from
    # the database that is not there.
    page = current_app.jinja_env.get_template("web/unavailable.html").render(
        help_phone=current_app.config["HELP_PHONE"], retry_after=RETRY_AFTER_S,
        current_locale=str(get_locale()))
    return page, 503, headers


ERROR_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large",
               415: "unsupported_media_type", 429: "rate_limited",
               500: "server_error"}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_page(status: int):
    if _wants_json():
        code = ERROR_CODES.get(status, str(status))
        return jsonify(error={"code": code, "message": code.replace("_", " ")}), status
    try:
        return render_template("web/error.html", status=status), status
    except DBAPIError as error:  # the page reads the signed-in account: the database
        return database_unavailable(error)  # is away (a bug: raised again there)

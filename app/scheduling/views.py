"""Public pages: the filterable schedule, one session, and experts and venues with theirs."""

from dataclasses import replace

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from app.auth.care import care_mode
from app.core.clock import request_now
from app.core.fragments import public, public_fragment
from app.core.time import local_today
from app.core.urls import site_url
from app.directory import queries as directory
from app.directory.forms import ExpertSearchForm
from app.directory.models import Township
from app.extensions import db
from app.scheduling import posters, queries
from app.scheduling.forms import ScheduleFilterForm
from app.scheduling.models import SessionStatus

bp = Blueprint("scheduling", __name__)

EXPERTS_PER_PAGE = 24


@bp.get("/schedule")
def schedule():
    now = request_now()
    args = sorted(request.args.items(multi=True))
    listing = public_fragment("schedule", local_today(now), args,
                              build=lambda: _schedule_listing(now))
    return render_template("scheduling/schedule.html", listing=listing)


def _schedule_listing(now) -> str:
    form = ScheduleFilterForm(request.args)
    form.fill_choices(queries.filter_choices())
    pagination, places, page_args = None, {}, {}
    if form.validate():
        # Surgeries and ward rounds (no places to book) only when asked for by kind.
        flt = replace(form.to_filter(), kinds=queries.HOME_KINDS)
        pagination = queries.schedule_page(
            flt, now=now, page=form.page.data or 1,
            per_page=current_app.config["SCHEDULE_PAGE_SIZE"],
        )
        places = queries.places_left([s.id for s in pagination.items], now=request_now())
        page_args = flt.as_args()
    searched = any(value for key, value in request.args.items() if key != "page")
    return render_template("scheduling/_schedule.html", form=form, pagination=pagination,
                           places=places, page_args=page_args, searched=searched)


@bp.get("/sessions/<int:session_id>")
def session_page(session_id: int):
    page = public("session", session_id, care_mode(),
                  build=lambda: _session_part(session_id))
    if page is None:
        abort(404)
    return render_template("scheduling/session.html", session_id=session_id,
                           title=page["title"], detail=Markup(page["html"]))


def _session_part(session_id: int) -> dict | None:
    """A public session's page but for what depends on who looks (None: not public)."""
    session = queries.session_detail(session_id)
    if session is None:
        return None
    alternatives = []
    if session.status == SessionStatus.STOPPED:
        alternatives = queries.nearest_alternatives(session, now=request_now())
    return {"title": session.page_title, "html": render_template(
        "scheduling/_session.html", session=session, alternatives=alternatives)}


@bp.get("/s/<int:session_id>")
def session_short_link(session_id: int):
    """The short address SMS carry (a 停诊 notice links the page listing alternatives)."""
    return redirect(url_for("scheduling.session_page", session_id=session_id))


@bp.get("/experts")
def experts():
    form = ExpertSearchForm(request.args)
    form.fill_choices(directory.specialties(), directory.institutions())
    pagination = None
    if form.validate():
        pagination = directory.experts_page(
            name=(form.name.data or "").strip(), specialty_id=form.specialty.data,
            institution_id=form.institution.data, page=form.page.data or 1,
            per_page=EXPERTS_PER_PAGE,
        )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("scheduling/experts.html", form=form, pagination=pagination,
                           page_args=args)


@bp.get("/experts/<int:expert_id>")
def expert(expert_id: int):
    found = directory.expert(expert_id) or abort(404)
    sessions = queries.expert_upcoming(found.id, now=request_now())
    return render_template("scheduling/expert.html", expert=found, sessions=sessions,
                           places=queries.places_left([s.id for s in sessions], now=request_now()))


@bp.get("/experts/<int:expert_id>/photo-<int:version>.jpg")
def expert_photo(expert_id: int, version: int):
    """An expert's photo, as the site re-encoded it (never an uploaded file as it came);
    its address changes with each new photo, so it may be kept a year."""
    found = directory.expert_photo(expert_id, version) or abort(404)
    response = make_response(found)
    response.headers.update({"Content-Type": "image/jpeg",
                             "Cache-Control": "public, max-age=31536000, immutable"})
    return response


@bp.get("/venues")
def venues():
    return render_template("scheduling/venues.html", groups=directory.venues_by_township())


@bp.get("/venues/<int:venue_id>")
def venue(venue_id: int):
    found = directory.venue(venue_id) or abort(404)
    sessions = queries.venue_upcoming(found.id, now=request_now())
    return render_template("scheduling/venue.html", venue=found, sessions=sessions,
                           places=queries.places_left([s.id for s in sessions], now=request_now()))


# --- posters for the notice board ------------------------------------------------------


@bp.get("/venues/<int:venue_id>/poster")
def venue_poster(venue_id: int):
    """A4 portrait: the venue's sessions of ``?week=2026-W49`` (default: this week)."""
    found = directory.venue(venue_id) or abort(404)
    monday = posters.parse_week(request.args.get("week"), local_today(request_now()))
    return render_template("scheduling/poster.html", posters=[posters.venue_poster(
        found, monday, site_url(url_for("scheduling.venue", venue_id=found.id)))])


@bp.get("/townships/<int:township_id>/poster")
def township_poster(township_id: int):
    """A4 portrait: the sessions of ``?week=`` at every venue of the township."""
    township = db.session.get(Township, township_id)
    if township is None or not township.is_enabled:
        abort(404)
    monday = posters.parse_week(request.args.get("week"), local_today(request_now()))
    return render_template("scheduling/poster.html", posters=[posters.township_poster(
        township, monday, site_url(url_for("web.home", township=township.id)))])

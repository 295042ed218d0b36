"""Console pages for recurring series: plan one, see its occurrences, change its future.
Routes on the console blueprint; the rules are in ``app.scheduling.series``."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.bookings.services import stopping
from app.console import access, proposals
from app.console.series_forms import SeriesForm
from app.console.views import _me, bp, flash_told, planner_required
from app.core.clock import request_now
from app.core.errors import DomainError
from app.core.time import local_today
from app.directory.models import Expert
from app.directory.queries import specialties
from app.extensions import db
from app.scheduling import workdays
from app.scheduling.labels import KIND_LABELS, STATUS_LABELS, rule_words
from app.scheduling.models import SessionSeries
from app.scheduling.series import create_series, plan_of, series_sessions, update_series

SKIP_LABELS = {workdays.HOLIDAY: _l("法定节假日"),
               workdays.WORKDAY: _l("调休上班日（按另一天的安排上班）"),
               workdays.OVERRIDDEN: _l("手动跳过")}


def _form() -> SeriesForm:
    me = _me()
    form = SeriesForm()
    form.fill(access.planning_venues(me), access.planning_experts(me), specialties())
    return form


def _load(series_id: int) -> SessionSeries:
    series = db.session.get(SessionSeries, series_id) or abort(404)
    if not access.can_plan(_me(), series.venue_id, list(series.expert_ids)):
        abort(404)  # outside the staff member's venues and experts: do not reveal it
    return series


def _save(form: SeriesForm, action, template: str, **context):
    """Run ``action(plan)`` (the series, and the booked patients told of a change); on
    success the series page, on a refusal the form again."""
    plan = form.to_plan()
    if not access.can_plan(_me(), plan.venue_id, plan.expert_ids):
        form.venue.errors.append(_("您只能在自己负责的地点、或为自己协助的专家安排场次"))
        return render_template(template, form=form, **context)
    try:
        series, told = action(plan)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        field = getattr(error, "field", None) or "first_day"
        form[field].errors.extend(getattr(error, "lines", [error.message]))
        return render_template(template, form=form, **context)
    flash_told(_("系列已保存。"), told)
    return redirect(url_for("console.series_page", series_id=series.id))


@bp.route("/console/series/new", methods=["GET", "POST"])
@planner_required
def new_series():
    form = _form()
    if form.validate_on_submit():
        def action(plan):
            series = create_series(plan, by=_me(), now=request_now())
            if form.proposal.data:
                proposals.mark_planned(form.proposal.data, series=series, by=_me(),
                                       now=request_now())
            return series, None

        return _save(form, action, "console/series_form.html", series=None)
    if not form.is_submitted():
        form.first_day.data = local_today(request_now())
        if request.args:  # planned from an expert's proposal: the form filled in
            form.process(request.args, first_day=form.first_day.data)
        # A checkbox missing from the query reads as unchecked: holidays off by default.
        form.skip_holidays.data = request.args.get("skip_holidays", "y") not in ("", "0")
    form.hometown_experts_first()
    return render_template("console/series_form.html", form=form, series=None)


@bp.get("/console/series/<int:series_id>")
@planner_required
def series_page(series_id: int):
    series = _load(series_id)
    plan = plan_of(series)
    overrides = {**{d: workdays.SKIP for d in plan.skip_dates},
                 **{d: workdays.HOLD for d in plan.hold_dates}}
    _held, skipped = workdays.series_dates(series.rule, series.first_day, series.last_day,
                                           skip_holidays=series.skip_holidays,
                                           overrides=overrides)
    return render_template(
        "console/series.html", series=series, sessions=series_sessions(series.id),
        skipped=skipped, skip_labels=SKIP_LABELS, holds=plan.hold_dates,
        kind_labels=KIND_LABELS, status_labels=STATUS_LABELS, now=request_now(),
        rule=rule_words(series.rule),
        experts=db.session.scalars(select(Expert.name).where(Expert.id.in_(series.expert_ids))
                                   .order_by(Expert.id)).all())


@bp.route("/console/series/<int:series_id>/edit", methods=["GET", "POST"])
@planner_required
def edit_series(series_id: int):
    series = _load(series_id)
    form = _form()
    if form.validate_on_submit():
        def action(plan):
            now = request_now()
            changes = update_series(series, plan, by=_me(), now=now)
            return series, stopping.sessions_moved(changes["moved"], now=now)

        return _save(form, action, "console/series_form.html", series=series)
    if not form.is_submitted():
        form.load(plan_of(series))
    return render_template("console/series_form.html", form=form, series=series)

"""/admin/users: the programme admin lists, creates, changes, enables and disables staff
accounts."""

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.admin import queries, services, statistics, travel
from app.admin.forms import (
    EnabledForm,
    SavingForm,
    StaffEditForm,
    StaffForm,
    StatisticsForm,
    TravelForm,
    YearForm,
)
from app.auth.labels import ROLE_LABELS, STAFF_ROLES
from app.auth.models import Role, User
from app.auth.views import role_required
from app.core import fragments
from app.core.clock import request_now
from app.core.coerce import page_number
from app.core.csv_export import csv_response
from app.core.errors import DomainError, NotFound
from app.core.time import local_today
from app.core.urls import site_url
from app.directory.models import Township
from app.extensions import db, limiter
from app.scheduling import posters

bp = Blueprint("admin", __name__, url_prefix="/admin")

WRITE_LIMIT = "30 per minute"  # per account


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    """The staff accounts, 50 a page; ``q`` finds a name or mobile number, ``role`` one
    role's holders."""
    q = request.args.get("q", "").strip()[:50]
    role = next((r for r in STAFF_ROLES if r.value == request.args.get("role")), None)
    rows, page = queries.staff(q=q, role=role,
                               page=page_number(request.args.get("page", type=int)))
    return render_template("admin/users.html", rows=rows, page=page, q=q, role=role,
                           roles=STAFF_ROLES, role_labels=ROLE_LABELS,
                           enabled_form=EnabledForm())


@bp.route("/users/new", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@role_required(Role.ADMIN)
def new_user():
    form = StaffForm().fill_choices(queries.venue_choices(), queries.expert_choices(),
                                    queries.institution_choices(), queries.centre_choices())
    if form.validate_on_submit():
        try:
            user = services.create_staff(
                phone=form.phone.data, name=form.name.data, password=form.password.data,
                roles=[Role(r) for r in form.roles.data], venue_ids=form.venues.data,
                expert_ids=form.experts.data, institution_id=form.institution.data,
                centre_id=form.centre.data, by_id=current_user.id, now=request_now(),
            )
        except DomainError as exc:
            db.session.rollback()
            form.add_domain_error(exc)
        else:
            name = user.name
            db.session.commit()
            flash(_("已建立%(name)s的账号", name=name), "success")
            return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int):
    """Change a staff account's name, roles and assignments, or give it a new password."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_staff:
        abort(404)
    current = queries.assignments(user)
    form = StaffEditForm(data={
        "name": user.name, "roles": sorted(r.value for r in current.roles),
        "venues": sorted(current.venue_ids), "experts": sorted(current.expert_ids),
        "institution": current.institution_id, "centre": current.centre_id,
    }).fill_choices(queries.venue_choices(current.venue_ids),
                    queries.expert_choices(current.expert_ids),
                    queries.institution_choices([current.institution_id] if
                                                current.institution_id else []),
                    queries.centre_choices([current.centre_id] if current.centre_id else []))
    if form.validate_on_submit():
        try:
            user = services.update_staff(
                user_id, name=form.name.data, roles=[Role(r) for r in form.roles.data],
                venue_ids=form.venues.data, expert_ids=form.experts.data,
                institution_id=form.institution.data, centre_id=form.centre.data,
                password=form.password.data or None, by_id=current_user.id,
                now=request_now(),
            )
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            form.add_domain_error(exc)
        else:
            name = user.name
            db.session.commit()
            flash(_("已保存%(name)s的账号", name=name), "success")
            return redirect(url_for(".users", _anchor=f"user-{user_id}"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.post("/users/<int:user_id>/enabled")
@limiter.limit(WRITE_LIMIT)
@role_required(Role.ADMIN)
def set_enabled(user_id: int):
    form = EnabledForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        user = services.set_enabled(user_id, form.enabled.data == "1", by_id=current_user.id,
                                    now=request_now())
    except NotFound:
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        name = user.name
        db.session.commit()
        flash(_("已启用%(name)s的账号", name=name) if form.enabled.data == "1"
              else _("已停用%(name)s的账号", name=name), "success")
    return redirect(url_for(".users", _anchor=f"user-{user_id}"))


@bp.route("/travel", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@role_required(Role.ADMIN)
def travel_times():
    """The township × township travel-time table: every pair set, and a form to set or
    clear one (the conflict check and the experts' circuits read it)."""
    townships = db.session.execute(select(Township.id, Township.name)
                                   .order_by(Township.id)).all()
    form = TravelForm().fill(townships)
    if form.validate_on_submit():
        try:
            travel.set_minutes(form.a.data, form.b.data, form.minutes.data,
                               by_id=current_user.id, now=request_now())
        except DomainError as exc:
            db.session.rollback()
            form.add_domain_error(exc)
        else:
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for(".travel_times"))
    return render_template("admin/travel.html", form=form, rows=travel.rows(),
                           default=current_app.config["TRAVEL_MINUTES"])


@bp.get("/statistics")
@role_required(Role.ADMIN, Role.COORDINATOR, Role.INSTITUTION_ADMIN)
def statistics_page():
    """The programme's figures for a range, grouped; ``format=csv`` downloads the table
    (UTF-8 with a BOM, so that Excel opens the Chinese intact)."""
    me = db.session.get(User, current_user.id)
    form = StatisticsForm(request.args)
    today = local_today(request_now())
    first, last = _range(form, today)
    group = form.group.data if form.group.data in statistics.GROUPS else "township"
    rows, total, saving, years, since, charts = fragments.kept(
        "statistics", me.id, first, last, group, today,
        build=lambda: _statistics(me, first, last, group, today),
        seconds=current_app.config["STATISTICS_SECONDS"])
    if request.args.get("format") == "csv":
        if request.args.get("table") == "years":
            return csv_response(_years_csv(years, since), "statistics-by-year.csv")
        return csv_response(statistics.csv_rows(rows, total, group),
                            f"statistics-{group}-{first}-{last}.csv")
    saving_form = SavingForm(formdata=None, saving_per_visit=saving)
    return render_template("admin/statistics.html", form=form, rows=rows, total=total,
                           saving=saving, saving_form=saving_form, first=first, last=last,
                           group=group, definitions=statistics.DEFINITIONS,
                           group_label=statistics.GROUPS[group], charts=charts,
                           years=years, since=since, year_fields=statistics.YEAR_FIELDS,
                           year_form=YearForm(formdata=None, year=today.year - 1))


def _range(form: StatisticsForm, today: date) -> tuple[date, date]:
    """The range ``form`` asks for (default: this year to date), put right — an end
    before the start, or more than MAX_YEARS after it — with the reason on the form."""
    first, last = date(today.year, 1, 1), today
    if form.validate():
        first, last = form.start.data or first, form.end.data or last
    if last < first:
        form.end.errors.append(_("结束日期不能早于开始日期"))
        last = first
    if last > statistics.longest_range_end(first):
        form.end.errors.append(_("一次最多统计 %(n)s 年", n=statistics.MAX_YEARS))
        last = statistics.longest_range_end(first)
    form.start.data, form.end.data = first, last  # the fields show the range shown
    return first, last


def _statistics(me: User, first: date, last: date, group: str, today: date) -> tuple:
    """Everything the statistics page shows (kept a minute: STATISTICS_SECONDS)."""
    rows, total, saving = statistics.report(me, first=first, last=last, group=group)
    years, since = (statistics.cumulative(me, today=today) if me.has_role(Role.ADMIN)
                    else ([], {}))
    charts = {name: statistics.chart(me, name, first=first, last=last)
              for name in statistics.CHARTS}
    return rows, total, saving, years, since, charts


def _years_csv(years, since) -> list[list]:
    fields = statistics.YEAR_FIELDS
    return ([[_("年份"), *(str(label) for label in fields.values())]]
            + [[y.year, *(y.values[k] for k in fields)] for y in years]
            + [[_("累计"), *(since[k] for k in fields)]])


@bp.post("/statistics/year")
@limiter.limit(WRITE_LIMIT)
@role_required(Role.ADMIN)
def statistics_year():
    """Enter (or correct) an earlier year's programme-wide totals."""
    form = YearForm()
    if form.validate_on_submit():
        statistics.set_year(form.year.data, {k: form[k].data for k in statistics.YEAR_FIELDS},
                            by_id=current_user.id, now=request_now())
        db.session.commit()
        fragments.clear()  # the figures kept for a minute show it at once
        flash(_("已保存 %(year)s 年的数字", year=form.year.data), "success")
    else:
        for field in form:
            for error in field.errors:
                flash(f"{field.label.text}：{error}", "error")
    return redirect(url_for(".statistics_page") + "#since")


CHART_COLOURS = ("#0b4f8a", "#c0392b")  # the site's blue and red, dark enough on white


@bp.get("/statistics/<any(months, townships, kinds):name>.<any(svg, csv):kind>")
@role_required(Role.ADMIN, Role.COORDINATOR, Role.INSTITUTION_ADMIN)
def statistics_chart(name: str, kind: str):
    """A chart of the statistics page as SVG (drawn by a template: no script, no style,
    nothing fetched) or its data table as CSV, for ``?start=&end=``."""
    me = db.session.get(User, current_user.id)
    first, last = _range(StatisticsForm(request.args), local_today(request_now()))
    chart = fragments.kept("statistics-chart", me.id, name, first, last,
                           build=lambda: statistics.chart(me, name, first=first, last=last),
                           seconds=current_app.config["STATISTICS_SECONDS"])
    if kind == "csv":
        header = [""] + [series for series, _values in chart.series]
        body = [[category, *(values[i] for _s, values in chart.series)]
                for i, category in enumerate(chart.categories)]
        return csv_response([header, *body], f"chart-{name}-{first}-{last}.csv")
    svg = render_template("admin/chart.svg", chart=chart, colours=CHART_COLOURS)
    return current_app.response_class(svg, mimetype="image/svg+xml")


@bp.post("/statistics/saving")
@limiter.limit(WRITE_LIMIT)
@role_required(Role.ADMIN)
def statistics_saving():
    form = SavingForm()
    if form.validate_on_submit():
        statistics.set_saving(form.saving_per_visit.data, by_id=current_user.id,
                              now=request_now())
        db.session.commit()
        fragments.clear()  # the figures kept for a minute show it at once
        flash(_("已保存"), "success")
    else:
        for error in form.saving_per_visit.errors:
            flash(error, "error")
    return redirect(url_for(".statistics_page"))


@bp.get("/posters")
@role_required(Role.ADMIN)
def posters_all():
    """A week's posters for every township in one document: print it once."""
    monday = posters.parse_week(request.args.get("week"), local_today(request_now()))
    townships = db.session.scalars(select(Township).where(Township.is_enabled)
                                   .order_by(Township.id)).all()
    return render_template("scheduling/poster.html", posters=[
        posters.township_poster(t, monday, site_url(url_for("web.home", township=t.id)))
        for t in townships])

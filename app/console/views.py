"""The staff console. Each handler loads (404), authorises (403, or 404 for a session
outside the staff member's venues and experts), calls one service, commits and
redirects; a DomainError becomes a message and changes nothing."""

import re
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.labels import STAFF_ROLES
from app.auth.models import Role, User
from app.auth.views import role_required
from app.bookings.labels import BOOKING_STATUS_LABELS
from app.bookings.models import BookingStatus
from app.bookings.services import desk, stopping
from app.bookings.services.policy import current_policy
from app.console import access, outcomes, proposals, queries
from app.console.forms import (
    AuditFilterForm,
    CancelForm,
    CheckInForm,
    DateRangeForm,
    OutcomeForm,
    PolicyForm,
    SessionEditForm,
    SessionForm,
    StopForm,
    WalkInForm,
)
from app.console.labels import (
    ACTION_LABELS,
    ID_FIELDS,
    MESSAGE_STATUS_LABELS,
    OBJECT_LABELS,
    SOURCE_LABELS,
    VALUE_LABELS,
    field_label,
)
from app.console.services import save_policy, staff_cancel
from app.core.clock import request_now
from app.core.errors import DomainError
from app.core.formatting import short_datetime
from app.core.phones import is_mobile
from app.core.time import local_today, plausible_day, to_local
from app.directory.models import Expert
from app.directory.queries import specialties
from app.extensions import db
from app.scheduling.circuit import circuit as expert_circuit
from app.scheduling.conflicts import travel_times
from app.scheduling.labels import STATUS_LABELS
from app.scheduling.models import Session, SessionOutcome, SessionStatus
from app.scheduling.queries import places_left
from app.scheduling.services import (
    create_session,
    discard_draft,
    plan_of_session,
    update_session,
)

bp = Blueprint("console", __name__)

# How the audit log recorded a moment: ISO 8601 with its UTC offset.
AUDIT_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?\+00:00")
STATUS_NAMES = {str(status): label
                for labels in (BOOKING_STATUS_LABELS, STATUS_LABELS, MESSAGE_STATUS_LABELS)
                for status, label in labels.items()}

staff_required = role_required(*access.STAFF_ROLES)
planner_required = role_required(*access.MANAGER_ROLES)
admin_required = role_required(Role.ADMIN)
DEFAULT_DAYS = 7
AUDIT_PER_PAGE = 50


@bp.app_template_global()
def my_experts() -> list[Expert]:
    """For the console's links: the expert the signed-in account is, or assists."""
    return access.busy_experts(_me()) if not _me().has_role(Role.ADMIN) else []


@bp.app_template_global()
def can_manage_session(session_id: int) -> bool:
    """For the public session page: whether to show this visitor the way to the console
    (staff only: the session is read for them)."""
    if not (current_user.is_authenticated and current_user.is_staff):
        return False
    session = db.session.get(Session, session_id)
    return session is not None and access.can_manage(current_user, session)


def _me() -> User:
    """The signed-in account's model (from the unit of work's identity map)."""
    return db.session.get(User, current_user.id)


def _load(session_id: int, *, manage: bool = False):
    session = queries.console_session(session_id) or abort(404)
    if not access.can_view(_me(), session):
        abort(404)  # outside the staff member's venues and experts: do not reveal it
    if manage and not access.can_manage(_me(), session):
        abort(403)  # an expert sees their patient list but changes nothing
    return session


def _load_booking(session_id: int, booking_id: int):
    session = _load(session_id, manage=True)
    return session, queries.booking_in(session, booking_id) or abort(404)


def _back(session_id: int, anchor: str = "main"):
    """The session's console page; at the top of its content unless ``anchor`` says
    where (a redirect without one would keep the anchor of the form that posted)."""
    return redirect(url_for("console.session", session_id=session_id, _anchor=anchor))


def _act(session_id: int, action, success, *, row: int | None = None):
    """Run one service in a write transaction; flash ``success(result)`` or the refusal.
    ``row``: the booking acted on — after a success the page opens at its row, which
    shows its new status, so the desk keeps its place in a long list (a refusal opens
    at the top, where its message is)."""
    try:
        result = action()
        db.session.commit()
        flash(success(result), "success")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(session_id)
    return _back(session_id, f"booking-{row}" if row else "main")


def _slot_label(slot) -> str:
    start, end = to_local(slot.start_dt), to_local(slot.end_dt)
    return _("%(start)s–%(end)s（余 %(left)s 个号）", start=start.strftime("%H:%M"),
             end=end.strftime("%H:%M"), left=slot.public_left(request_now()))


def _checked_in(booking) -> str:
    return _("已签到：第%(n)s号 %(name)s", n=booking.queue_number, name=booking.patient.name)


# --- sessions ------------------------------------------------------------------------


@bp.get("/console")
@role_required(*STAFF_ROLES)
def index():
    if not any(_me().has_role(role) for role in access.STAFF_ROLES):  # no sessions to run
        if _me().has_role(Role.TOWNSHIP_DOCTOR):
            return redirect(url_for("console.referral_list"))
        return redirect(url_for("directory_admin.listing", slug="experts"))
    form = DateRangeForm(request.args)
    first = local_today(request_now())
    last = first + timedelta(days=DEFAULT_DAYS)
    if form.validate():
        first = form.start.data or first
        last = form.end.data or first + timedelta(days=DEFAULT_DAYS)
    last = min(max(first, last), first + timedelta(days=62))
    sessions = access.console_sessions(_me(), first=first, last=last)
    return render_template(
        "console/index.html", form=form, first=first, last=last,
        days=queries.by_local_day(sessions),
        places=places_left([s.id for s in sessions], now=request_now()),
        may_plan=access.may_plan(_me()),
        week_venues=access.planning_venues(_me()) if access.may_plan(_me()) else [],
    )


@bp.get("/console/sessions/<int:session_id>")
@staff_required
def session(session_id: int):
    return _session_page(_load(session_id))


def _session_page(session, *, check_in_form=None, walk_in_form=None, matches=None,
                  outcome_form=None):
    now = request_now()
    if walk_in_form is None:
        walk_in_form = WalkInForm(formdata=None)
    walk_in_form.fill(queries.walk_in_slots(session, now=now), _slot_label)
    outcome = db.session.get(SessionOutcome, session.id)
    if outcome_form is None:
        outcome_form = OutcomeForm(formdata=None, count=outcome.count if outcome else None)
    if session.kind in outcomes.LABELS:
        outcome_form.count.label.text = outcomes.LABELS[session.kind]
    bookings = queries.session_bookings(session.id)
    manage = access.can_manage(_me(), session)
    # A stopped session: whom no message told, for the desk to call (their record stays).
    to_call = stopping.to_call([b for b in bookings if b.status == BookingStatus.STOPPED]
                               ) if manage and session.status == SessionStatus.STOPPED else []
    return render_template(
        "console/session.html", session=session, now=now, outcome=outcome,
        outcome_form=outcome_form, outcome_window=outcomes.window(session, now=now),
        outcome_label=outcomes.LABELS.get(session.kind),
        check_in=desk.check_in_window(session.start_dt, now=now),
        bookings=bookings, manage=manage, matches=matches, to_call=to_call,
        patient_view=access.patient_view_for(_me(), session),
        check_in_form=check_in_form or CheckInForm(formdata=None),
        walk_in_form=walk_in_form, source_labels=SOURCE_LABELS,
    )


@bp.post("/console/sessions/<int:session_id>/outcome")
@staff_required
def record_outcome(session_id: int):
    """The session's outcome (operations, ward-round patients, walk-in head count)."""
    session = _load(session_id, manage=True)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _session_page(session, outcome_form=form)
    try:
        outcomes.record(session, form.count.data, by=_me(), now=request_now())
    except DomainError as error:
        db.session.rollback()
        form.count.errors.append(error.message)
        return _session_page(session, outcome_form=form)
    db.session.commit()
    flash(_("已记录"), "success")
    return _back(session_id)


@bp.post("/console/sessions/<int:session_id>/check-in")
@staff_required
def check_in_search(session_id: int):
    session = _load(session_id, manage=True)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _session_page(session, check_in_form=form)
    matches = desk.find_for_check_in(session.id, form.q.data)
    if not matches:
        flash(_("没有找到预约码或手机号为 %(q)s 的有效预约", q=form.q.data), "error")
        return _back(session_id)
    if len(matches) > 1 or matches[0].status != BookingStatus.CONFIRMED:
        return _session_page(session, check_in_form=form, matches=matches)
    booking = matches[0]
    return _act(session_id, lambda: desk.check_in(booking, by=_me(), now=request_now()),
                _checked_in, row=booking.id)


@bp.post("/console/sessions/<int:session_id>/bookings/<int:booking_id>/check-in")
@staff_required
def check_in(session_id: int, booking_id: int):
    _session, booking = _load_booking(session_id, booking_id)
    return _act(session_id, lambda: desk.check_in(booking, by=_me(), now=request_now()),
                _checked_in, row=booking_id)


@bp.post("/console/sessions/<int:session_id>/bookings/<int:booking_id>/no-show")
@staff_required
def no_show(session_id: int, booking_id: int):
    _session, booking = _load_booking(session_id, booking_id)
    return _act(session_id, lambda: desk.mark_no_show(booking, by=_me(), now=request_now()),
                lambda b: _("已标记爽约：第%(n)s号 %(name)s", n=b.queue_number,
                            name=b.patient.name), row=booking_id)


@bp.route("/console/sessions/<int:session_id>/bookings/<int:booking_id>/cancel",
          methods=["GET", "POST"])
@staff_required
def cancel(session_id: int, booking_id: int):
    session, booking = _load_booking(session_id, booking_id)
    form = CancelForm()
    if form.validate_on_submit():
        return _act(session_id, lambda: staff_cancel(booking, form.reason.data, by=_me(),
                                                     now=request_now()),
                    lambda b: _("已取消：第%(n)s号 %(name)s", n=b.queue_number,
                                name=b.patient.name), row=booking_id)
    return render_template("console/cancel.html", session=session, booking=booking, form=form)


@bp.post("/console/sessions/<int:session_id>/walk-in")
@staff_required
def walk_in(session_id: int):
    session = _load(session_id, manage=True)
    form = WalkInForm()
    # Every slot of this session is a valid choice, so that a repeated submit reaches
    # the service (which replays it) even when the first one took the last place.
    form.fill(session.slots, _slot_label)
    if form.validate_on_submit():
        try:
            patient = desk.register_walk_in(name=form.name.data, phone=form.phone.data,
                                            id_number=form.id_number.data)
            db.session.commit()
            booking = desk.book_walk_in(form.slot.data, patient, by=_me(), now=request_now(),
                                        idempotency_key=form.nonce.data)
            db.session.commit()
            flash(_("已挂号：%(name)s，第%(n)s号，预约码 %(code)s", name=booking.patient.name,
                    n=booking.queue_number, code=booking.code), "success")
            return redirect(url_for("console.slip", session_id=session_id,
                                    booking_id=booking.id))
        except DomainError as error:
            db.session.rollback()
            form.slot.errors.append(error.message)
    return _session_page(session, walk_in_form=form)


@bp.get("/console/sessions/<int:session_id>/bookings/<int:booking_id>")
@staff_required
def slip(session_id: int, booking_id: int):
    """A printable slip with the queue number and booking code."""
    session = _load(session_id)
    booking = queries.booking_in(session, booking_id) or abort(404)
    return render_template("console/slip.html", session=session, booking=booking,
                           patient=access.patient_view_for(_me(), session).show(booking.patient),
                           patient_has_mobile=is_mobile(booking.patient.phone),
                           source_labels=SOURCE_LABELS)


@bp.post("/console/sessions/<int:session_id>/publish")
@staff_required
def publish(session_id: int):
    session = _load(session_id, manage=True)
    return _act(session_id, lambda: stopping.publish_session(session, by=_me(),
                                                             now=request_now()),
                lambda _s: _("已发布，居民现在可以看到并预约本场。"))


@bp.post("/console/sessions/<int:session_id>/discard")
@staff_required
def discard(session_id: int):
    """Delete a draft (it was never public): the coordinator's planning list, after."""
    session = _load(session_id, manage=True)
    try:
        discard_draft(session, by=_me(), now=request_now())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(session_id)
    flash(_("草稿已删除。"), "success")
    return redirect(url_for("console.index"))


@bp.route("/console/sessions/<int:session_id>/stop", methods=["GET", "POST"])
@staff_required
def stop(session_id: int):
    session = _load(session_id, manage=True)
    form = StopForm()
    if form.validate_on_submit():
        try:
            stopped = stopping.stop_session(session, form.reason.data, by=_me(),
                                            now=request_now())
            db.session.commit()
            flash(_("本场已停诊，已通知 %(n)s 位患者。", n=stopped.told), "success")
            if stopped.to_call:
                flash(_("以下 %(n)s 位患者没有手机号，收不到停诊通知，请电话告知：%(who)s",
                        n=len(stopped.to_call), who=_who_to_call(stopped.to_call)), "error")
            return _back(session_id)
        except DomainError as error:
            db.session.rollback()
            form.reason.errors.append(error.message)
    active = [b for b in queries.session_bookings(session.id) if b.is_active]
    return render_template("console/stop.html", session=session, form=form,
                           active=len(active), to_call=stopping.to_call(active))


def _who_to_call(people: list[stopping.ToCall]) -> str:
    return "；".join(_("%(n)s号 %(name)s %(phone)s", n=p.queue_number, name=p.name,
                       phone=p.phone or _("未留电话")) for p in people)


@bp.route("/console/sessions/new", methods=["GET", "POST"])
@planner_required
def new_session():
    me = _me()
    form = SessionForm()
    form.fill(access.planning_venues(me), access.planning_experts(me), specialties())
    if form.validate_on_submit():
        plan = form.to_plan()
        if not access.can_plan(me, plan.venue_id, plan.expert_ids):
            form.venue.errors.append(_("您只能在自己负责的地点、或为自己协助的专家安排场次"))
        else:
            try:
                created = create_session(plan, by=me, now=request_now())
                if form.proposal.data:
                    proposals.mark_planned(form.proposal.data, session=created, by=me,
                                           now=request_now())
                db.session.commit()
                flash(_("场次已创建。"), "success")
                return redirect(url_for("console.session", session_id=created.id))
            except DomainError as error:
                db.session.rollback()
                field = getattr(error, "field", None)
                (form[field] if field else form.day).errors.extend(
                    getattr(error, "lines", [error.message]))
    elif not form.is_submitted():
        form.day.data = local_today(request_now()) + timedelta(days=1)
        if request.args:  # planned from a cell of a venue's week: venue, day, times
            form.process(request.args, day=form.day.data)
    form.hometown_experts_first()
    return render_template("console/new_session.html", form=form)


@bp.route("/console/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_session(session_id: int):
    """Change a draft or published session before it starts: time, place, experts,
    slots, title. Booked patients hear of a new time, place or experts (those no
    message reaches are listed for the desk to call); a new capacity is not news."""
    session = _load(session_id, manage=True)
    me = _me()
    venues = access.planning_venues(me)
    experts = access.planning_experts(me)
    # Its own venue and experts stay choices even where the planner could not pick them.
    venues += [session.venue] if session.venue not in venues else []
    experts += [e for e in session.experts if e not in experts]
    form = SessionEditForm()
    form.fill(venues, experts, specialties())
    if form.validate_on_submit():
        plan = form.to_plan(status=session.status)
        if (plan.venue_id, sorted(plan.expert_ids)) != (
                session.venue_id, sorted(e.id for e in session.experts)) and \
                not access.can_plan(me, plan.venue_id, plan.expert_ids):
            form.venue.errors.append(_("您只能在自己负责的地点、或为自己协助的专家安排场次"))
        else:
            try:
                now = request_now()
                reshaped = update_session(session, plan, by=me, now=now)
                told = stopping.sessions_moved([session_id], now=now) if reshaped.moved \
                    and session.status == SessionStatus.PUBLISHED else None
                db.session.commit()
            except DomainError as error:
                db.session.rollback()
                field = getattr(error, "field", None)
                (form[field] if field and field in form else form.day).errors.extend(
                    getattr(error, "lines", [error.message]))
            else:
                flash_told(_("场次已修改。") if reshaped.changed else _("没有改动。"), told)
                return _back(session_id)
    elif not form.is_submitted():
        form.load(plan_of_session(session))
    form.hometown_experts_first()
    return render_template("console/edit_session.html", form=form, session=session,
                           booked=session.last_queue_number > 0)


def flash_told(done: str, told: stopping.Told | None) -> None:
    """A change's flash: what was done, how many booked patients were told, and whom
    no message reaches, for the desk to call."""
    if told and told.told:
        done += " " + _("已通知 %(n)s 位预约的患者。", n=told.told)
    flash(done, "success")
    if told and told.to_call:
        flash(_("以下 %(n)s 位患者没有手机号，收不到改动通知，请电话告知：%(who)s",
                n=len(told.to_call), who=_who_to_call(told.to_call)), "error")


@bp.get("/console/venues/<int:venue_id>/week")
@planner_required
def venue_week(venue_id: int):
    """A venue's week for its desk's wall: days × morning / afternoon / evening, each
    cell's sessions with booked / capacity, a way to plan in an empty cell; prints on
    one A4 landscape page. The venue's coordinators and admins."""
    venue = next((v for v in access.planning_venues(_me()) if v.id == venue_id), None)
    if venue is None:
        abort(404)
    today = local_today(request_now())
    first = plausible_day(request.args.get("start"), today)
    first -= timedelta(days=first.weekday())  # the Monday of that week
    cells = queries.venue_week(venue.id, first)
    sessions = [s for cell in cells.values() for s in cell]
    return render_template(
        "console/venue_week.html", venue=venue, first=first,
        days=[first + timedelta(days=n) for n in range(7)], parts=queries.DAY_PARTS,
        cells=cells, places=places_left([s.id for s in sessions], now=request_now()), today=today,
        part_labels={"morning": _("上午"), "afternoon": _("下午"), "evening": _("晚上")})


@bp.get("/console/experts/<int:expert_id>/circuit")
@staff_required
def circuit(expert_id: int):
    """An expert's sessions across every venue for a week (``span=week``, from Monday)
    or a month (``span=month``), with the travel leg between consecutive sessions of a
    day; clashes and too-short legs marked. Prints for the expert's assistant."""
    expert = db.session.get(Expert, expert_id)
    if expert is None or not access.can_see_circuit(_me(), expert_id):
        abort(404)
    today = local_today(request_now())
    start = plausible_day(request.args.get("start"), today)
    month = request.args.get("span") == "month"
    if month:
        first = start.replace(day=1)
        last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
        before, after = (first - timedelta(days=1)).replace(day=1), last + timedelta(days=1)
    else:
        first = start - timedelta(days=start.weekday())
        last = first + timedelta(days=6)
        before, after = first - timedelta(days=7), first + timedelta(days=7)
    days = expert_circuit(expert_id, first=first, last=last, travel=travel_times())
    legs = [stop.leg for _day, stops in days for stop in stops if stop.leg]
    return render_template(
        "console/circuit.html", expert=expert, days=days, first=first, last=last,
        month=month, before=before, after=after,
        clashes=sum(leg.clash for leg in legs), short=sum(leg.too_short for leg in legs))


# --- the admin's pages ---------------------------------------------------------------


@bp.route("/admin/policy", methods=["GET", "POST"])
@admin_required
def policy():
    form = PolicyForm()
    if form.validate_on_submit():
        try:
            changed = save_policy(form.values(), by=_me(), now=request_now())
            db.session.commit()
            flash(_("预约规则已保存。") if changed else _("没有改动。"), "success")
            return redirect(url_for("console.policy"))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    elif not form.is_submitted():
        form.load(current_policy())
    return render_template("console/policy.html", form=form)


@bp.get("/admin/audit")
@admin_required
def audit_log():
    form = AuditFilterForm(request.args)
    form.fill(queries.audit_object_types(), OBJECT_LABELS)
    pagination = None
    if form.validate():
        actor_id = None
        if form.actor.data:
            actor = queries.user_by_phone(form.actor.data)
            if actor is None:
                form.actor.errors.append(_("没有这个手机号的账号"))
            actor_id = actor.id if actor else None
        if not form.actor.errors:
            pagination = queries.audit_page(
                object_type=form.object_type.data or None, actor_id=actor_id,
                page=form.page.data or 1,
                per_page=current_app.config.get("AUDIT_PAGE_SIZE", AUDIT_PER_PAGE))
    return render_template(
        "console/audit.html", form=form, pagination=pagination,
        actors=queries.actors(pagination.items) if pagination else {},
        names=queries.audit_names(pagination.items, ID_FIELDS) if pagination else {},
        page_args={k: v for k, v in request.args.items() if k != "page" and v},
        action_labels=ACTION_LABELS, object_labels=OBJECT_LABELS, field_label=field_label,
    )


@bp.app_template_filter()
def audit_value(value, key: str = "", names: dict | None = None):
    """A value an audit entry recorded, as the log shows it: a moment in the
    programme's zone and the reader's language (recorded as ISO 8601 in UTC), a status,
    kind, role or half day by its name, an id of a venue, expert … by the row's name
    (``names``, from ``queries.audit_names``), yes or no, a list item by item; anything
    else as recorded."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(audit_value(v, key, names)) for v in value) or "—"
    if key in ID_FIELDS and isinstance(value, int):
        return (names or {}).get((ID_FIELDS[key], value), f"#{value}")
    if isinstance(value, str) and AUDIT_MOMENT.fullmatch(value):
        return short_datetime(datetime.fromisoformat(value))
    if isinstance(value, str) and value in STATUS_NAMES:
        return STATUS_NAMES[value]
    if isinstance(value, str) and value in VALUE_LABELS:
        return str(VALUE_LABELS[value])
    return value

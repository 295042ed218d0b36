"""Residents book, cancel, reschedule and wait-list: short handlers over the services."""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.auth.models import Role
from app.bookings import queries
from app.bookings.forms import ActionForm, BookForm, CancelForm, RescheduleForm, WaitlistForm
from app.bookings.models import BookingStatus
from app.bookings.services import changes, engine, waitlist
from app.core.clock import request_now
from app.core.errors import DomainError
from app.extensions import db, limiter

bp = Blueprint("bookings", __name__)
BOOK_LIMIT = "30/minute"  # per account; the API's bookings share it


@bp.app_template_global()
def waitlist_offers() -> list[queries.Offer]:
    """The signed-in account's open waitlist offers, for the banner at the top of
    every page until they are answered (one indexed read per page; none for visitors)."""
    if not current_user.is_authenticated:
        return []
    if "waitlist_offers" not in g:
        g.waitlist_offers = queries.open_offers(current_user.id, now=request_now())
    return g.waitlist_offers


def _my_patient(patient_id: int, patients=None):
    patients = queries.my_patients(current_user) if patients is None else patients
    return next((p for p in patients if p.id == patient_id), None)


def _preferred_patient(patients) -> int | None:
    """Whom the booking form chooses first among several: the one just added from it
    (``?patient=``), else the one this account booked for last."""
    if len(patients) < 2:
        return None
    return request.args.get("patient", type=int) or queries.last_booked_for(current_user)


@bp.route("/slots/<int:slot_id>/book", methods=["GET", "POST"])
@login_required
@limiter.limit(BOOK_LIMIT, methods=["POST"])
def book(slot_id: int):
    patients = queries.my_patients(current_user)
    form = BookForm()
    preferred = _preferred_patient(patients)
    form.fill(patients, preferred)
    if form.validate_on_submit():
        try:
            booked = engine.book(slot_id, _my_patient(form.patient.data, patients),
                                 by=current_user, now=request_now(),
                                 idempotency_key=form.nonce.data,
                                 professional=_professional())
            db.session.commit()
            return redirect(url_for("bookings.detail", booking_id=booked.id, new=1))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    slot = queries.slot_facts(slot_id) or abort(404)
    if not slot.is_public:
        abort(404)
    policy = slot.policy
    wait_form = None
    if slot.public_left(request_now()) <= 0:
        wait_form = WaitlistForm()
        wait_form.fill(patients, preferred)
    return render_template("bookings/book.html", slot=slot, form=form, wait_form=wait_form,
                           patients=patients, times=policy.slot_times(slot.start_dt),
                           offer_minutes=policy.waitlist_offer_minutes, now=request_now(),
                           professional=_professional())


def _professional() -> bool:
    """Township doctors book the sessions for local doctors (讲座 for 医务人员) online."""
    return current_user.has_role(Role.TOWNSHIP_DOCTOR)


@bp.post("/slots/<int:slot_id>/waitlist")
@login_required
@limiter.limit("30/minute")
def join_waitlist(slot_id: int):
    form = WaitlistForm()
    form.fill(queries.my_patients(current_user))
    if not form.validate_on_submit():
        flash(_("请选择就诊人"), "error")
        return redirect(url_for("bookings.book", slot_id=slot_id))
    try:
        entry = waitlist.join_waitlist(slot_id, _my_patient(form.patient.data),
                                       by=current_user, now=request_now(),
                                       professional=_professional())
        db.session.commit()
        flash(_("已登记候补，排在第%(n)s位。有空位时会短信通知您。",
                n=waitlist.position(entry)), "success")
        return redirect(url_for("bookings.my_waitlist"))
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("bookings.book", slot_id=slot_id))


@bp.get("/bookings")
@login_required
def my_bookings():
    return render_template("bookings/list.html", bookings=queries.my_bookings(current_user))


@bp.get("/bookings/<int:booking_id>")
@login_required
def detail(booking_id: int):
    booking = _mine_or_404(booking_id)
    return render_template("bookings/detail.html", booking=booking,
                           new=request.args.get("new") == "1")


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """Cancelling asks once: a page whose big default button keeps the booking."""
    booking = _mine_or_404(booking_id)
    if booking.status != BookingStatus.CONFIRMED:
        return redirect(url_for("bookings.detail", booking_id=booking_id))
    form, problem = CancelForm(), None
    if form.validate_on_submit():
        try:
            changes.cancel_booking(booking, by=current_user, now=request_now(),
                                  reason=form.reason.data or "")
            db.session.commit()
            flash(_("预约已取消。"), "success")
            return redirect(url_for("bookings.detail", booking_id=booking_id))
        except DomainError as error:
            db.session.rollback()
            problem = error.message
    # Too late (or no longer cancellable): the page says so and offers no button.
    problem = problem or changes.why_not_cancel(booking, now=request_now())
    return render_template("bookings/cancel.html", booking=booking, form=form,
                           problem=problem)


@bp.route("/bookings/<int:booking_id>/reschedule", methods=["GET", "POST"])
@login_required
def reschedule(booking_id: int):
    booking = _mine_or_404(booking_id, own=True)
    targets = changes.reschedule_targets(booking, now=request_now())
    form = RescheduleForm()
    form.slot.choices = [SelectChoice(s.id, str(s.id)) for s in targets]
    if form.validate_on_submit():
        try:
            changes.reschedule_booking(booking, form.slot.data, by=current_user,
                                      now=request_now())
            db.session.commit()
            flash(_("已改约。"), "success")
            return redirect(url_for("bookings.detail", booking_id=booking_id))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            booking = _mine_or_404(booking_id, own=True)
            targets = changes.reschedule_targets(booking, now=request_now())
    return render_template("bookings/reschedule.html", booking=booking, targets=targets,
                           form=form)


@bp.get("/waitlist")
@login_required
def my_waitlist():
    entries = queries.my_waitlist(current_user)
    return render_template("bookings/waitlist.html", entries=entries, form=ActionForm(),
                           positions={e.id: waitlist.position(e) for e in entries})


@bp.post("/waitlist/<int:entry_id>/accept")
@login_required
def accept_offer(entry_id: int):
    return _waitlist_action(entry_id, waitlist.accept_offer)


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave_waitlist(entry_id: int):
    return _waitlist_action(entry_id, waitlist.leave_waitlist, _("已退出候补。"))


def _waitlist_action(entry_id: int, action, success: str = ""):
    """Run a waitlist ``action`` on one of the account's entries: a booking made opens
    its page (which says 预约成功), anything else flashes ``success`` on the waitlist."""
    try:
        entry = waitlist.my_entry(entry_id, current_user)
    except DomainError:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            result = action(entry, by=current_user, now=request_now())
            db.session.commit()
            if result is not None:  # the booking's page says 预约成功 itself
                return redirect(url_for("bookings.detail", booking_id=result.id, new=1))
            flash(success, "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("bookings.my_waitlist"))


def _mine_or_404(booking_id: int, *, own: bool = False):
    """A booking the user may see and cancel; ``own``: one their account made."""
    try:
        if own:
            return changes.get_own_booking(booking_id, current_user)
        return changes.get_booking_for(booking_id, current_user)
    except DomainError:
        abort(404)

"""Referral places (转诊号源) in the console: a township doctor — or a coordinator of
the venue, or an admin — books a referred patient into a session's reserved places
before they join the public pool. The rules are app.bookings.services.referrals."""

from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.auth.models import Role
from app.auth.views import role_required
from app.bookings import queries
from app.bookings.forms import ActionForm
from app.bookings.models import Booking, BookingSource
from app.bookings.services import changes, referrals
from app.console.forms import ReferralForm
from app.console.views import _me, bp
from app.core.clock import request_now
from app.core.errors import DomainError
from app.core.time import to_local
from app.extensions import db, limiter

referrer_required = role_required(Role.ADMIN, Role.COORDINATOR, Role.TOWNSHIP_DOCTOR)
WRITE_LIMIT = "30 per minute"  # per account


def _referral_label(slot, now) -> str:
    return _("%(start)s–%(end)s（转诊号余 %(left)s 个）",
             start=to_local(slot.start_dt).strftime("%H:%M"),
             end=to_local(slot.end_dt).strftime("%H:%M"),
             left=slot.held_for_referrals(now))


@bp.get("/console/referrals")
@referrer_required
def referral_list():
    """The sessions still to come that hold referral places this account may use, and
    the patients it referred (the last 30 days' and those to come), each cancellable
    while it is confirmed."""
    now = request_now()
    return render_template("console/referrals.html", now=now,
                           sessions=referrals.referral_sessions(_me(), now=now),
                           referred=queries.referred_by(_me().id,
                                                        since=now - timedelta(days=30)),
                           form=ActionForm())


@bp.post("/console/referrals/bookings/<int:booking_id>/cancel")
@limiter.limit(WRITE_LIMIT)
@referrer_required
def cancel_referral(booking_id: int):
    """The referring doctor cancels a referral (the patient cannot come): the place goes
    back among the referral places while they are held; the patient is told."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.booked_by_id != _me().id or \
            booking.source != BookingSource.REFERRAL:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = booking.patient.name
    try:
        changes.cancel_booking(booking, by=_me(), now=request_now(), staff=True,
                               reason=_("转诊医生取消"))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("已取消%(name)s的转诊预约。", name=name), "success")
    return redirect(url_for("console.referral_list", _anchor="referred"))


@bp.route("/console/referrals/<int:session_id>", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@referrer_required
def refer(session_id: int):
    session = referrals.referral_session(_me(), session_id) or abort(404)
    now = request_now()
    form = ReferralForm()
    held = [s for s in session.slots if s.held_for_referrals(now) > 0]
    form.fill(held or session.slots, lambda slot: _referral_label(slot, now))
    if form.validate_on_submit():
        try:
            booking = referrals.book_referral(
                form.slot.data, name=form.name.data, id_number=form.id_number.data,
                phone=form.phone.data, note=form.note.data, by=_me(), now=now,
                idempotency_key=form.nonce.data)
            name, number, code = booking.patient.name, booking.queue_number, booking.code
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.slot.errors.append(error.message)
        else:
            flash(_("已转诊：%(name)s，第%(n)s号，预约码 %(code)s（短信已发给病人）",
                    name=name, n=number, code=code), "success")
            return redirect(url_for("console.referral_list"))
    return render_template("console/refer.html", session=session, form=form, now=now,
                           held=held or form.errors)

"""Staff through the API: plan, change, publish and stop sessions, check in, mark
no-shows, read a session's patient list — with the console's access rules
(app.console.access) and the same services.

A session outside the staff member's venues and experts is "not found"; one they may
see but not change (an expert's own) is "forbidden", as in the console.
"""

from dataclasses import replace
from datetime import timedelta

from flask import abort
from flask_babel import gettext as _

from app.api.auth import api_user, staff_required
from app.api.core import api_blueprint
from app.api.fields import ID_PATH
from app.api.schemas import SessionSchema
from app.api.staff_schemas import (
    SessionCreateSchema,
    SessionUpdateSchema,
    StaffBookingSchema,
    StaffRangeSchema,
    StopSchema,
)
from app.api.views_support import Annotated, with_places
from app.bookings.services import desk, stopping
from app.console import access, queries
from app.core.clock import request_now
from app.core.errors import Forbidden
from app.core.time import local_today, to_local
from app.scheduling.models import SessionStatus
from app.scheduling.services import (
    SessionPlan,
    create_session,
    discard_draft,
    plan_of_session,
    update_session,
)

blp = api_blueprint("staff", __name__, "Staff: plan, publish and stop sessions at your venues "
                                       "or for your experts; check-in and no-shows (Bearer "
                                       "token of a staff account)")
DEFAULT_DAYS = 7


def _load(session_id: int, *, manage: bool = False):
    session = queries.console_session(session_id) or abort(404)
    if not access.can_view(api_user(), session):
        abort(404)
    if manage and not access.can_manage(api_user(), session):
        abort(403)
    return session


def _load_booking(session_id: int, booking_id: int):
    session = _load(session_id, manage=True)
    return session, queries.booking_in(session, booking_id) or abort(404)


def _check_may_plan(plan: SessionPlan) -> None:
    if not access.can_plan(api_user(), plan.venue_id, plan.expert_ids):
        raise Forbidden(_("您只能在自己负责的地点、或为自己协助的专家安排场次"))


def _times(data: dict) -> dict:
    """ISO start and end times as the plan's local day and wall-clock times."""
    times = {}
    if "starts_at" in data:
        start = to_local(data["starts_at"])
        times.update(day=start.date(), start=start.time().replace(tzinfo=None))
    if "ends_at" in data:
        times["end"] = to_local(data["ends_at"]).time().replace(tzinfo=None)
    return times


def _dump(session) -> Annotated:
    return with_places([session])[0]


@blp.get("/staff/sessions")
@staff_required
@blp.arguments(StaffRangeSchema, location="query")
@blp.response(200, SessionSchema(many=True))
def sessions(args):
    """The sessions you may see, drafts and stopped ones included, from ``start``
    (default: today) for a week (at most 62 days), in time order."""
    first = args["start"] or local_today(request_now())
    last = args["end"] or first + timedelta(days=DEFAULT_DAYS)
    return with_places(access.console_sessions(api_user(), first=first, last=last))


@blp.get(f"/staff/sessions/<{ID_PATH}:session_id>")
@staff_required
@blp.response(200, SessionSchema)
def session(session_id: int):
    return _dump(_load(session_id))


@blp.post("/staff/sessions")
@staff_required
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
def create(data):
    """Plan a one-off session, as /console/sessions/new does: a clinic is cut into
    ``slot_minutes`` slots of ``per_slot`` patients, a lecture, forum or teaching visit
    has one slot of ``seats``; an expert who is not free (overlap, travel time, busy
    times) is a 409 ``clash``."""
    if not access.may_plan(api_user()):
        raise Forbidden(_("没有权限进行这个操作"))
    status = SessionStatus.PUBLISHED if data.pop("publish") else SessionStatus.DRAFT
    times = _times(data)
    for key in ("starts_at", "ends_at"):
        data.pop(key)
    plan = SessionPlan(**data, **times, status=status)
    _check_may_plan(plan)
    created = create_session(plan, by=api_user(), now=request_now())
    return _dump(_load(created.id))


@blp.patch(f"/staff/sessions/<{ID_PATH}:session_id>")
@staff_required
@blp.arguments(SessionUpdateSchema, required=False)
@blp.response(200, SessionSchema)
def update(data, session_id: int):
    """Change a draft or published session that has not started; only the fields sent
    change. Booked patients are told of a new time or place (SMS and inbox)."""
    found = _load(session_id, manage=True)
    current = plan_of_session(found)
    fields = {k: v for k, v in data.items() if k not in ("starts_at", "ends_at")}
    plan = replace(current, **fields, **_times(data))
    _check_may_plan(plan)
    now = request_now()
    if update_session(found, plan, by=api_user(), now=now).moved and found.status == \
            SessionStatus.PUBLISHED:
        stopping.sessions_moved([session_id], now=now)
    return _dump(_load(session_id))


@blp.delete(f"/staff/sessions/<{ID_PATH}:session_id>")
@staff_required
@blp.response(204)
def discard(session_id: int):
    """Delete a draft (it was never public, nobody booked it). A published session is
    stopped instead (停诊, ``/stop``); a draft cannot be stopped."""
    discard_draft(_load(session_id, manage=True), by=api_user(), now=request_now())


@blp.post(f"/staff/sessions/<{ID_PATH}:session_id>/publish")
@staff_required
@blp.response(200, SessionSchema)
def publish(session_id: int):
    stopping.publish_session(_load(session_id, manage=True), by=api_user(), now=request_now())
    return _dump(_load(session_id))


@blp.post(f"/staff/sessions/<{ID_PATH}:session_id>/stop")
@staff_required
@blp.arguments(StopSchema)
@blp.response(200, SessionSchema)
def stop(data, session_id: int):
    """Stop the session (停诊): every booking is stopped and its patient told at once,
    with the nearest alternative sessions of the same specialty — those a message
    reaches: a walk-in with a landline or no phone is for the venue to call (the
    stopped session's console page lists them)."""
    stopping.stop_session(_load(session_id, manage=True), data["reason"], by=api_user(),
                          now=request_now())
    return _dump(_load(session_id))


@blp.get(f"/staff/sessions/<{ID_PATH}:session_id>/bookings")
@staff_required
@blp.response(200, StaffBookingSchema(many=True))
def bookings(session_id: int):
    """The patient list in queue order; ID numbers masked, phones whole for those who
    run the session (its venue's coordinators, its experts' assistants, admins) and
    masked for an expert."""
    found = _load(session_id)
    view = access.patient_view_for(api_user(), found)
    return [_shown(b, view) for b in queries.session_bookings(found.id)]


@blp.post(f"/staff/sessions/<{ID_PATH}:session_id>/bookings/<{ID_PATH}:booking_id>/check-in")
@staff_required
@blp.response(200, StaffBookingSchema)
def check_in(session_id: int, booking_id: int):
    found, booking = _load_booking(session_id, booking_id)
    view = access.patient_view_for(api_user(), found)
    done = desk.check_in(booking, by=api_user(), now=request_now())
    return _shown(done, view)


@blp.post(f"/staff/sessions/<{ID_PATH}:session_id>/bookings/<{ID_PATH}:booking_id>/no-show")
@staff_required
@blp.response(200, StaffBookingSchema)
def no_show(session_id: int, booking_id: int):
    """A confirmed booking whose patient did not come, once the slot has started."""
    found, booking = _load_booking(session_id, booking_id)
    view = access.patient_view_for(api_user(), found)
    done = desk.mark_no_show(booking, by=api_user(), now=request_now())
    return _shown(done, view)


def _shown(booking, view: access.PatientView) -> Annotated:
    return Annotated(booking, patient=view.show(booking.patient))

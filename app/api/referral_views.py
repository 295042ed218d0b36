"""Referrals (转诊) through the API: a township health centre's own system books the
referral places (转诊号) that `/console/referrals` books, by the same rules
(app.bookings.services.referrals): a township doctor into sessions at the venues of
their health centre's township, a coordinator at their venues, an admin anywhere; a
session outside them is "not found".
"""

from flask import abort

from app.api.auth import api_user, roles_required
from app.api.core import api_blueprint
from app.api.errors import ErrorSchema
from app.api.schemas import IdempotencyHeaderSchema
from app.api.staff_schemas import ReferralCreateSchema, ReferralSchema, ReferralSessionSchema
from app.auth.models import Role
from app.bookings.services import referrals
from app.core.clock import request_now
from app.core.phones import normalize_desk_phone
from app.extensions import limiter

blp = api_blueprint("referrals", __name__, "Referrals: book a clinic's referral places "
                                           "(转诊号) for a referred patient (Bearer token "
                                           "of a township doctor, a coordinator or an admin)")
may_refer = roles_required(Role.TOWNSHIP_DOCTOR, Role.COORDINATOR, Role.ADMIN)
WRITE_LIMIT = "30 per minute"  # per account, as the console's form


@blp.get("/referrals/sessions")
@may_refer
@blp.response(200, ReferralSessionSchema(many=True))
def referral_sessions():
    """The coming published sessions you may refer into that still keep referral
    places, in time order, with each slot's unused referral places."""
    now = request_now()
    sessions = referrals.referral_sessions(api_user(), now=now)
    return [{"id": s.id, "display_title": s.display_title, "start_dt": s.start_dt,
             "end_dt": s.end_dt, "venue": s.venue, "experts": s.experts,
             "slots": [{"id": slot.id, "start_dt": slot.start_dt, "end_dt": slot.end_dt,
                        "referral_places_left": slot.held_for_referrals(now),
                        "reserved_until": slot.reserved_until}
                       for slot in s.slots if slot.held_for_referrals(now) > 0]}
            for s in sessions]


@blp.post("/referrals")
@may_refer
@limiter.limit(WRITE_LIMIT, key_func=lambda: f"referral:{api_user().id}")
@blp.arguments(ReferralCreateSchema())
@blp.arguments(IdempotencyHeaderSchema(), location="headers")
@blp.response(201, ReferralSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Refused: slot_full (no referral "
                  "place left), already_booked, limit_reached, not_bookable (also after "
                  "the places' release)")
def create_referral(data, headers):
    """Book a referred patient into one of a slot's referral places, with the note the
    expert reads; the patient gets the confirmation SMS. With an ``Idempotency-Key``
    header a repeat returns the first booking instead of booking again."""
    if not referrals.may_refer_to_slot(api_user(), data["slot_id"]):
        abort(404)
    return referrals.book_referral(
        data["slot_id"], name=data["name"], id_number=data["id_number"],
        phone=normalize_desk_phone(data["phone"]), note=data["note"], by=api_user(),
        now=request_now(), idempotency_key=headers["key"])

"""Referrals (转诊) through the API: a township health centre's own system books the
referral places (转诊号) that `/console/referrals` books, by the same rules
(app.bookings.services.referrals): a township doctor into sessions at the venues of
their health centre's township, a coordinator at their venues, an admin anywhere; a
session outside them is "not found".
"""

from flask import abort
from marshmallow import Schema, ValidationError, fields, validates

from app.api.auth import api_user, roles_required
from app.api.core import api_blueprint
from app.api.errors import ErrorSchema
from app.api.fields import Id, LocalDateTime, Text
from app.api.schemas import (
    BookingSlotSchema,
    ExpertBriefSchema,
    IdempotencyHeaderSchema,
    VenueBriefSchema,
    _enum,
)
from app.auth.models import Role
from app.bookings import queries as booking_queries
from app.bookings.models import BookingSource, BookingStatus
from app.bookings.services import referrals
from app.core.clock import request_now
from app.core.phones import InvalidPhone, normalize_desk_phone
from app.extensions import limiter

blp = api_blueprint("referrals", __name__, "Referrals: book a clinic's referral places "
                                           "(转诊号) for a referred patient (Bearer token "
                                           "of a township doctor, a coordinator or an admin)")
may_refer = roles_required(Role.TOWNSHIP_DOCTOR, Role.COORDINATOR, Role.ADMIN)
WRITE_LIMIT = "30 per minute"  # per account, as the console's form


class ReferralSlotSchema(Schema):
    id = fields.Integer(required=True)
    starts_at = LocalDateTime(required=True, attribute="start_dt")
    ends_at = LocalDateTime(required=True, attribute="end_dt")
    referral_places_left = fields.Integer(required=True, metadata={
        "description": "referral places still unused; they join the public pool at "
                       "kept_until"})
    kept_until = LocalDateTime(required=True, attribute="reserved_until")


class ReferralSessionSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True, attribute="display_title")
    starts_at = LocalDateTime(required=True, attribute="start_dt")
    ends_at = LocalDateTime(required=True, attribute="end_dt")
    venue = fields.Nested(VenueBriefSchema, required=True)
    experts = fields.List(fields.Nested(ExpertBriefSchema), required=True)
    slots = fields.List(fields.Nested(ReferralSlotSchema), required=True)


class ReferralCreateSchema(Schema):
    slot_id = Id(strict=True, required=True)
    name = Text(required=True, min_length=1, max_length=50)
    id_number = Text(required=True, min_length=1, max_length=30, metadata={
        "description": "the patient's 18-character resident ID number"})
    phone = Text(load_default="", max_length=20, metadata={
        "description": "a mobile (the patient gets the confirmation SMS) or a landline "
                       "with its area code; may be empty"})
    note = Text(required=True, min_length=1, max_length=200, metadata={
        "description": "why the patient is referred; the expert reads it"})

    @validates("phone")
    def _phone(self, value: str, **_kwargs) -> None:
        try:
            normalize_desk_phone(value)
        except InvalidPhone:
            raise ValidationError("a mobile (11 digits) or a landline with its area "
                                  "code, or empty") from None


class ReferredPatientSchema(Schema):
    name = fields.String(required=True)
    id_number = fields.String(required=True, attribute="id_number_masked",
                              metadata={"description": "masked"})
    phone = fields.String(required=True)


class ReferralSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    queue_number = fields.Integer(required=True)
    status = _enum(BookingStatus, required=True)
    source = _enum(BookingSource, required=True)
    slot = fields.Nested(BookingSlotSchema, required=True)
    patient = fields.Nested(ReferredPatientSchema, required=True)
    note = fields.String(required=True, attribute="referral_note")
    created_at = LocalDateTime(required=True, attribute="created_dt")


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
    slot = booking_queries.slot_facts(data["slot_id"])
    if slot is None or referrals.referral_session(api_user(), slot.session_id) is None:
        abort(404)
    return referrals.book_referral(
        slot.id, name=data["name"], id_number=data["id_number"],
        phone=normalize_desk_phone(data["phone"]), note=data["note"], by=api_user(),
        now=request_now(), idempotency_key=headers["key"])

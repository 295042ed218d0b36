"""Schemas of the staff endpoints: planning sessions, the patient list, referrals."""

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from app.api.fields import Id, LocalDateTime, Text
from app.api.schemas import (
    BookingSlotSchema,
    ExpertBriefSchema,
    VenueBriefSchema,
    _enum,
    clamp_days,
)
from app.bookings.models import BookingSource, BookingStatus
from app.core.phones import InvalidPhone, normalize_desk_phone
from app.core.time import to_local
from app.scheduling.models import Audience, SessionKind

MAX_STAFF_DAYS = 62


def _session_fields(required: bool) -> dict:
    """The fields of a session plan; every one optional in an update."""
    need = {"required": True} if required else {}

    def default(value):
        return {"load_default": value} if required else {}

    return {
        "venue_id": Id(strict=True, **need),
        "kind": _enum(SessionKind, **need),
        "expert_ids": fields.List(Id(strict=True), validate=validate.Length(min=1, max=10),
                                  **need),
        "specialty_id": Id(strict=True, allow_none=True, **default(None)),
        "title": Text(max_length=120, **default("")),
        "description": Text(max_length=2000, **default("")),
        "starts_at": LocalDateTime(**need),
        "ends_at": LocalDateTime(**need),
        "audience": _enum(Audience, **default(Audience.PUBLIC)),
        "slot_minutes": fields.Integer(strict=True, validate=validate.Range(min=5, max=240),
                                       **default(30)),
        "per_slot": fields.Integer(strict=True, validate=validate.Range(min=1, max=100),
                                   **default(5)),
        "seats": fields.Integer(strict=True, allow_none=True,
                                validate=validate.Range(min=1, max=5000), **default(None)),
    }


class _SameDay:
    @validates_schema
    def _same_local_day(self, data, **_kwargs):
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and to_local(start).date() != to_local(end).date():
            raise ValidationError("a session starts and ends on the same local day", "ends_at")


class SessionCreateSchema(_SameDay, Schema.from_dict(_session_fields(True))):
    publish = fields.Boolean(load_default=False, metadata={
        "description": "publish at once (default: save as a draft)"})


class SessionUpdateSchema(_SameDay, Schema.from_dict(_session_fields(False))):
    """Only the fields sent change; times must keep the session within one local day."""


class StopSchema(Schema):
    reason = Text(required=True, min_length=1, max_length=200, metadata={
        "description": "sent to every booked patient"})


class StaffRangeSchema(Schema):
    start = fields.Date(load_default=None, metadata={"description": "first local day "
                                                                    "(default: today)"})
    end = fields.Date(load_default=None, metadata={
        "description": "last local day (default: a week on; at most 62 days on)"})

    @post_load
    def _bounded(self, data, **_kwargs):
        return clamp_days(data, MAX_STAFF_DAYS)


class StaffPatientSchema(Schema):
    """A patient as ``app.console.access.patient_view_for`` shows them to the caller."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "always masked"})
    phone = fields.String(required=True, metadata={
        "description": "whole for those who run the session (its venue's coordinators, "
                       "its experts' assistants, admins); masked (139****0001) for an "
                       "expert"})


class _BookingForStaffSchema(Schema):
    """What staff read of any booking; the patient as each kind of staff may see them."""

    id = fields.Integer(required=True)
    code = fields.String(required=True)
    queue_number = fields.Integer(required=True)
    status = _enum(BookingStatus, required=True)
    source = _enum(BookingSource, required=True)
    slot = fields.Nested(BookingSlotSchema, required=True)
    created_at = LocalDateTime(required=True, attribute="created_dt")


class StaffBookingSchema(_BookingForStaffSchema):
    patient = fields.Nested(StaffPatientSchema, required=True)
    checked_in_at = LocalDateTime(allow_none=True, required=True, attribute="checked_in_dt")


# --- Referrals (app.api.referral_views) -----------------------------------------------


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


class ReferralSchema(_BookingForStaffSchema):
    patient = fields.Nested(ReferredPatientSchema, required=True)
    note = fields.String(required=True, attribute="referral_note")

"""The schemas that validate the API's input and shape its output; the OpenAPI
document at /api/v1/openapi.json is generated from them."""

from datetime import timedelta

from marshmallow import Schema, fields, post_load, validate

from app.api.fields import Id, LocalDateTime, Text
from app.bookings.models import KEY_PATTERN, BookingSource, BookingStatus
from app.core.time import FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY
from app.directory.models import InstitutionKind, TownshipKind, VenueKind
from app.patients.models import Relation
from app.scheduling.models import Audience, SessionKind, SessionStatus

MAX_RANGE_DAYS = 366
EARLIEST, LATEST = FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY


def clamp_days(data: dict, max_days: int) -> dict:
    """Date filters hold between 2000 and 2100 and span at most ``max_days``: a range
    beyond that is narrowed, not refused (an end before the start finds nothing)."""
    for key in ("start", "end"):
        if data.get(key):
            data[key] = min(max(data[key], EARLIEST), LATEST)
    if data.get("start") and data.get("end"):
        data["end"] = min(data["end"], data["start"] + timedelta(days=max_days))
    return data


def _enum(enum_cls, **kwargs):
    return fields.Enum(enum_cls, by_value=True, **kwargs)


# --- directory -----------------------------------------------------------------------


class TownshipSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = _enum(TownshipKind, required=True)


class SpecialtySchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True, metadata={"description": "English name ('': none)"})


class InstitutionSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_en = fields.String(required=True, metadata={"description": "English name ('': none)"})
    kind = _enum(InstitutionKind, required=True)
    city = fields.String(required=True)


class VenueSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = _enum(VenueKind, required=True)
    township = fields.Nested(TownshipSchema, required=True)
    address = fields.String(required=True)
    phone = fields.String(required=True)
    directions = fields.String(required=True, metadata={"description": "how to get there"})
    is_enabled = fields.Boolean(required=True, metadata={"description": "false: retired"})


class ExpertBriefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    title = fields.String(required=True)


class ExpertSchema(ExpertBriefSchema):
    institution = fields.Nested(InstitutionSchema, required=True)
    specialty = fields.Nested(SpecialtySchema, required=True)
    department = fields.String(required=True)
    title_en = fields.String(required=True, metadata={"description": "English title ('': none)"})
    expertise = fields.String(required=True, metadata={"description": "擅长, 、-separated"})
    photo = fields.Function(
        lambda e: f"/experts/{e.id}/photo-{e.photo_version}.jpg" if e.photo_version else None,
        required=True, allow_none=True,
        metadata={"type": "string", "nullable": True,
                  "description": "the photo's address on the site (null: none)"})
    native_township = fields.Nested(TownshipSchema, allow_none=True, required=True)
    bio = fields.String(required=True)


class VenueFilterSchema(Schema):
    township = Id(load_default=None)


class ExpertFilterSchema(Schema):
    name = Text(max_length=50, load_default="")
    specialty = Id(load_default=None)
    institution = Id(load_default=None)


# --- sessions and slots ----------------------------------------------------------------


class SessionFilterSchema(Schema):
    """The public schedule's filters; dates are local days, inclusive."""

    start = fields.Date(load_default=None, metadata={"description": "first local day "
                                                                    "(default: today)"})
    end = fields.Date(load_default=None, metadata={
        "description": "last local day (at most a year after the first)"})
    township = Id(load_default=None)
    venue = Id(load_default=None)
    specialty = Id(load_default=None)
    expert = Id(load_default=None)
    kind = _enum(SessionKind, load_default=None)

    @post_load
    def _bounded(self, data, **_kwargs):
        return clamp_days(data, MAX_RANGE_DAYS)


class VenueBriefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    township = fields.Nested(TownshipSchema, required=True)


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    kind = _enum(SessionKind, required=True)
    status = _enum(SessionStatus, required=True)
    audience = _enum(Audience, required=True)
    title = fields.String(required=True, attribute="display_title")
    description = fields.String(required=True)
    venue = fields.Nested(VenueBriefSchema, required=True)
    specialty = fields.Nested(SpecialtySchema, allow_none=True, required=True)
    experts = fields.List(fields.Nested(ExpertBriefSchema), required=True)
    starts_at = LocalDateTime(required=True, attribute="start_dt")
    ends_at = LocalDateTime(required=True, attribute="end_dt")
    stop_reason = fields.String(required=True)
    capacity = fields.Integer(required=True, metadata={"description": "places in all slots"})
    places_left = fields.Integer(required=True, metadata={"description": "live availability"})
    series_id = fields.Integer(allow_none=True, required=True)


class SlotSchema(Schema):
    id = fields.Integer(required=True)
    session_id = fields.Integer(required=True)
    starts_at = LocalDateTime(required=True, attribute="start_dt")
    ends_at = LocalDateTime(required=True, attribute="end_dt")
    capacity = fields.Integer(required=True)
    booked = fields.Integer(required=True, attribute="booked_count")
    places_left = fields.Integer(required=True, metadata={
        "description": "places the public may book now (referral places held until "
                       "their release are left out)"})
    opens_at = LocalDateTime(required=True, metadata={
        "description": "when online booking opens (放号)"})
    booking_closes_at = LocalDateTime(required=True)
    cancel_closes_at = LocalDateTime(required=True)


# --- accounts, patients, bookings, messages -------------------------------------------------


class TokenRequestSchema(Schema):
    phone = Text(required=True, max_length=20, min_length=1)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "shown once"})
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_at = LocalDateTime(required=True)


class AccountSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True, metadata={"description": "masked"})
    roles = fields.List(fields.String(), required=True)


class PatientSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    relation = _enum(Relation, required=True)
    id_number = fields.String(required=True, attribute="id_number_masked",
                              metadata={"description": "masked: 430281********1234"})
    phone = fields.String(required=True, metadata={"description": "masked"})


class BookingCreateSchema(Schema):
    slot_id = Id(required=True, strict=True)
    patient_id = Id(load_default=None, strict=True, metadata={
        "description": "one of your patients; default: the account holder (本人)"})


class IdempotencyHeaderSchema(Schema):
    key = fields.String(data_key="Idempotency-Key", load_default=None, validate=[
        validate.Length(min=1, max=64), validate.Regexp(KEY_PATTERN)],
        metadata={"description": "books once: a repeat replays the first response"})


class CancelSchema(Schema):
    reason = Text(max_length=200, load_default="")


class RescheduleSchema(Schema):
    slot_id = Id(required=True, strict=True)


class BookingSlotSchema(Schema):
    id = fields.Integer(required=True)
    starts_at = LocalDateTime(required=True, attribute="start_dt")
    ends_at = LocalDateTime(required=True, attribute="end_dt")


class BookingSessionSchema(Schema):
    id = fields.Integer(required=True)
    kind = _enum(SessionKind, required=True)
    status = _enum(SessionStatus, required=True)
    title = fields.String(required=True, attribute="display_title")
    venue = fields.Nested(VenueBriefSchema, required=True)
    experts = fields.List(fields.Nested(ExpertBriefSchema), required=True)


class BookingPatientSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    relation = _enum(Relation, required=True)


class BookingSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "for the front desk"})
    queue_number = fields.Integer(required=True)
    status = _enum(BookingStatus, required=True)
    source = _enum(BookingSource, required=True)
    slot = fields.Nested(BookingSlotSchema, required=True)
    session = fields.Nested(BookingSessionSchema, required=True)
    patient = fields.Nested(BookingPatientSchema, required=True)
    cancel_reason = fields.String(required=True)
    booked_by_phone = fields.String(
        allow_none=True, required=True,
        metadata={"description": "the account that made the booking, masked (null: a front "
                                 "desk); the person's own account also lists the bookings "
                                 "others made for them"})
    created_at = LocalDateTime(required=True, attribute="created_dt")
    updated_at = LocalDateTime(required=True, attribute="updated_dt")
    cancelled_at = LocalDateTime(allow_none=True, required=True, attribute="cancelled_dt")
    checked_in_at = LocalDateTime(allow_none=True, required=True, attribute="checked_in_dt")


class MessageSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    subject = fields.String(required=True)
    body = fields.String(required=True)
    booking_id = fields.Integer(allow_none=True, required=True)
    created_at = LocalDateTime(required=True, attribute="created_dt")
    read_at = LocalDateTime(allow_none=True, required=True, attribute="read_dt")

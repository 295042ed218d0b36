"""A resident's own data through a Bearer token: patients, bookings, inbox messages.

Another account's booking or message is "not found", never "forbidden": the API does
not confirm that it exists. Every action calls the same service as the pages.
"""

import json

from flask import Response, request
from flask_babel import gettext as _

from app.api import idempotency
from app.api.auth import api_caller, api_user, bearer_required, rate_key
from app.api.core import PageArgsSchema, api_blueprint, page_of, page_schema
from app.api.errors import ErrorSchema, domain_error_body
from app.api.fields import ID_PATH
from app.api.schemas import (
    BookingCreateSchema,
    BookingSchema,
    CancelSchema,
    IdempotencyHeaderSchema,
    MessageSchema,
    PatientSchema,
    RescheduleSchema,
)
from app.api.views_support import Annotated
from app.bookings import queries as booking_queries
from app.bookings.models import BookingSource
from app.bookings.services import changes, engine
from app.bookings.views import BOOK_LIMIT
from app.core.clock import request_now
from app.core.errors import DomainError, NotFound
from app.core.phones import mask_phone
from app.extensions import db, limiter
from app.notifications import queries as inbox_queries
from app.notifications import services as inbox
from app.patients import queries as patient_queries

BOOKING = BookingSchema()  # one instance: building nested schemas costs per request

blp = api_blueprint("bookings", __name__, "A resident's patients, bookings and inbox "
                                          "(Bearer token)")


@blp.get("/patients")
@bearer_required
@blp.response(200, PatientSchema(many=True))
def patients():
    """The people this account books for (就诊人), the holder first; ID numbers masked."""
    return [Annotated(p, phone=mask_phone(p.phone))
            for p in patient_queries.account_patients(api_caller().id)]


@blp.get("/bookings")
@bearer_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(BookingSchema))
def bookings(paging):
    """Active bookings first (soonest first), then the rest (newest first)."""
    return page_of(booking_queries.my_bookings_page(api_user(), page=paging["page"],
                                                    per_page=paging["per_page"]))


def _patient(user_id: int, patient_id: int | None):
    found = patient_queries.patient_facts(user_id, patient_id)
    if found is None:
        raise NotFound(_("找不到这位就诊人"), code="no_patient")
    return found


@blp.post("/bookings")
@bearer_required
@limiter.limit(BOOK_LIMIT, key_func=rate_key)
@blp.arguments(BookingCreateSchema())  # instances: a class is instantiated per request
@blp.arguments(IdempotencyHeaderSchema(), location="headers")
@blp.response(201, BookingSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Refused: slot_full, already_booked, "
                  "limit_reached, person_not_bookable, not_bookable, not_open_yet, "
                  "booking_closed")
def create_booking(data, headers):
    """Book a slot for one of your patients (default: yourself), by the same rules as
    the booking page. With an ``Idempotency-Key`` header the first request books and
    every repeat (also while the first is still running) gets its response again."""
    caller, key, now = api_caller(), headers["key"], request_now()
    patient = _patient(caller.id, data["patient_id"])
    request_print = idempotency.fingerprint(request.method, request.path, data)
    if key and (first := idempotency.find(caller.id, key)) is not None:
        return idempotency.replay(first, request_print)
    try:
        booked = engine.book(data["slot_id"], patient, by=caller, now=now,
                             source=BookingSource.API, idempotency_key=key)
        body = BOOKING.dump(_view(booked, patient, caller))
        if key:  # kept with the booking; a twin's first answer wins (and undoes this)
            idempotency.keep(caller.id, key, request_print, 201, body, now=now)
        return _json(201, body)  # committed before it goes out (core.end_unit_of_work)
    except idempotency.AnsweredBefore as answered:
        db.session.rollback()
        return idempotency.replay(answered.answer, request_print)
    except DomainError as error:
        db.session.rollback()
        body = domain_error_body(error)
        twin = key and idempotency.remember(caller.id, key, request_print, error.status, body,
                                            now=now)
        db.session.commit()  # the refusal's answer kept: a unit of work of its own
        return idempotency.replay(twin, request_print) if twin else _json(error.status, body)


def _view(booked: engine.Booked, patient, caller) -> dict:
    """The booking as its answer shows it: a new one from what it was written with, a
    repeat's first booking read back."""
    if booked.replayed:
        return booking_queries.booking_view(booked.id)
    return booking_queries.new_booking_view(
        booked.row, booked.slot,
        {"id": patient.id, "name": patient.name, "relation": patient.relation},
        booker_phone=caller.phone)


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


@blp.get(f"/bookings/<{ID_PATH}:booking_id>")
@bearer_required
@blp.response(200, BookingSchema)
def booking(booking_id: int):
    return changes.get_booking_for(booking_id, api_user())


@blp.post(f"/bookings/<{ID_PATH}:booking_id>/cancel")
@bearer_required
@blp.arguments(CancelSchema, required=False)
@blp.response(200, BookingSchema)
def cancel(data, booking_id: int):
    """Cancel until the cancel cut-off (2 hours before, by default); the place goes to
    the first waiter. A cancellation is never a no-show."""
    found = changes.get_booking_for(booking_id, api_user())
    done = changes.cancel_booking(found, by=api_user(), now=request_now(),
                                 reason=data["reason"])
    return done


@blp.post(f"/bookings/<{ID_PATH}:booking_id>/reschedule")
@bearer_required
@blp.arguments(RescheduleSchema)
@blp.response(200, BookingSchema)
def reschedule(data, booking_id: int):
    """Move to another open slot of the same session or of the same expert's other
    sessions; if the new place goes meanwhile, the old one is kept (409)."""
    found = changes.get_own_booking(booking_id, api_user())
    moved = changes.reschedule_booking(found, data["slot_id"], by=api_user(), now=request_now())
    return moved


@blp.get("/messages")
@bearer_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(MessageSchema))
def messages(paging):
    """The account's site inbox, newest first."""
    return page_of(inbox_queries.inbox_page(api_caller().id, page=paging["page"],
                                            per_page=paging["per_page"]))


@blp.post(f"/messages/<{ID_PATH}:message_id>/read")
@bearer_required
@blp.response(204)
def read_message(message_id: int):
    inbox.mark_inbox_read(api_caller().id, message_id, now=request_now())

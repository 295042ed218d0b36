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
from app.api.errors import ErrorSchema, domain_error_body, error_response
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
from app.auth.phones import mask_phone
from app.bookings import queries as booking_queries
from app.bookings.models import BookingSource
from app.bookings.services import engine
from app.bookings.views import BOOK_LIMIT
from app.core.clock import request_now
from app.core.errors import DomainError, NotFound
from app.extensions import db, limiter
from app.notifications import queries as inbox_queries
from app.notifications import services as inbox
from app.patients import queries as patient_queries

BOOKING = BookingSchema()  # one instance: building nested schemas costs per request
# A new booking's 201 is dumped before its write transaction but for the fields the
# write draws (under SQLite's write lock, the less done the better).
_AROUND = ("slot", "session", "patient")
_DRAWN = ("id", "code", "queue_number")
BOOKING_AROUND = BookingSchema(only=_AROUND)
BOOKING_PLANNED = BookingSchema(exclude=_AROUND + _DRAWN)
BOOKING_DRAWN = BookingSchema(only=_DRAWN)

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
                  "limit_reached, not_bookable, not_open_yet, booking_closed")
def create_booking(data, headers):
    """Book a slot for one of your patients (default: yourself), by the same rules as
    the booking page. With an ``Idempotency-Key`` header the first request books and
    every repeat (also while the first is still running) gets its response again."""
    caller, key, now = api_caller(), headers["key"], request_now()
    user_id, slot_id = caller.id, data["slot_id"]
    patient = _patient(user_id, data["patient_id"])
    print_ = idempotency.fingerprint(request.method, request.path, data)
    # A repeat is found when its answer is kept, below (the key's first answer is
    # there already), rather than by a read that every first request would pay for.
    first = None
    try:
        slot = booking_queries.slot_facts(slot_id)
        plan = engine.plan_booking(slot_id, patient, by=caller, now=now,
                                   source=BookingSource.API, idempotency_key=key, slot=slot)
        who = {"id": patient.id, "name": patient.name, "relation": patient.relation}
        known = {**BOOKING_PLANNED.dump({**plan.row, "booked_by_phone": mask_phone(caller.phone)}),
                 **BOOKING_AROUND.dump(booking_queries.view_around_booking(slot, who))}

        def answer(booked: engine.Booked) -> dict:
            """The 201's body, kept with the booking in its transaction; a key answered
            before (a refusal, say, and a place has freed since) undoes the booking."""
            if booked.replayed:
                body = BOOKING.dump(booking_queries.booking_view(booked.id))
            else:
                mine = {**known, **BOOKING_DRAWN.dump(booked)}
                body = {name: mine[name] for name in BOOKING.dump_fields}  # schema order
            if key and (before := idempotency.keep(user_id, key, print_, 201, body,
                                                   now=now)) is not None:
                raise idempotency.AnsweredBefore(before)
            return body

        _booked, body = engine.book_committed(plan, then=answer)
        status = 201
    except idempotency.AnsweredBefore as answered:
        first = answered.answer
    except DomainError as error:
        db.session.rollback()
        status, body = error.status, domain_error_body(error)
        if key:
            first = idempotency.remember(user_id, key, print_, status, body, now=now)
    if first is not None:
        if first.fingerprint != print_:
            return error_response(422, "idempotency_key_reused",
                                  _("这个 Idempotency-Key 已用于另一个请求"))
        return idempotency.as_response(first, replayed=True)
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json")


@blp.get(f"/bookings/<{ID_PATH}:booking_id>")
@bearer_required
@blp.response(200, BookingSchema)
def booking(booking_id: int):
    return engine.get_booking_for(booking_id, api_user())


@blp.post(f"/bookings/<{ID_PATH}:booking_id>/cancel")
@bearer_required
@blp.arguments(CancelSchema, required=False)
@blp.response(200, BookingSchema)
def cancel(data, booking_id: int):
    """Cancel until the cancel cut-off (2 hours before, by default); the place goes to
    the first waiter. A cancellation is never a no-show."""
    found = engine.get_booking_for(booking_id, api_user())
    done = engine.cancel_booking(found, by=api_user(), now=request_now(),
                                 reason=data["reason"])
    db.session.commit()
    return done


@blp.post(f"/bookings/<{ID_PATH}:booking_id>/reschedule")
@bearer_required
@blp.arguments(RescheduleSchema)
@blp.response(200, BookingSchema)
def reschedule(data, booking_id: int):
    """Move to another open slot of the same session or of the same expert's other
    sessions; if the new place goes meanwhile, the old one is kept (409)."""
    found = engine.get_own_booking(booking_id, api_user())
    moved = engine.reschedule_booking(found, data["slot_id"], by=api_user(), now=request_now())
    db.session.commit()
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
    db.session.commit()

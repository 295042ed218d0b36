"""Public reads: the schedule (sessions with live availability) and a session's slots."""

from flask import abort

from app.api.core import PageArgsSchema, api_blueprint, page_of, page_schema
from app.api.fields import ID_PATH
from app.api.schemas import SessionFilterSchema, SessionSchema, SlotSchema
from app.api.views_support import with_places, with_times
from app.core.clock import request_now
from app.scheduling import queries
from app.scheduling.queries import ScheduleFilter

blp = api_blueprint("sessions", __name__, "The public schedule: sessions and their slots")


@blp.get("/sessions")
@blp.arguments(SessionFilterSchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_schema(SessionSchema))
def sessions(args, paging):
    """Published, stopped and completed sessions from ``start`` (default: today), in
    time order, with the places left in their slots."""
    flt = ScheduleFilter(start=args["start"], end=args["end"], township_id=args["township"],
                         venue_id=args["venue"], specialty_id=args["specialty"],
                         expert_id=args["expert"], kind=args["kind"])
    pagination = queries.schedule_page(flt, now=request_now(), page=paging["page"],
                                       per_page=paging["per_page"])
    return page_of(pagination, with_places(pagination.items))


@blp.get(f"/sessions/<{ID_PATH}:session_id>")
@blp.response(200, SessionSchema)
def session(session_id: int):
    found = queries.session_detail(session_id) or abort(404)
    return with_places([found])[0]


@blp.get(f"/sessions/<{ID_PATH}:session_id>/slots")
@blp.response(200, SlotSchema(many=True))
def slots(session_id: int):
    """The session's slots with capacity and places left, and when online booking
    opens and closes for each."""
    found = queries.session_detail(session_id) or abort(404)
    return with_times(found.slots)

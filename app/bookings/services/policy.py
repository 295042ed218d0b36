"""The admin's booking policy (SPEC §4): the saved row, or the defaults. The time rules
that follow from it are ``BookingPolicy``'s methods (app.bookings.models)."""

from sqlalchemy import select

from app.bookings.models import BookingPolicy
from app.core.formatting import short_datetime
from app.extensions import db

_SAVED = select(BookingPolicy).where(BookingPolicy.id == 1)


def current_policy() -> BookingPolicy:
    """The saved policy, or the defaults when the admin never changed them (not added)."""
    return db.session.scalar(_SAVED) or BookingPolicy.unsaved()


fmt = short_datetime  # 12月3日 08:00, the form refusal messages use

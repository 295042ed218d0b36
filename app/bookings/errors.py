"""Why a booking action was refused. Each carries a specific Chinese message."""

from app.core.errors import Conflict, DomainError, Forbidden, NotFound


class BookingError(DomainError):
    """Any refusal of the booking rules."""


class BookingNotFound(BookingError, NotFound):
    pass


class SlotFull(BookingError, Conflict):
    code = "slot_full"


class AlreadyBooked(BookingError, Conflict):
    code = "already_booked"


class LimitReached(BookingError, Conflict):
    code = "limit_reached"


class NotBookable(BookingError, Conflict):
    code = "not_bookable"


class PersonNotBookable(BookingError, Conflict):
    """A refusal about a person that may not say why: bookings another account made for
    them count towards it (app.bookings.services.refusals)."""

    code = "person_not_bookable"


class NotOpenYet(BookingError, Conflict):
    code = "not_open_yet"


class BookingClosed(BookingError, Conflict):
    code = "booking_closed"


class TooLateToCancel(BookingError, Conflict):
    code = "too_late_to_cancel"


class Suspended(BookingError, Forbidden):
    code = "suspended"


class WaitlistError(BookingError, Conflict):
    code = "waitlist"

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


class NotBookable(BookingError):
    code = "not_bookable"
    status = 409


class NotOpenYet(BookingError):
    code = "not_open_yet"
    status = 409


class BookingClosed(BookingError):
    code = "booking_closed"
    status = 409


class TooLateToCancel(BookingError):
    code = "too_late_to_cancel"
    status = 409


class Suspended(BookingError, Forbidden):
    code = "suspended"


class WaitlistError(BookingError, Conflict):
    code = "waitlist"

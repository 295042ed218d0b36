"""Small helpers the API's handlers share."""

from app.bookings.services.policy import current_policy
from app.core.clock import request_now
from app.scheduling.queries import places_left


class Annotated:
    """A row with a few computed attributes beside its own (for a schema to dump)."""

    def __init__(self, row, **extra):
        self._row = row
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._row, name)


def with_places(sessions) -> list[Annotated]:
    """Sessions with their live availability, read in one statement."""
    places = places_left([s.id for s in sessions], now=request_now())
    return [Annotated(s, places_left=places.get(s.id, (0, 0))[0],
                      capacity=places.get(s.id, (0, 0))[1]) for s in sessions]


def with_times(slots) -> list[Annotated]:
    """Slots with when online booking opens and closes under the current policy, and
    the places the public may book now (referral places held back)."""
    policy, now = current_policy(), request_now()
    result = []
    for slot in slots:
        times = policy.slot_times(slot.start_dt)
        result.append(Annotated(slot, opens_at=times.opens_dt,
                                booking_closes_at=times.booking_closes_dt,
                                cancel_closes_at=times.cancel_closes_dt,
                                places_left=slot.public_left(now)))
    return result

"""What a refusal about a person may tell the account that asked (SPEC §4).

Limits, suspensions and one booking per session follow the person — their ID number —
across accounts and front desks, so bookings another account made can be why a booking
is refused. Saying so would tell a stranger who typed in someone's ID number that the
person is booked, and how often. So a refusal gives its specific reason (already booked,
the limit and its count, a suspension) only when every booking it counts was made by
the asking account, or the asker is the person's own account (which sees them all);
otherwise it says only that the person cannot be booked now and where to ask. Staff at
a front desk hear the reason. Every per-person rule refuses through ``about_person``.
"""

from collections.abc import Iterable

from flask_babel import gettext as _

from app.bookings.errors import BookingError, PersonNotBookable
from app.patients.queries import holder_account_id


def about_person(specific: BookingError, *, name: str, key: str, asker_id: int,
                 counted_by: Iterable[int]) -> BookingError:
    """``specific`` when the asker may know its reason, else the refusal that tells
    nothing. ``counted_by``: who booked (or wait-listed) each thing the rule counted."""
    if all(by == asker_id for by in counted_by) or holder_account_id(key) == asker_id:
        return specific
    return PersonNotBookable(_(
        "%(name)s现在不能在网上预约。请到医院窗口咨询，或用%(name)s本人的账号预约。", name=name))

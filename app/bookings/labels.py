"""Human names for booking states."""

from flask_babel import lazy_gettext as _l

from app.bookings.models import BookingStatus
from app.scheduling.models import SessionKind

BOOKING_STATUS_LABELS = {
    BookingStatus.CONFIRMED: _l("已预约"),
    BookingStatus.CANCELLED: _l("已取消"),
    BookingStatus.STOPPED: _l("已停诊"),
    BookingStatus.CHECKED_IN: _l("已签到"),
    BookingStatus.NO_SHOW: _l("爽约"),
    BookingStatus.COMPLETED: _l("已就诊"),
}

# A seat at a lecture, forum or teaching visit: nobody is seen there (就诊), and one
# called off is cancelled, not stopped (停诊).
GATHERING_STATUS_LABELS = {
    **BOOKING_STATUS_LABELS,
    BookingStatus.STOPPED: _l("活动取消"),
    BookingStatus.COMPLETED: _l("已参加"),
}


def booking_status_label(status: BookingStatus, kind: SessionKind) -> str:
    labels = GATHERING_STATUS_LABELS if kind.is_gathering else BOOKING_STATUS_LABELS
    return str(labels[status])

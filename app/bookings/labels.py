"""Human names for booking states."""

from flask_babel import lazy_gettext as _l

from app.bookings.models import BookingStatus

BOOKING_STATUS_LABELS = {
    BookingStatus.CONFIRMED: _l("已预约"),
    BookingStatus.CANCELLED: _l("已取消"),
    BookingStatus.STOPPED: _l("已停诊"),
    BookingStatus.CHECKED_IN: _l("已签到"),
    BookingStatus.NO_SHOW: _l("爽约"),
    BookingStatus.COMPLETED: _l("已就诊"),
}

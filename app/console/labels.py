"""Human names for what the console shows: booking sources and audit entries."""

from flask_babel import lazy_gettext as _l

from app.bookings.models import BookingSource

SOURCE_LABELS = {
    BookingSource.WEB: _l("网上"),
    BookingSource.API: _l("接口"),
    BookingSource.FRONT_DESK: _l("现场/电话"),
}

OBJECT_LABELS = {
    "sessions": _l("场次"),
    "bookings": _l("预约"),
    "booking_policies": _l("预约规则"),
    "users": _l("账号"),
    "patients": _l("就诊人"),
    "venues": _l("地点"),
    "experts": _l("专家"),
}

ACTION_LABELS = {
    "session.create": _l("新建场次"),
    "session.publish": _l("发布场次"),
    "session.stop": _l("停诊"),
    "booking.front_desk": _l("现场挂号"),
    "booking.check_in": _l("签到"),
    "booking.no_show": _l("标记爽约"),
    "booking.cancel": _l("工作人员取消预约"),
    "policy.update": _l("修改预约规则"),
    "schedule.import": _l("导入排班表"),
    "busy.import": _l("上传专家忙碌时间"),
    "user.create": _l("新建工作人员账号"),
    "user.enable": _l("启用账号"),
    "user.disable": _l("停用账号"),
}

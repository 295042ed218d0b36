"""Human names for what the console shows: booking sources and audit entries."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.bookings.models import BookingSource
from app.notifications.models import Channel, MessageStatus

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
    "messages": _l("消息"),
}

ACTION_LABELS = {
    "session.create": _l("新建场次"),
    "session.update": _l("修改场次"),
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
    "message.resend": _l("重发消息"),
}

MESSAGE_STATUS_LABELS = {
    MessageStatus.PENDING: _l("待发送"),
    MessageStatus.SENDING: _l("发送中"),
    MessageStatus.SENT: _l("已发送"),
    MessageStatus.FAILED: _l("发送失败"),
    MessageStatus.CANCELLED: _l("已取消"),
    MessageStatus.EXPIRED: _l("已过期"),
}

CHANNEL_LABELS = {
    Channel.SMS: _l("短信"),
    Channel.EMAIL: _l("电子邮件"),
    Channel.INBOX: _l("站内信"),
}

MESSAGE_KIND_LABELS = {
    "booking_confirmed": _l("预约成功"),
    "booking_cancelled": _l("预约取消"),
    "booking_rescheduled": _l("预约改约"),
    "session_stopped": _l("停诊通知"),
    "waitlist_offer": _l("候补有空位"),
    "verification_code": _l("验证码"),
    "waitlist_expired": _l("候补保留已过期"),
    "session_stopped_expert": _l("出诊已停诊"),
    "feed_link_reset": _l("日历订阅链接已重置"),
}


def message_kind_label(kind: str) -> str:
    """预约成功, 就诊提醒（24小时前）…; an unknown kind as it is stored."""
    if kind.startswith("reminder_") and kind.endswith("h") and kind[9:-1].isdigit():
        return _("就诊提醒（%(n)s小时前）", n=kind[9:-1])
    return str(MESSAGE_KIND_LABELS.get(kind, kind))

"""Human names for what the console shows: booking sources and audit entries."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.labels import ROLE_LABELS
from app.bookings.models import BookingSource
from app.core.coerce import digits
from app.notifications.models import Channel, MessageStatus
from app.scheduling.labels import AUDIENCE_LABELS, KIND_LABELS

SOURCE_LABELS = {
    BookingSource.WEB: _l("网上"),
    BookingSource.API: _l("接口"),
    BookingSource.FRONT_DESK: _l("现场/电话"),
    BookingSource.REFERRAL: _l("转诊"),
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
    "townships": _l("乡镇"),
    "institutions": _l("医院"),
    "specialties": _l("科室"),
    "session_series": _l("系列"),
    "proposals": _l("出诊提议"),
    "session_outcomes": _l("场次结果"),
    "travel_times": _l("路程时间"),
    "programme_settings": _l("统计设置"),
    "programme_years": _l("往年总数"),
    "expert_busy": _l("专家忙碌时间"),
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
    "user.update": _l("修改工作人员账号"),
    "user.password": _l("重设密码"),
    "message.resend": _l("重发消息"),
    "booking.referral": _l("转诊预约"),
    "series.create": _l("新建系列"),
    "series.update": _l("修改系列"),
    "session.outcome": _l("记录场次结果"),
    "proposal.create": _l("提出出诊时间"),
    "proposal.plan": _l("按提议排班"),
    "proposal.withdraw": _l("撤回出诊提议"),
    "proposal.decline": _l("回复提议排不了"),
    "travel_times.update": _l("修改路程时间"),
    "programme.saving": _l("修改每次就诊节省的费用"),
    "programme.year": _l("录入往年总数"),
    "experts.photo": _l("更换专家照片"),
    "townships.create": _l("新建乡镇"), "townships.update": _l("修改乡镇"),
    "townships.retire": _l("停用乡镇"), "townships.restore": _l("恢复乡镇"),
    "institutions.create": _l("新建医院"), "institutions.update": _l("修改医院"),
    "institutions.retire": _l("停用医院"), "institutions.restore": _l("恢复医院"),
    "venues.create": _l("新建地点"), "venues.update": _l("修改地点"),
    "venues.retire": _l("停用地点"), "venues.restore": _l("恢复地点"),
    "specialties.create": _l("新建科室"), "specialties.update": _l("修改科室"),
    "specialties.retire": _l("停用科室"), "specialties.restore": _l("恢复科室"),
    "experts.create": _l("新建专家"), "experts.update": _l("修改专家"),
    "experts.retire": _l("停用专家"), "experts.restore": _l("恢复专家"),
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
    "proposal_planned": _l("出诊提议已排定"),
    "proposal_declined": _l("出诊提议排不了"),
    "booked_for_you": _l("他人为您预约"),
    "suspended": _l("暂停网上预约"),
    "already_registered": _l("已注册提醒"),
}


def message_kind_label(kind: str) -> str:
    """预约成功, 就诊提醒（24小时前）…; an unknown kind as it is stored."""
    if kind.startswith("reminder_") and kind.endswith("h") and digits(kind[9:-1]):
        return _("就诊提醒（%(n)s小时前）", n=kind[9:-1])
    return str(MESSAGE_KIND_LABELS.get(kind, kind))

# The fields an audit entry's before/after name, as the log shows them (a field not
# named here shows as recorded).
FIELD_LABELS = {
    "status": _l("状态"), "reason": _l("原因"), "bookings": _l("预约数"),
    "attempts": _l("发送次数"), "last_error": _l("最近的错误"), "is_enabled": _l("启用"),
    "slot_id": _l("时段"), "queue_number": _l("号"), "kind": _l("类型"),
    "venue_id": _l("地点"), "expert_ids": _l("专家"), "title": _l("标题"),
    "start_dt": _l("开始"), "end_dt": _l("结束"), "slots": _l("时段与号数"),
    "rule": _l("重复规则"), "first_day": _l("第一天"), "last_day": _l("最后一天"),
    "start": _l("开始时间"), "end": _l("结束时间"), "skip_holidays": _l("节假日停"),
    "overrides": _l("单日调整"), "source": _l("来源"), "created": _l("新建"),
    "stopped": _l("停诊"), "first_session_id": _l("第一场"), "last_session_id": _l("最后一场"),
    "busy": _l("忙碌时段"), "phone": _l("电话"), "name": _l("名称"), "roles": _l("角色"),
    "release_days": _l("提前几天放号"), "release_minute": _l("放号时间（分钟）"),
    "booking_cutoff_minutes": _l("开诊前多久停止网上预约（分钟）"),
    "cancel_cutoff_minutes": _l("开诊前多久停止取消（分钟）"),
    "one_per_session": _l("同一场次每人一个号"), "max_active_per_person": _l("每人未就诊预约上限"),
    "noshow_limit": _l("爽约几次暂停"), "noshow_window_days": _l("统计爽约的天数"),
    "suspension_days": _l("暂停天数"), "waitlist_offer_minutes": _l("候补保留分钟"),
    "waitlist_auto_confirm": _l("候补自动确认"),
    "max_per_day": _l("每人每天门诊上限"), "max_per_week": _l("每人每周门诊上限"),
    "max_per_month": _l("每人每月门诊上限"),
    "institution_id": _l("医院"), "centre_id": _l("卫生院"), "venue_ids": _l("地点"),
    # the directory's fields
    "name_en": _l("英文名称"), "title_en": _l("英文职称"), "expertise": _l("擅长"),
    "specialty_id": _l("科室"), "department": _l("所在科室"), "native_township_id": _l("家乡"),
    "bio": _l("简介"), "city": _l("城市"), "township_id": _l("乡镇"), "address": _l("地址"),
    "directions": _l("怎么去"), "photo": _l("照片"),
    # proposals, series, outcomes and the office's settings
    "expert_id": _l("专家"), "half": _l("上午或下午"), "weekdays": _l("星期"),
    "townships": _l("乡镇"), "township_ids": _l("乡镇"), "note": _l("备注"),
    "series_id": _l("系列"), "session_id": _l("场次"), "count": _l("人数或台数"),
    "dates": _l("日期"), "skipped": _l("跳过"), "minutes": _l("分钟"),
    "capacity": _l("号数"), "changed": _l("改了的场次"), "withdrawn": _l("撤下的场次"),
    "published": _l("发布的场次"), "audience": _l("面向"),
    "saving_per_visit": _l("每次就诊节省（元）"),
}

# Fields whose meaning depends on what was changed: a person's name and mobile, a
# place's name and phone, an expert's title.
FIELD_LABELS_OF = {
    "users": {"name": _l("姓名"), "phone": _l("手机号")},
    "experts": {"name": _l("姓名"), "title": _l("职称")},
    "patients": {"name": _l("姓名"), "phone": _l("手机号")},
}


def field_label(object_type: str, key: str) -> str:
    """The audit log's name for field ``key`` of an ``object_type`` row."""
    return str(FIELD_LABELS_OF.get(object_type, {}).get(key) or FIELD_LABELS.get(key, key))


# Recorded values that are codes, as the log shows them (the statuses are in the
# console's STATUS_NAMES): a session's kind and audience, a half day, a proposal's
# status, a role.
VALUE_LABELS = {
    "morning": _l("上午"), "afternoon": _l("下午"),
    "open": _l("等待排班"), "planned": _l("已排班"), "withdrawn": _l("已撤回"),
    "declined": _l("排不了"),
    **{str(kind): label for kind, label in KIND_LABELS.items()},
    **{str(audience): label for audience, label in AUDIENCE_LABELS.items()},
    **{str(role): label for role, label in ROLE_LABELS.items()},
}
# Fields that hold ids, by the kind of row they name.
ID_FIELDS = {
    "venue_id": "venues", "venue_ids": "venues", "centre_id": "venues",
    "expert_id": "experts", "expert_ids": "experts",
    "institution_id": "institutions", "specialty_id": "specialties",
    "township_id": "townships", "township_ids": "townships", "townships": "townships",
    "native_township_id": "townships",
}

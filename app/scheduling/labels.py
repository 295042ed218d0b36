"""Human names for the scheduling enums, translated lazily at render time."""

from flask_babel import lazy_gettext as _l

from app.scheduling.models import Audience, SessionKind, SessionStatus

KIND_LABELS = {
    SessionKind.CLINIC: _l("专家门诊"),
    SessionKind.WARD_ROUND: _l("查房"),
    SessionKind.SURGERY: _l("手术"),
    SessionKind.LECTURE: _l("讲座"),
    SessionKind.FORUM: _l("渌江讲坛"),
    SessionKind.TEACHING: _l("送教"),
}

STATUS_LABELS = {
    SessionStatus.DRAFT: _l("草稿"),
    SessionStatus.PUBLISHED: _l("已发布"),
    SessionStatus.STOPPED: _l("已停诊"),
    SessionStatus.COMPLETED: _l("已结束"),
}

AUDIENCE_LABELS = {
    Audience.PUBLIC: _l("面向群众"),
    Audience.PROFESSIONAL: _l("面向医务人员"),
}

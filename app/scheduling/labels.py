"""Human names for the scheduling enums, translated lazily at render time."""

import re

from flask_babel import gettext as _
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

DAY_NAMES = {"MO": _l("周一"), "TU": _l("周二"), "WE": _l("周三"), "TH": _l("周四"),
             "FR": _l("周五"), "SA": _l("周六"), "SU": _l("周日")}
_WEEKLY = re.compile(r"FREQ=WEEKLY(?:;INTERVAL=(\d+))?;BYDAY=((?:MO|TU|WE|TH|FR|SA|SU)"
                     r"(?:,(?:MO|TU|WE|TH|FR|SA|SU))*)")


def rule_words(rule: str) -> str:
    """A series' repeat rule as people say it: '每周一、周三', '每 2 周：周二'; a rule of
    another shape as it was written."""
    weekly = _WEEKLY.fullmatch(rule or "")
    if weekly is None:
        return rule
    days = "、".join(str(DAY_NAMES[d]) for d in weekly.group(2).split(","))
    every = int(weekly.group(1) or 1)
    return _("每%(days)s", days=days) if every == 1 else _("每 %(n)s 周：%(days)s", n=every,
                                                            days=days)

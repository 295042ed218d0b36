"""关怀版 (senior mode): larger type and fewer links for elders.

Remembered per device (a cookie, set by the switch) and per account (``User.care_mode``,
used on a device that has not chosen). Pages read it through :func:`care_mode`.
"""

from flask import has_request_context, request
from flask_login import current_user

CARE_COOKIE = "xq_care"


def care_mode() -> bool:
    """Whether this request's page is shown in 关怀版."""
    if not has_request_context():
        return False
    chosen = request.cookies.get(CARE_COOKIE)
    if chosen in ("1", "0"):
        return chosen == "1"
    return bool(current_user.is_authenticated and current_user.care_mode)

"""Staff actions the booking engine leaves to its callers: the audit trail of a desk
cancellation, and the admin's changes to the booking policy."""

from datetime import datetime

from flask_babel import gettext as _

from app.auth.models import User
from app.bookings.models import Booking
from app.bookings.services import changes
from app.bookings.services.policy import current_policy
from app.core import audit
from app.core.db import restart_as_write
from app.core.errors import DomainError
from app.extensions import db

# Every setting of app.bookings.models.BookingPolicy an admin may change.
POLICY_FIELDS = (
    "release_days", "release_minute", "booking_cutoff_minutes", "cancel_cutoff_minutes",
    "one_per_session", "max_active_per_person", "noshow_limit", "noshow_window_days",
    "suspension_days", "waitlist_offer_minutes", "waitlist_auto_confirm",
    "max_per_day", "max_per_week", "max_per_month",
)
# Settings that count something and so must be at least 1 (the rest at least 0).
AT_LEAST_ONE = ("max_active_per_person", "noshow_limit", "noshow_window_days",
                "waitlist_offer_minutes", "max_per_day", "max_per_week", "max_per_month")
MINUTES_PER_DAY = 24 * 60


def staff_cancel(booking: Booking, reason: str, *, by: User, now: datetime) -> Booking:
    """The desk cancels a confirmed booking, with a reason, until its slot ends (the
    engine's staff cancellation: the place goes to the first waiter), audited."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("请填写取消原因"))
    return changes.cancel_booking(booking, by=by, now=now, reason=reason, staff=True)


def save_policy(values: dict, *, by: User, now: datetime) -> dict[str, tuple]:
    """Change the booking policy (the single row, id 1, created on first save).

    Returns ``{setting: (before, after)}`` for what changed, which is also audited;
    nothing changed writes nothing."""
    restart_as_write(db.session)
    _check_policy(values)
    policy = current_policy()
    changed = {key: (getattr(policy, key), value) for key, value in values.items()
               if getattr(policy, key) != value}
    if not changed:
        return {}
    for key, (_before, after) in changed.items():
        setattr(policy, key, after)
    policy.updated_dt, policy.updated_by_id = now, by.id
    policy = db.session.merge(policy)
    db.session.flush()
    audit.record("policy.update", policy, actor_id=by.id, now=now,
                 before={k: b for k, (b, _a) in changed.items()},
                 after={k: a for k, (_b, a) in changed.items()})
    return changed


def _check_policy(values: dict) -> None:
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise ValueError(f"not policy settings: {sorted(unknown)}")
    for key, value in values.items():
        if isinstance(value, bool) or value is None:  # None: a per-period limit that is off
            continue
        if value < (1 if key in AT_LEAST_ONE else 0):
            raise DomainError(_("预约规则中的数值不能为负，次数和上限至少为 1"))
    if not 0 <= values.get("release_minute", 0) < MINUTES_PER_DAY:
        raise DomainError(_("放号时间不正确"))
    day, week, month = (values.get(k) for k in ("max_per_day", "max_per_week",
                                                 "max_per_month"))
    if (day and week and day > week) or (week and month and week > month) or (
            day and month and day > month):
        raise DomainError(_("每天的上限不能大于每周的，每周的不能大于每月的"))

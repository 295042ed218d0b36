"""The admin's booking policy and the time rules that follow from it (SPEC §4)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.bookings.errors import BookingClosed, NotBookable, NotOpenYet, TooLateToCancel
from app.bookings.models import BookingPolicy
from app.core.formatting import short_datetime
from app.core.time import local_to_utc, to_local
from app.extensions import db
from app.scheduling.models import SessionStatus

_SAVED = select(BookingPolicy).where(BookingPolicy.id == 1)


def current_policy() -> BookingPolicy:
    """The saved policy, or the defaults when the admin never changed them (not added)."""
    return db.session.scalar(_SAVED) or BookingPolicy.unsaved()


fmt = short_datetime  # 12月3日 08:00, the form refusal messages use


@dataclass(frozen=True)
class SlotTimes:
    """When a slot opens for online booking, when online booking and cancelling close."""

    opens_dt: datetime
    booking_closes_dt: datetime
    cancel_closes_dt: datetime


def slot_times(start_dt: datetime, policy: BookingPolicy) -> SlotTimes:
    day = to_local(start_dt).date() - timedelta(days=policy.release_days)
    opens = local_to_utc(day, time(policy.release_minute // 60, policy.release_minute % 60))
    return SlotTimes(
        opens_dt=opens,
        booking_closes_dt=start_dt - timedelta(minutes=policy.booking_cutoff_minutes),
        cancel_closes_dt=start_dt - timedelta(minutes=policy.cancel_cutoff_minutes),
    )


def check_session_bookable(status: SessionStatus, has_public_slots: bool) -> None:
    if status == SessionStatus.STOPPED:
        raise NotBookable(_("本场已停诊，不能预约"))
    if status != SessionStatus.PUBLISHED or not has_public_slots:
        raise NotBookable(_("本场不接受预约"))


def check_online_window(start_dt: datetime, policy: BookingPolicy, *, now: datetime) -> None:
    """Online booking opens ``release_days`` before at the release time and closes
    ``booking_cutoff_minutes`` before the slot starts."""
    times = slot_times(start_dt, policy)
    if now < times.opens_dt:
        raise NotOpenYet(_("该时段将于 %(when)s 开放预约", when=fmt(times.opens_dt)))
    if now >= times.booking_closes_dt:
        raise BookingClosed(
            _("该时段网上预约已于 %(when)s 截止，请到现场挂号", when=fmt(times.booking_closes_dt))
        )


def check_desk_window(end_dt: datetime, *, now: datetime) -> None:
    """The front desk books walk-ins until the slot ends."""
    if now >= end_dt:
        raise BookingClosed(_("该时段已结束"))


def check_cancel_window(start_dt: datetime, policy: BookingPolicy, *, now: datetime) -> None:
    closes = slot_times(start_dt, policy).cancel_closes_dt
    if now >= closes:
        raise TooLateToCancel(
            _("开诊前%(hours)s不能取消或改约（截止时间 %(when)s），如不能前来请联系医院",
              hours=_duration(policy.cancel_cutoff_minutes), when=fmt(closes))
        )


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        return _("%(n)s小时", n=minutes // 60)
    return _("%(n)s分钟", n=minutes)

"""Changing a booking: who may see it, cancelling, rescheduling.

A freed place goes to the first waiter (app.bookings.services.waitlist) before it
returns to the slot. Services flush; the caller commits.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.bookings import queries
from app.bookings.errors import (
    AlreadyBooked,
    BookingError,
    BookingNotFound,
    NotBookable,
    SlotFull,
)
from app.bookings.models import Booking, BookingPolicy, BookingSource, BookingStatus
from app.bookings.services import engine, notices, refusals, waitlist
from app.bookings.services import policy as rules
from app.core import audit
from app.core.db import restart_as_write
from app.core.time import to_local
from app.extensions import db
from app.notifications.services import cancel_pending_for_booking
from app.patients.queries import own_person_key
from app.scheduling.models import Session, SessionExpert, SessionStatus, Slot


def get_booking_for(booking_id: int, user: User) -> Booking:
    """A booking ``user`` may see and cancel: one their account made, or one anyone
    made for the account's holder (their own account sees every booking made for them).
    Anyone else's is not found (never "forbidden")."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not (booking.account_id == user.id
                               or booking.person_key == own_person_key(user.id)):
        raise BookingNotFound(_("找不到这个预约"))
    return booking


def get_own_booking(booking_id: int, user: User) -> Booking:
    """A booking ``user``'s account made (to reschedule it); else not found."""
    booking = get_booking_for(booking_id, user)
    if booking.account_id != user.id:
        raise BookingNotFound(_("找不到这个预约"))
    return booking


def why_not_cancel(booking: Booking, *, now: datetime,
                   policy: BookingPolicy | None = None) -> str | None:
    """Why a resident cannot cancel this booking online now (None: they can), for the
    confirm page to say before the tap; ``cancel_booking`` checks again."""
    if booking.status != BookingStatus.CONFIRMED:
        return _("该预约已不能取消（已取消、已就诊或已停诊）")
    try:
        (policy or rules.current_policy()).check_cancel_window(booking.slot.start_dt, now=now)
    except BookingError as error:
        return error.message
    return None


def cancel_booking(booking: Booking, *, by: User, now: datetime, reason: str = "",
                   staff: bool = False, policy: BookingPolicy | None = None) -> Booking:
    """Cancel a confirmed booking: free its place (offered to the first waiter) and
    cancel its pending messages. Residents until the cancel cut-off; staff (``staff``)
    until the slot ends. A cancellation is never a no-show."""
    policy = policy or rules.current_policy()
    if booking.status != BookingStatus.CONFIRMED:
        raise NotBookable(_("该预约已不能取消（已取消、已就诊或已停诊）"))
    if staff:
        policy.check_desk_window(booking.slot.end_dt, now=now)
    else:
        policy.check_cancel_window(booking.slot.start_dt, now=now)
    booking_id, session_id, by_id = booking.id, booking.session_id, by.id
    restart_as_write(db.session)
    engine.lock_sessions(session_id)
    changed = db.session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CANCELLED, cancelled_dt=now, updated_dt=now,
                cancel_reason=reason[:200], sequence=Booking.sequence + 1)
    ).rowcount
    if not changed:
        raise NotBookable(_("该预约已不能取消（已取消、已就诊或已停诊）"))
    booking = db.session.get(Booking, booking_id)
    if booking.source != BookingSource.REFERRAL or not engine.release_referral(
            booking.slot_id, now=now):
        free_place(booking.slot_id, now=now, policy=policy)
    engine.release_person_place(booking.person_key, booking.session.kind)
    cancel_pending_for_booking(booking.id)
    notices.booking_cancelled(notices.facts_of(booking), now=now)
    if staff:
        audit.record("booking.cancel", booking, actor_id=by_id, now=now,
                     before={"status": "confirmed"},
                     after={"status": "cancelled", "reason": reason[:200]})
    db.session.flush()
    return booking


def free_place(slot_id: int, *, now: datetime, policy: BookingPolicy) -> None:
    """A place in the slot came free: the first waiter gets it, else the slot does."""
    waitlist.pass_place_on(slot_id, now=now, policy=policy)


def reschedule_targets(booking: Booking, *, now: datetime,
                       policy: BookingPolicy | None = None) -> list[Slot]:
    """Where a booking may move: open slots of its session or of the same experts'
    other published sessions of its kind and audience that online booking accepts now
    (a clinic place does not become a lecture seat)."""
    policy = policy or rules.current_policy()
    same_experts = select(SessionExpert.session_id).where(
        SessionExpert.expert_id.in_([e.id for e in booking.session.experts])
    )
    candidates = db.session.scalars(
        select(Slot).join(Slot.session)
        .where(Session.status == SessionStatus.PUBLISHED, Slot.id != booking.slot_id,
               Slot.has_public_place(now), Slot.start_dt > now,
               Session.kind == booking.session.kind,
               Session.audience == booking.session.audience,
               (Slot.session_id == booking.session_id) | Slot.session_id.in_(same_experts))
        .order_by(Slot.start_dt, Slot.id).limit(80)
    ).all()
    return [
        slot for slot in candidates
        if (t := policy.slot_times(slot.start_dt)).opens_dt <= now < t.booking_closes_dt
    ]


def reschedule_booking(booking: Booking, new_slot_id: int, *, by: User, now: datetime,
                       policy: BookingPolicy | None = None) -> Booking:
    """Move a booking to another slot of its session or of the same expert, atomically:
    if the new place is taken meanwhile, the old one is kept."""
    policy = policy or rules.current_policy()
    if booking.status != BookingStatus.CONFIRMED:
        raise NotBookable(_("该预约已不能改约"))
    if booking.source == BookingSource.REFERRAL:
        raise NotBookable(_("转诊预约不能改约；要换时间，请联系转诊的医生"))
    policy.check_cancel_window(booking.slot.start_dt, now=now)
    if new_slot_id not in {s.id for s in reschedule_targets(booking, now=now, policy=policy)}:
        raise NotBookable(_("只能改约到同一场次或同一位专家其他场次中可预约的时段"))
    new_slot = queries.slot_with_session(new_slot_id)
    booking_id, old_slot_id, old_session_id = booking.id, booking.slot_id, booking.session_id
    new_session_id, name, key, by_id = (new_slot.session_id, booking.patient.name,
                                        booking.person_key, by.id)
    numbers = (new_slot.first_number, new_slot.numbers)
    one_per_session = policy.one_per_session
    counted, new_day = new_slot.session.kind.counts_toward_limit, to_local(new_slot.start_dt).date()
    restart_as_write(db.session)
    engine.lock_sessions(old_session_id, new_session_id)
    # Another slot (reschedule_targets leaves the booking's own out): a number of its range.
    values = {"slot_id": new_slot_id, "session_id": new_session_id, "updated_dt": now,
              "sequence": Booking.sequence + 1,
              "queue_number": engine.next_queue_number(new_session_id, new_slot_id,
                                                        numbers=numbers)}
    if new_session_id != old_session_id:
        values["one_per_session_guard"] = new_session_id if one_per_session else None
    if not engine.take_capacity(new_slot_id, now=now):
        raise SlotFull(_("新时段刚刚约满，原预约保持不变"))
    if counted and policy.period_limits:  # at the new slot's day, under the person's lock
        engine.lock_person(key)
        engine.check_periods({"person_key": key, "source": BookingSource.WEB,
                              "booked_by_id": by_id}, name, day=new_day, policy=policy,
                             moving=booking_id)
    try:
        with db.session.begin_nested():  # the transaction stays usable to say why
            moved = db.session.execute(
                update(Booking)
                .where(Booking.id == booking_id, Booking.status == BookingStatus.CONFIRMED,
                       Booking.slot_id == old_slot_id)
                .values(**values)
            ).rowcount
    except IntegrityError as exc:  # the person has an active booking in that session
        raise refusals.about_person(
            AlreadyBooked(_("%(name)s已预约该场次，同一场次每人只能预约一个号", name=name)),
            name=name, key=key, asker_id=by_id,
            counted_by=queries.active_booked_by(key, session_id=new_session_id)) from exc
    if not moved:
        raise NotBookable(_("该预约已不能改约"))
    free_place(old_slot_id, now=now, policy=policy)
    booking = db.session.get(Booking, booking_id)
    db.session.refresh(booking)
    cancel_pending_for_booking(booking.id)
    notices.booking_rescheduled(notices.facts_of(booking), now=now)
    db.session.flush()
    return booking

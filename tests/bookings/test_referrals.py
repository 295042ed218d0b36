"""Issue #17, item 6: referral places (转诊号源). A clinic keeps part of its places for
patients that township doctors refer; the public neither sees nor books them until
their release time, when unused ones join the public pool by the clock; township
doctors refer only into sessions at venues of their own township, coordinators only
at their venues; the expert reads the referral note in the patient list."""

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from app.bookings.errors import BookingError
from app.bookings.models import Booking, BookingSource, BookingStatus
from app.bookings.services import changes, referrals
from app.extensions import db
from app.scheduling.models import Audience, SessionKind, Slot
from app.scheduling.queries import places_left
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_patient,
    create_policy,
    create_session,
    create_township,
    create_township_doctor,
    create_user,
    create_venue,
    make_id_number,
)
from tests.helpers import login_as, post_form

DAY = TODAY + timedelta(days=3)  # Friday 4 December, open for online booking at NOW
RELEASE = NOW + timedelta(days=2)  # the referral places' release


@pytest.fixture
def world(db):
    township = create_township(name="官庄镇")
    centre = create_venue(name="官庄镇卫生院", township=township)
    hospital = create_venue(name="醴陵市中医院", township=township)
    expert = create_expert(name="易建华")
    session = create_session(day=DAY, venue=hospital, slots=1, capacity=3, hours=0.5,
                             experts=[expert])
    slot = session.slots[0]
    slot.reserved, slot.reserved_until = 2, RELEASE
    doctor = create_township_doctor(centre, name="刘医生")
    db.session.commit()
    return {"township": township, "centre": centre, "session": session, "slot": slot,
            "doctor": doctor, "expert": expert, "hospital": hospital}


def _refer(world, n: int, *, now=NOW, note="胸闷两周，心电图 ST 段改变"):
    booking = referrals.book_referral(
        world["slot"].id, name=f"病人{n}", id_number=make_id_number(seq=300 + n),
        phone=f"1370000{n:04d}", note=note, by=world["doctor"], now=now)
    db.session.commit()
    return booking


def _public(world, n: int, *, now=NOW):
    patient = create_patient(id_number=make_id_number(seq=400 + n))
    db.session.commit()
    booking = book_slot(world["slot"].id, patient, by=patient.account, now=now)
    db.session.commit()
    return booking


def _refused(fn) -> str:
    with pytest.raises(BookingError) as info:
        fn()
    db.session.rollback()
    return info.value.message


def test_the_public_sees_and_books_only_the_places_not_kept(world):
    assert places_left([world["session"].id], now=NOW)[world["session"].id].left == 1
    _public(world, 1)

    assert _refused(lambda: _public(world, 2)) == "该时段已约满，可以登记候补"
    slot = db.session.get(Slot, world["slot"].id)
    assert (slot.booked_count, slot.referred_count, slot.public_left(NOW)) == (1, 0, 0)


def test_unused_referral_places_join_the_public_pool_at_their_release(world):
    _public(world, 1)
    _refer(world, 1)

    later = RELEASE
    assert places_left([world["session"].id], now=later)[world["session"].id].left == 1
    _public(world, 2, now=later)
    assert _refused(lambda: _public(world, 3, now=later)) == "该时段已约满，可以登记候补"
    assert db.session.get(Slot, world["slot"].id).booked_count == 3  # never above capacity


def test_a_township_doctor_refers_before_public_release_with_a_note(world):
    slot = db.session.get(Slot, world["slot"].id)
    early = NOW - timedelta(days=5)  # online booking is not open yet
    assert _refused(lambda: _public(world, 1, now=early)).startswith("该时段将于")

    booking = _refer(world, 1, now=early)

    assert (booking.source, booking.referral_note, booking.status) == (
        BookingSource.REFERRAL, "胸闷两周，心电图 ST 段改变", BookingStatus.CONFIRMED)
    db.session.refresh(slot)
    assert (slot.booked_count, slot.referred_count) == (1, 1)
    _refer(world, 2)
    assert _refused(lambda: _refer(world, 3)) == "这个时段的转诊号已用完或已放出，请选择其他时段"
    assert _refused(lambda: _refer(world, 4, note="  ")) == "请写一句转诊说明（病情、为什么转诊）"


def test_no_referral_after_the_release(world):
    assert _refused(lambda: _refer(world, 1, now=RELEASE)) == (
        "这个时段的转诊号已用完或已放出，请选择其他时段")


def test_a_cancelled_referral_goes_back_to_the_kept_places_before_release(world):
    booking = _refer(world, 1)
    clerk = create_user()
    db.session.commit()
    changes.cancel_booking(booking, by=clerk, now=NOW, reason="病人改期", staff=True)
    db.session.commit()

    slot = db.session.get(Slot, world["slot"].id)
    assert (slot.booked_count, slot.referred_count, slot.public_left(NOW)) == (0, 0, 1)


def test_a_referral_is_not_rescheduled_online(world):
    booking = _refer(world, 1)
    other = create_session(day=DAY, start=time(14, 0), experts=[world["expert"]],
                           venue=world["hospital"])
    db.session.commit()

    assert _refused(lambda: changes.reschedule_booking(
        booking, other.slots[0].id, by=world["doctor"], now=NOW)) == (
        "转诊预约不能改约；要换时间，请联系转诊的医生")


def test_who_may_refer_where(world, client):
    elsewhere = create_venue(name="浦口镇卫生院", township=create_township(name="浦口镇"))
    far_session = create_session(day=DAY, venue=elsewhere, slots=1, capacity=3)
    far_session.slots[0].reserved, far_session.slots[0].reserved_until = 1, RELEASE
    other_doctor = create_township_doctor(elsewhere)
    coordinator = create_coordinator(world["hospital"])
    other_coordinator = create_coordinator(elsewhere)
    db.session.commit()
    here, there = world["session"].id, far_session.id

    def listed(user):
        return [s.id for s in referrals.referral_sessions(user, now=NOW)]

    assert listed(world["doctor"]) == [here] and listed(other_doctor) == [there]
    assert listed(coordinator) == [here] and listed(other_coordinator) == [there]
    login_as(client, world["doctor"])
    assert client.get(f"/console/referrals/{there}").status_code == 404
    assert client.get(f"/console/referrals/{here}").status_code == 200
    assert client.get("/console").headers["Location"] == "/console/referrals"
    login_as(client, create_user())  # a resident
    assert client.get(f"/console/referrals/{here}").status_code == 403


def test_the_referral_page_books_and_the_expert_reads_the_note(world, client):
    login_as(client, world["doctor"])
    page = client.get("/console/referrals").text
    assert "醴陵市中医院" in page and "转诊号余 2 个" in page

    response = post_form(client, f"/console/referrals/{world['session'].id}", {
        "slot": world["slot"].id, "name": "王秀兰", "id_number": make_id_number(seq=501),
        "phone": "13700000001", "note": "血压控制不佳，请专家调药",
        "nonce": re.search(r'name="nonce"[^>]*value="([^"]+)"', client.get(
            f"/console/referrals/{world['session'].id}").text).group(1)})

    assert response.status_code == 302
    booking = db.session.scalar(select(Booking))
    assert (booking.referral_note, booking.booked_by_id) == ("血压控制不佳，请专家调药",
                                                            world["doctor"].id)
    expert_account = create_expert_user(world["expert"])
    login_as(client, expert_account)
    page = client.get(f"/console/sessions/{world['session'].id}").text
    assert "转诊说明：血压控制不佳，请专家调药" in page and "已转诊 1 / 2" in page


def test_the_doctor_sees_and_cancels_the_patients_they_referred(world, client):
    """After 已转诊 there was nowhere to see a referral again, nor to cancel it."""
    first, second = _refer(world, 1), _refer(world, 2)
    other = create_township_doctor(world["centre"], name="别的医生")
    db.session.commit()
    login_as(client, world["doctor"])

    page = client.get("/console/referrals").text
    assert "我转诊的病人" in page and "我的场次" not in page  # that menu item led here too
    assert "病人1" in page and "病人2" in page and first.code in page
    assert page.count("取消转诊") == 2
    response = post_form(client, f"/console/referrals/bookings/{first.id}/cancel", {},
                         page="/console/referrals")

    assert response.headers["Location"] == "/console/referrals#referred"
    db.session.expire_all()
    assert db.session.get(Booking, first.id).status == BookingStatus.CANCELLED
    assert db.session.get(Slot, world["slot"].id).referred_count == 1  # kept again
    assert "已取消病人1的转诊预约。" in client.get("/console/referrals").text
    login_as(client, other)  # another doctor's referral is not found
    assert post_form(client, f"/console/referrals/bookings/{second.id}/cancel", {},
                     page="/console/referrals").status_code == 404
    assert "病人2" not in client.get("/console/referrals").text


def test_a_session_without_referral_places_left_says_so(world, client):
    _refer(world, 1), _refer(world, 2)  # both kept places used
    login_as(client, world["doctor"])

    page = client.get(f"/console/referrals/{world['session'].id}").text

    assert "本场的转诊号已经用完或已经放给大家" in page and 'name="id_number"' not in page


def test_the_referral_form_refuses_bad_input_and_books_nothing(world, client):
    login_as(client, world["doctor"])
    path = f"/console/referrals/{world['session'].id}"
    response = post_form(client, path, {"slot": world["slot"].id, "name": "王秀兰",
                                        "id_number": "430281", "phone": "", "note": "",
                                        "nonce": "n1"})
    assert response.status_code == 200
    assert "身份证号码不正确" in response.text and "请写一句转诊说明" in response.text
    assert db.session.scalar(select(Booking)) is None


def test_planning_a_clinic_with_referral_places(world, client):
    from app.scheduling.models import Session

    login_as(client, create_coordinator(world["hospital"]))
    response = post_form(client, "/console/sessions/new", {
        "venue": world["hospital"].id, "kind": "clinic", "experts": [world["expert"].id],
        "day": (TODAY + timedelta(days=10)).isoformat(), "start": "08:00", "end": "09:00",
        "audience": "public", "slot_minutes": "30", "per_slot": "5",
        "referral_places": "2", "referral_hours": "48", "status": "published"})
    assert response.status_code == 302
    session = db.session.scalars(select(Session).order_by(Session.id.desc())).first()
    assert [(s.reserved, s.reserved_until) for s in session.slots] == [
        (2, session.start_dt - timedelta(hours=48))] * 2

    response = post_form(client, "/console/sessions/new", {
        "venue": world["hospital"].id, "kind": "clinic", "experts": [world["expert"].id],
        "day": (TODAY + timedelta(days=11)).isoformat(), "start": "08:00", "end": "09:00",
        "audience": "public", "slot_minutes": "30", "per_slot": "5",
        "referral_places": "6", "referral_hours": "24", "status": "draft"}, page=(
            "/console/sessions/new"))
    assert response.status_code == 200 and "每个时段的转诊号应为 0 到 5 个" in response.text


def test_township_doctors_book_sessions_for_local_doctors_online(world, client):
    lecture = create_session(day=DAY, kind=SessionKind.LECTURE, title="基层高血压诊治",
                             audience=Audience.PROFESSIONAL, slots=1, capacity=30,
                             venue=world["hospital"])
    create_policy()
    doctor_self = create_patient(account=world["doctor"], id_number=make_id_number(seq=601))
    resident = create_patient(id_number=make_id_number(seq=602))
    db.session.commit()
    slot_id = lecture.slots[0].id

    booking = book_slot(slot_id, doctor_self, by=world["doctor"], now=NOW, professional=True)
    db.session.commit()
    assert booking.status == BookingStatus.CONFIRMED
    assert _refused(lambda: book_slot(slot_id, resident, by=resident.account, now=NOW)) == (
        "本场面向医务人员，不在网上报名；请通过所在卫生院报名")
    login_as(client, world["doctor"])
    assert "不在网上报名" not in client.get(f"/slots/{slot_id}/book").text


def test_township_doctors_wait_for_a_full_session_for_local_doctors(world, client):
    """When such a lecture is full, the township doctor joins its waitlist, as a
    resident does for a clinic; a resident still cannot."""
    from app.bookings.models import WaitlistEntry
    from app.bookings.services.waitlist import join_waitlist

    lecture = create_session(day=DAY, kind=SessionKind.LECTURE, title="基层糖尿病管理",
                             audience=Audience.PROFESSIONAL, slots=1, capacity=1,
                             venue=world["hospital"])
    create_policy()
    first = create_patient(id_number=make_id_number(seq=611))
    doctor_self = create_patient(account=world["doctor"], id_number=make_id_number(seq=612))
    resident = create_patient(id_number=make_id_number(seq=613))
    db.session.commit()
    slot_id = lecture.slots[0].id
    book_slot(slot_id, first, by=first.account, now=NOW, professional=True)
    db.session.commit()

    login_as(client, world["doctor"])
    page = post_form(client, f"/slots/{slot_id}/waitlist", {"patient": doctor_self.id},
                     page=f"/slots/{slot_id}/book")
    with pytest.raises(BookingError) as refused:
        join_waitlist(slot_id, resident, by=resident.account, now=NOW)
    db.session.rollback()

    assert page.status_code == 302 and page.headers["Location"].endswith("/waitlist")
    assert db.session.scalar(select(WaitlistEntry.patient_id)) == doctor_self.id
    assert "面向医务人员" in refused.value.message


def test_a_referral_cancelled_after_the_release_is_a_public_place(world):
    booking = _refer(world, 1)
    clerk = create_user()
    db.session.commit()
    changes.cancel_booking(booking, by=clerk, now=RELEASE, reason="病人改期", staff=True)
    db.session.commit()

    slot = db.session.get(Slot, world["slot"].id)
    assert (slot.booked_count, slot.referred_count, slot.public_left(RELEASE)) == (0, 0, 3)


def test_the_api_leaves_kept_places_out_until_their_release(world, client):
    session_id = world["session"].id

    session = client.get(f"/api/v1/sessions/{session_id}").json
    slots = client.get(f"/api/v1/sessions/{session_id}/slots").json
    assert session["places_left"] == 1 and slots[0]["places_left"] == 1
    assert slots[0]["capacity"] == 3


def test_moving_a_session_moves_its_referral_places(world):
    from dataclasses import replace

    from app.scheduling.services import PlanError, plan_of_session, update_session

    _refer(world, 1)  # booked: its slots move in place
    session = db.session.get(type(world["session"]), world["session"].id)
    plan = replace(plan_of_session(session), day=DAY + timedelta(days=2))
    clerk = create_user()
    db.session.commit()

    update_session(session, plan, by=clerk, now=NOW)
    db.session.commit()

    slot = db.session.get(Slot, world["slot"].id)
    assert (slot.reserved, slot.referred_count) == (2, 1)
    assert slot.reserved_until == RELEASE + timedelta(days=2)
    session = db.session.get(type(world["session"]), world["session"].id)
    with pytest.raises(PlanError, match="每个时段的转诊号应为 0 到 1 个"):
        update_session(session, replace(plan_of_session(session), per_slot=1), by=clerk,
                       now=NOW)
    db.session.rollback()


def test_released_referral_places_go_to_the_waiters_first(world):
    """The public place taken, two people wait; one referral place is used. At the
    release the unused one is offered to the first waiter (the scheduler's job), not
    left to whoever books first; nothing happens before it, or twice."""
    from app.bookings.models import WaitlistEntry, WaitlistStatus
    from app.bookings.services.waitlist import join_waitlist, offer_free_places
    from app.notifications.models import Message

    _public(world, 1)
    _refer(world, 1)
    waiters = [create_patient(id_number=make_id_number(seq=500 + n)) for n in range(2)]
    db.session.commit()
    for patient in waiters:
        join_waitlist(world["slot"].id, patient, by=patient.account, now=NOW)
        db.session.commit()

    before = offer_free_places(now=RELEASE - timedelta(minutes=1))
    db.session.commit()
    at_release = offer_free_places(now=RELEASE + timedelta(seconds=30))
    db.session.commit()
    again = offer_free_places(now=RELEASE + timedelta(minutes=1))
    db.session.commit()

    statuses = [db.session.scalar(select(WaitlistEntry.status).where(
        WaitlistEntry.patient_id == patient.id)) for patient in waiters]
    slot = db.session.get(Slot, world["slot"].id)
    offers = db.session.scalars(select(Message.kind).where(
        Message.kind.like("waitlist_offer%"))).all()
    assert (before, at_release, again) == (0, 1, 0)
    assert statuses == [WaitlistStatus.OFFERED, WaitlistStatus.WAITING]
    assert (slot.booked_count, slot.public_left(RELEASE)) == (3, 0)  # held for the offer
    assert offers  # the first waiter is told
    assert _refused(lambda: _public(world, 2, now=RELEASE + timedelta(minutes=2))) == (
        "该时段已约满，可以登记候补")


def test_released_places_beyond_the_waiters_stay_in_the_slot(world):
    """Both referral places unused and one person waiting: at the release one place is
    offered, the other stays free for whoever books."""
    from app.bookings.services.waitlist import join_waitlist, offer_free_places

    _public(world, 1)
    waiter = create_patient(id_number=make_id_number(seq=510))
    db.session.commit()
    join_waitlist(world["slot"].id, waiter, by=waiter.account, now=NOW)
    db.session.commit()

    passed = offer_free_places(now=RELEASE + timedelta(seconds=30))
    db.session.commit()

    slot = db.session.get(Slot, world["slot"].id)
    assert passed == 1
    assert (slot.booked_count, slot.public_left(RELEASE + timedelta(seconds=30))) == (2, 1)

"""Security review item 1: anyone may type in someone else's ID number as a family member
(就诊人). What that account may learn and do, and what the real person sees and hears.

The cast: 王秀英 (the person), with an account of her own; her daughter's account, which
holds her as a family member and books for her; a stranger's account, which typed in
her ID number too.
"""

from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.errors import BookingError
from app.bookings.models import Booking, BookingStatus
from app.bookings.services import waitlist
from app.core.errors import DomainError
from app.extensions import db
from app.notifications.models import Channel, Message
from app.patients.models import Patient, Person, Relation, person_key
from app.patients.services import add_patient, remove_patient
from app.patients.services import create_patient as create_patient_for
from tests.api.helpers import bearer
from tests.bookings.test_concurrency import Browser, _field, _residents, served
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.helpers import PASSWORD, at_once, login, post_form

DAY = TODAY + timedelta(days=2)
HER_NUMBER = make_id_number(seq=41)
GENERIC = "王秀英现在不能在网上预约。请到医院窗口咨询，或用王秀英本人的账号预约。"
FAMILY_FULL = "这个身份证号已被3个账号添加为家人，不能再添加。如有疑问，请到医院窗口咨询"


@pytest.fixture
def cast(db):
    """Her own account, her daughter's and a stranger's, each holding her as a patient."""
    her = create_patient(account=create_user(phone="13900000101", password=PASSWORD),
                         name="王秀英", id_number=HER_NUMBER, phone="13900000101")
    daughter = create_patient(account=create_user(phone="13900000102", password=PASSWORD),
                              name="王秀英", id_number=HER_NUMBER, phone="13900000102",
                              relation=Relation.PARENT)
    stranger = create_patient(account=create_user(phone="13900000103", password=PASSWORD),
                              name="王秀英", id_number=HER_NUMBER, phone="13900000103",
                              relation=Relation.OTHER)
    db.session.commit()
    return her, daughter, stranger


def _clinic(db, hour: int = 8, **kw):
    session = create_session(day=DAY, start=time(hour, 0), **kw)
    db.session.commit()
    return session


def _book(db, session, patient, slot: int = 0):
    booked = book_slot(session.slots[slot].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    return booked


def _refusal(fn) -> tuple[str, str]:
    with pytest.raises(BookingError) as info:
        fn()
    db.session.rollback()  # as every caller does after a refusal
    return info.value.code, info.value.message


# (a) the refusal rule


def test_review_1a_already_booked_by_another_account_is_not_told(db, cast):
    her, _daughter, stranger = cast
    session = _clinic(db)
    _book(db, session, her)

    refusal = _refusal(lambda: _book(db, session, stranger, slot=1))

    assert refusal == ("person_not_bookable", GENERIC)


def test_review_1a_the_limit_reached_by_another_account_is_not_told(db, cast):
    her, daughter, stranger = cast
    for hour, patient in ((8, her), (9, daughter), (10, daughter)):
        _book(db, _clinic(db, hour=hour), patient)
    fourth = _clinic(db, hour=14)

    assert _refusal(lambda: _book(db, fourth, stranger)) == ("person_not_bookable", GENERIC)
    # The daughter made two of the three: she is not told either.
    assert _refusal(lambda: _book(db, fourth, daughter)) == ("person_not_bookable", GENERIC)
    # Her own account sees every booking made for her: it hears the reason.
    assert _refusal(lambda: _book(db, fourth, her)) == (
        "limit_reached", "王秀英已有3个未就诊的预约，达到上限，请先就诊或取消一个")
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 3


def test_the_reason_is_told_when_the_asker_made_every_booking(db, cast):
    _her, daughter, _stranger = cast
    first = _clinic(db)
    _book(db, first, daughter)

    assert _refusal(lambda: _book(db, first, daughter, slot=1)) == (
        "already_booked", "王秀英已预约本场，同一场次每人只能预约一个号")
    for hour in (9, 10):
        _book(db, _clinic(db, hour=hour), daughter)
    assert _refusal(lambda: _book(db, _clinic(db, hour=14), daughter)) == (
        "limit_reached", "王秀英已有3个未就诊的预约，达到上限，请先就诊或取消一个")


def test_review_1a_a_suspension_from_others_no_shows_is_not_told(db, cast):
    her, daughter, stranger = cast
    past = create_session(day=TODAY - timedelta(days=3), slots=3)
    db.session.add(Person(key=her.id_number_hash, active_count=0,
                          suspended_until=NOW + timedelta(days=20)))
    db.session.flush()
    for i in range(3):
        db.session.add(Booking(
            code=f"NOSHW{i}", slot_id=past.slots[i].id, session_id=past.id,
            patient_id=daughter.id, person_key=daughter.id_number_hash,
            account_id=daughter.account_id, booked_by_id=daughter.account_id, source="web",
            status=BookingStatus.NO_SHOW, queue_number=i + 1, created_dt=NOW, updated_dt=NOW))
    db.session.commit()
    session = _clinic(db)

    assert _refusal(lambda: _book(db, session, stranger)) == ("person_not_bookable", GENERIC)
    assert _refusal(lambda: _book(db, session, daughter))[0] == "suspended"
    assert _refusal(lambda: _book(db, session, her))[0] == "suspended"


def test_review_1a_the_waitlist_does_not_tell_either(db, cast):
    her, _daughter, stranger = cast
    session = _clinic(db, capacity=1, slots=2)
    _book(db, session, her)
    full = session.slots[1]
    full.booked_count = 1
    db.session.commit()

    refusal = _refusal(lambda: waitlist.join_waitlist(full.id, stranger, by=stranger.account,
                                                      now=NOW))

    assert refusal == ("person_not_bookable", GENERIC)


def test_review_1a_the_api_answers_the_same_refusal(db, client, cast):
    her, _daughter, stranger = cast
    session = _clinic(db)
    _book(db, session, her)

    response = client.post("/api/v1/bookings", headers=bearer(stranger.account),
                           json={"slot_id": session.slots[1].id, "patient_id": stranger.id})

    assert response.status_code == 409
    assert response.json == {"error": {"code": "person_not_bookable", "message": GENERIC}}


# (b) her own account sees and cancels what others booked for her


def test_review_1b_her_own_account_lists_and_cancels_a_strangers_booking(db, client, cast):
    her, _daughter, stranger = cast
    booked = _book(db, _clinic(db), stranger)
    mine = _book(db, _clinic(db, hour=9), her)

    assert login(client, her.account.phone).status_code == 302
    listing = client.get("/bookings").text
    detail = client.get(f"/bookings/{booked.id}")
    cancelled = post_form(client, f"/bookings/{booked.id}/cancel", {"reason": ""},
                          page=f"/bookings/{booked.id}")

    assert f'href="/bookings/{booked.id}"' in listing and f'href="/bookings/{mine.id}"' in listing
    assert "由账号139****0103代约" in listing
    assert detail.status_code == 200 and "由账号139****0103代约" in detail.text
    assert f"/bookings/{booked.id}/reschedule" not in detail.text  # cancel, not move
    assert cancelled.status_code == 302
    assert db.session.get(Booking, booked.id).status == BookingStatus.CANCELLED
    assert db.session.get(Person, her.id_number_hash).active_count == 1
    assert client.get(f"/bookings/{booked.id}/reschedule").status_code == 404


def test_the_stranger_never_sees_her_own_bookings(db, client, cast):
    her, _daughter, stranger = cast
    mine = _book(db, _clinic(db), her)

    assert login(client, stranger.account.phone).status_code == 302

    assert client.get(f"/bookings/{mine.id}").status_code == 404
    assert f"/bookings/{mine.id}" not in client.get("/bookings").text


def test_review_1b_the_api_lists_them_with_who_booked(db, client, cast):
    her, _daughter, stranger = cast
    booked = _book(db, _clinic(db), stranger)
    headers = bearer(her.account)

    listing = client.get("/api/v1/bookings", headers=headers).json
    cancelled = client.post(f"/api/v1/bookings/{booked.id}/cancel", headers=headers, json={})

    assert [(b["id"], b["booked_by_phone"]) for b in listing["items"]] == [
        (booked.id, "139****0103")]
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"


# (c) someone else's booking texts her own phone


def _texts(db, kind: str) -> list[tuple]:
    return sorted(db.session.execute(
        select(Message.channel, Message.recipient, Message.user_id)
        .where(Message.kind == kind)).all(), key=str)


def test_review_1c_another_accounts_booking_texts_her_own_phone(db, cast):
    her, _daughter, stranger = cast

    _book(db, _clinic(db), stranger)

    told = _texts(db, "booked_for_you")
    assert told == sorted([(Channel.SMS, "13900000101", her.account_id),
                           (Channel.INBOX, "", her.account_id)], key=str)
    sms = db.session.scalar(select(Message.body).where(
        Message.kind == "booked_for_you", Message.channel == Channel.SMS))
    assert sms.startswith("【乡情专家行】账号139****0103为王秀英预约了12月3日 08:00 ")
    assert sms.endswith("如不知情，请登录本人账号取消。") and len(sms) <= 70


def test_her_own_booking_tells_nobody_else(db, cast):
    her, _daughter, _stranger = cast

    _book(db, _clinic(db), her)

    assert _texts(db, "booked_for_you") == []


def test_review_1c_without_an_account_the_desks_phone_hears_it(db):
    walk_in = create_patient(account_id=None, name="赵桂兰", id_number=make_id_number(seq=43),
                             phone="13700000043")
    booker = create_patient(account=create_user(phone="13900000144"), name="赵桂兰",
                            id_number=make_id_number(seq=43), phone="13900000144",
                            relation=Relation.OTHER)
    db.session.commit()
    assert walk_in.id

    _book(db, _clinic(db), booker)

    assert _texts(db, "booked_for_you") == [(Channel.SMS, "13700000043", None)]
    sms = db.session.scalar(select(Message.body).where(Message.kind == "booked_for_you"))
    assert sms.endswith("如不知情，请联系医院窗口。") and len(sms) <= 70


# (d) one ID number is a family member under at most 3 accounts


def _add_her(client, user):
    browser = client.application.test_client()  # a browser of the account's own
    assert login(browser, user.phone).status_code == 302
    return post_form(browser, "/patients/new", {"name": "王秀英", "id_number": HER_NUMBER,
                                               "phone": "13900000101", "relation": "parent"})


def _family_of(db, number: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Patient).where(
        Patient.id_number_hash == person_key(number), Patient.relation != Relation.SELF))


def test_review_1d_a_fourth_account_cannot_add_her(db, client):
    accounts = [create_user(phone=f"1390000020{i}", password=PASSWORD) for i in range(4)]
    db.session.commit()

    answers = [_add_her(client, account) for account in accounts]

    assert [a.status_code for a in answers[:3]] == [302, 302, 302]
    assert answers[3].status_code == 200
    assert FAMILY_FULL in answers[3].text
    assert _family_of(db, HER_NUMBER) == 3


def test_review_1d_five_accounts_adding_her_at_once_leave_three(scratch_url):
    with served(scratch_url, 5) as (app, base):
        phones = _residents(app, 5)
        browsers = [Browser(base) for _ in phones]
        forms = []
        for browser, phone in zip(browsers, phones, strict=True):
            browser.login(phone)
            _status, page, _location = browser.request("/patients/new")
            forms.append({"csrf_token": _field(page, "csrf_token"), "name": "王秀英",
                          "id_number": HER_NUMBER, "phone": "13900000101",
                          "relation": "parent"})

        answers = at_once([lambda b=b, f=f: b.request("/patients/new", f)[0]
                           for b, f in zip(browsers, forms, strict=True)])

        assert sorted(answers) == [200, 200, 302, 302, 302]
        with app.app_context():
            assert _family_of(db, HER_NUMBER) == 3
            db.session.remove()


def _add(account, *, number: str = HER_NUMBER) -> Patient:
    """Add her to ``account`` as its own unit of work."""
    patient = add_patient(account.id, name="王秀英", id_number=number, phone="13900000101",
                          relation=Relation.PARENT, max_patients=5, now=NOW)
    db.session.commit()
    return patient


def test_review_1d_her_own_account_does_not_count_and_removing_frees_a_place(db):
    create_patient(account=create_user(), name="王秀英", id_number=HER_NUMBER)
    accounts = [create_user() for _ in range(4)]
    db.session.commit()
    added = [_add(account) for account in accounts[:3]]
    with pytest.raises(DomainError) as refused:
        _add(accounts[3])
    db.session.rollback()
    remove_patient(accounts[0].id, added[0].id, now=NOW)
    db.session.commit()

    fourth = _add(accounts[3])

    assert (refused.value.code, refused.value.message) == ("too_many_family_accounts",
                                                           FAMILY_FULL)
    assert fourth.is_enabled and _family_of(db, HER_NUMBER) == 4  # one of them removed


def test_review_1d_an_id_number_is_one_accounts_holder_only(db):
    create_patient(account=create_user(), name="王秀英", id_number=HER_NUMBER)
    db.session.commit()

    with pytest.raises(DomainError) as refused:
        create_patient_for(create_user().id, name="王秀英", id_number=HER_NUMBER,
                           phone="13900000109", relation=Relation.SELF, max_patients=1,
                           now=NOW)

    assert refused.value.code == "id_number_registered"

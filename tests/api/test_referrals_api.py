"""Referrals through the API (issue #17's referral places, for a health centre's own
system): the same rules and answers as /console/referrals."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingSource
from app.extensions import db
from app.notifications.models import Channel, Message
from tests.api.helpers import bearer
from tests.factories import (
    NOW,
    TODAY,
    create_patient,
    create_session,
    create_township,
    create_township_doctor,
    create_venue,
    make_id_number,
)

DAY = TODAY + timedelta(days=3)


@pytest.fixture
def world(db):
    township, elsewhere = create_township(name="官庄镇"), create_township(name="船湾镇")
    centre = create_venue(name="官庄镇卫生院", township=township)
    ours = create_session(day=DAY, venue=create_venue(township=township), slots=2,
                          capacity=3, hours=1)
    theirs = create_session(day=DAY, venue=create_venue(township=elsewhere), slots=1,
                            capacity=3, hours=0.5)
    for slot in [*ours.slots, *theirs.slots]:
        slot.reserved, slot.reserved_until = 1, NOW + timedelta(days=2)
    doctor = create_township_doctor(centre, name="刘医生")
    resident = create_patient(id_number=make_id_number(seq=700)).account
    db.session.commit()
    return {"ours": ours, "theirs": theirs, "doctor": doctor, "resident": resident}


def _refer(client, world, slot, **fields):
    headers = {**bearer(world["doctor"]), **fields.pop("_headers", {})}
    body = {"slot_id": slot.id, "name": "王桂英", "id_number": make_id_number(seq=701),
            "phone": "13712345678", "note": "反复胸闷两周，心电图 ST 段改变", **fields}
    return client.post("/api/v1/referrals", json=body, headers=headers)


def test_a_township_doctor_lists_and_books_referral_places(client, world):
    listed = client.get("/api/v1/referrals/sessions", headers=bearer(world["doctor"]))
    slot = world["ours"].slots[0]

    made = _refer(client, world, slot)

    assert listed.status_code == 200
    assert [s["id"] for s in listed.json] == [world["ours"].id]  # not the other township's
    assert [s["referral_places_left"] for s in listed.json[0]["slots"]] == [1, 1]
    assert made.status_code == 201, made.json
    assert made.json["source"] == "referral" and made.json["note"].startswith("反复胸闷")
    assert made.json["patient"]["id_number"].count("*") == 8  # masked
    booking = db.session.get(Booking, made.json["id"])
    assert (booking.source, booking.referral_note[:4]) == (BookingSource.REFERRAL, "反复胸闷")
    assert db.session.scalar(select(func.count()).select_from(Message).where(
        Message.booking_id == booking.id, Message.channel == Channel.SMS)) >= 1


def test_someone_elses_session_is_not_found_and_residents_are_forbidden(client, world):
    other = _refer(client, world, world["theirs"].slots[0])
    missing = _refer(client, world, world["ours"].slots[0], slot_id=999_999)
    resident = client.post("/api/v1/referrals", headers=bearer(world["resident"]), json={
        "slot_id": world["ours"].slots[0].id, "name": "王桂英",
        "id_number": make_id_number(seq=702), "note": "转诊"})
    listing = client.get("/api/v1/referrals/sessions", headers=bearer(world["resident"]))

    assert (other.status_code, other.json["error"]["code"]) == (404, "not_found")
    assert missing.status_code == 404
    assert resident.status_code == listing.status_code == 403
    assert db.session.scalar(select(func.count(Booking.id))) == 0


@pytest.mark.parametrize(("fields", "field"), [
    ({"note": "  "}, "note"),
    ({"phone": "12345"}, "phone"),
    ({"name": ""}, "name"),
    ({"slot_id": "x"}, "slot_id"),
])
def test_bad_input_is_a_422_naming_the_field_and_books_nothing(client, world, fields, field):
    answer = _refer(client, world, world["ours"].slots[0], **fields)

    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_a_wrong_id_number_is_refused_with_its_message(client, world):
    answer = _refer(client, world, world["ours"].slots[0], id_number="430281195603071234")

    assert 400 <= answer.status_code < 500
    assert answer.json["error"]["message"] == "身份证号码不正确"
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_a_repeated_request_books_once_and_the_last_place_refuses(client, world):
    slot = world["ours"].slots[0]
    key = {"_headers": {"Idempotency-Key": "ref-1"}}
    first = _refer(client, world, slot, **key)
    again = _refer(client, world, slot, **key)
    no_place = _refer(client, world, slot, id_number=make_id_number(seq=703))

    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert no_place.status_code == 409
    assert db.session.scalar(select(func.count(Booking.id))) == 1

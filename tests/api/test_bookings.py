"""A resident's bookings through the API: the engine's rules, idempotency, and nobody
else's bookings, patients or messages."""

from datetime import timedelta

from sqlalchemy import func, select

from app.bookings.models import Booking
from tests.api.helpers import bearer
from tests.factories import (
    TODAY,
    create_expert,
    create_patient,
    create_session,
    create_user,
    make_id_number,
)
from tests.helpers import login_as


def _resident():
    user = create_user()
    patient = create_patient(account=user, phone="13900001111")
    return user, patient


def _slot(capacity: int = 5, slots: int = 2):
    return create_session(day=TODAY + timedelta(days=2), slots=slots, capacity=capacity).slots


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Booking))


def test_booking_for_myself_by_default(client, db):
    user, patient = _resident()
    slot = _slot()[0]
    headers = bearer(user)

    response = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)

    assert response.status_code == 201
    body = response.get_json()
    assert (body["patient"]["id"], body["source"], body["status"]) == (
        patient.id, "api", "confirmed")
    assert body["queue_number"] == 1
    assert body["slot"]["starts_at"] == "2026-12-03T08:00:00+08:00"
    listed = client.get("/api/v1/bookings", headers=headers).get_json()
    assert [b["id"] for b in listed["items"]] == [body["id"]]
    assert client.get(f"/api/v1/bookings/{body['id']}", headers=headers).get_json() == body


def test_the_created_answer_is_the_booking_as_reading_it_shows_it(client, db):
    """The 201 body is built from two plain queries; reading the booking back goes
    through the ORM: both must say the same, field for field."""
    user, _patient = _resident()
    experts = [create_expert(), create_expert()]
    session = create_session(day=TODAY + timedelta(days=2), title="", experts=experts)
    headers = bearer(user)

    created = client.post("/api/v1/bookings", json={"slot_id": session.slots[0].id},
                          headers=headers).get_json()
    read = client.get(f"/api/v1/bookings/{created['id']}", headers=headers).get_json()

    assert created == read
    assert created["session"]["venue"]["township"]["name"]
    assert created["session"]["title"] == f"{experts[0].name}、{experts[1].name} " \
        f"{experts[0].specialty.name}"
    assert [e["id"] for e in created["session"]["experts"]] == [e.id for e in experts]


def test_booking_a_family_member_and_not_someone_elses_patient(client, db):
    user, _me = _resident()
    mother = create_patient(account=user, name="母亲", relation="parent",
                            id_number=make_id_number(seq=321))
    stranger = create_patient(id_number=make_id_number(seq=555))
    slots = _slot()
    headers = bearer(user)

    ok = client.post("/api/v1/bookings", json={"slot_id": slots[0].id, "patient_id": mother.id},
                     headers=headers)
    theirs = client.post("/api/v1/bookings",
                         json={"slot_id": slots[1].id, "patient_id": stranger.id},
                         headers=headers)

    assert ok.get_json()["patient"]["name"] == "母亲"
    assert theirs.status_code == 404
    assert theirs.get_json()["error"]["code"] == "no_patient"


def test_full_slot_is_409_slot_full(client, db):
    user, _patient = _resident()
    slot = _slot(capacity=1)[0]
    slot.booked_count = 1

    response = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=bearer(user))

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "slot_full"


def test_idempotency_key_books_once_and_replays_the_first_response(client, db):
    user, _patient = _resident()
    slot = _slot()[0]
    headers = {**bearer(user), "Idempotency-Key": "order-42"}

    first = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)
    client.post(f"/api/v1/bookings/{first.get_json()['id']}/cancel", json={}, headers=headers)
    again = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.data == first.data
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(db) == 1
    other = client.post("/api/v1/bookings", json={"slot_id": slot.id + 1}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"


def test_a_refusal_is_replayed_too(client, db):
    user, _patient = _resident()
    slot = _slot(capacity=1)[0]
    slot.booked_count = 1
    headers = {**bearer(user), "Idempotency-Key": "k1"}

    first = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)
    again = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)

    assert (first.status_code, again.status_code) == (409, 409)
    assert again.data == first.data
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_refusal_stands_when_a_place_frees_before_the_repeat(client, db):
    """The repeat books (nothing told it the key answered already), finds the first
    answer when it keeps its own, and undoes its booking: the refusal is the answer."""
    user, _patient = _resident()
    slot = _slot(capacity=1)[0]
    slot.booked_count = 1
    headers = {**bearer(user), "Idempotency-Key": "k2"}
    first = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)
    slot.booked_count = 0
    db.session.commit()

    again = client.post("/api/v1/bookings", json={"slot_id": slot.id}, headers=headers)
    other = client.post("/api/v1/bookings", json={"slot_id": slot.id + 1}, headers=headers)

    assert (first.status_code, again.status_code) == (409, 409)
    assert again.data == first.data and again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert _count(db) == 0
    db.session.refresh(slot)
    assert slot.booked_count == 0


def test_bad_idempotency_key_is_422(client, db):
    user, _patient = _resident()
    response = client.post("/api/v1/bookings", json={"slot_id": 1},
                           headers={**bearer(user), "Idempotency-Key": "x" * 65})
    assert response.status_code == 422


def test_cancel_and_reschedule_call_the_engine(client, db):
    user, _patient = _resident()
    slots = _slot()
    headers = bearer(user)
    made = client.post("/api/v1/bookings", json={"slot_id": slots[0].id},
                       headers=headers).get_json()

    moved = client.post(f"/api/v1/bookings/{made['id']}/reschedule",
                        json={"slot_id": slots[1].id}, headers=headers)
    cancelled = client.post(f"/api/v1/bookings/{made['id']}/cancel",
                            json={"reason": "好了"}, headers=headers)
    twice = client.post(f"/api/v1/bookings/{made['id']}/cancel", json={}, headers=headers)

    assert moved.status_code == 200
    assert moved.get_json()["slot"]["id"] == slots[1].id
    assert cancelled.get_json()["status"] == "cancelled"
    assert twice.status_code == 409
    assert twice.get_json()["error"]["code"] == "not_bookable"


def test_another_accounts_booking_is_not_found_for_every_verb(client, db):
    owner, _patient = _resident()
    slots = _slot()
    made = client.post("/api/v1/bookings", json={"slot_id": slots[0].id},
                       headers=bearer(owner)).get_json()
    intruder = create_user()
    create_patient(account=intruder, id_number=make_id_number(seq=777))
    headers = bearer(intruder)

    responses = [
        client.get(f"/api/v1/bookings/{made['id']}", headers=headers),
        client.post(f"/api/v1/bookings/{made['id']}/cancel", json={}, headers=headers),
        client.post(f"/api/v1/bookings/{made['id']}/reschedule", json={"slot_id": slots[1].id},
                    headers=headers),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert client.get("/api/v1/bookings", headers=headers).get_json()["items"] == []
    owners_view = client.get(f"/api/v1/bookings/{made['id']}", headers=bearer(owner))
    assert owners_view.get_json()["status"] == "confirmed"


def test_every_resident_endpoint_needs_a_token(client, db):
    user, _patient = _resident()
    login_as(client, user)  # a browser's session cookie is not enough
    slot = _slot()[0]

    responses = [
        client.get("/api/v1/patients"),
        client.get("/api/v1/bookings"),
        client.post("/api/v1/bookings", json={"slot_id": slot.id}),
        client.get("/api/v1/bookings/1"),
        client.post("/api/v1/bookings/1/cancel", json={}),
        client.post("/api/v1/bookings/1/reschedule", json={"slot_id": slot.id}),
        client.get("/api/v1/messages"),
        client.post("/api/v1/messages/1/read"),
    ]

    assert [r.status_code for r in responses] == [401] * 8
    assert _count(db) == 0


def test_patients_show_masked_id_numbers_only(client, db):
    user, patient = _resident()

    body = client.get("/api/v1/patients", headers=bearer(user)).get_json()

    assert body == [{"id": patient.id, "name": "李秀英", "relation": "self",
                     "id_number": patient.id_number_masked, "phone": "139****1111"}]
    assert "*" in body[0]["id_number"]
    assert patient.reveal_id_number() not in str(body)


def test_inbox_lists_my_messages_and_reads_only_mine(client, db):
    user, _patient = _resident()
    headers = bearer(user)
    client.post("/api/v1/bookings", json={"slot_id": _slot()[0].id}, headers=headers)

    inbox = client.get("/api/v1/messages", headers=headers).get_json()

    assert inbox["total"] == 1
    message_id = inbox["items"][0]["id"]
    stranger = bearer(create_user())
    assert client.post(f"/api/v1/messages/{message_id}/read", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/messages/{message_id}/read", headers=headers).status_code == 204
    assert client.get("/api/v1/messages", headers=headers).get_json()["items"][0]["read_at"]


def test_malformed_json_is_a_json_error(client, db):
    user, _patient = _resident()
    response = client.post("/api/v1/bookings", data="{nope", headers={
        **bearer(user), "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert "error" in response.get_json()

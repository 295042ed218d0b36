"""Staff endpoints: the console's access rules and services, through Bearer tokens."""

from datetime import time, timedelta
from itertools import count

from app.bookings.models import BookingSource
from app.extensions import db as _db
from app.scheduling.models import Session, SessionStatus
from tests.api.helpers import bearer
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_assistant,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_patient,
    create_session,
    create_user,
    create_venue,
    make_id_number,
)


def _plan(venue, expert, **overrides) -> dict:
    plan = {"venue_id": venue.id, "kind": "clinic", "expert_ids": [expert.id],
            "starts_at": "2026-12-05T08:00:00+08:00", "ends_at": "2026-12-05T10:00:00+08:00"}
    plan.update(overrides)
    return plan


_people = count(1)


def _booked(session, slot_index: int = 0, *, now=NOW):
    """A front-desk booking in the session (committed, as a request would)."""
    patient = create_patient(account=create_user(),
                             id_number=make_id_number(seq=400 + next(_people)))
    _db.session.commit()
    booking = book_slot(session.slots[slot_index].id, patient, by=patient.account,
                               now=now, source=BookingSource.FRONT_DESK)
    _db.session.commit()
    return booking


def test_coordinator_plans_and_publishes_at_their_venue(client, db):
    venue, expert = create_venue(), create_expert()
    headers = bearer(create_coordinator(venue))

    made = client.post("/api/v1/staff/sessions", json=_plan(venue, expert, per_slot=4),
                       headers=headers)

    assert made.status_code == 201
    body = made.get_json()
    assert (body["status"], body["capacity"], body["starts_at"]) == (
        "draft", 16, "2026-12-05T08:00:00+08:00")
    published = client.post(f"/api/v1/staff/sessions/{body['id']}/publish", headers=headers)
    assert published.get_json()["status"] == "published"
    assert client.get(f"/api/v1/sessions/{body['id']}").status_code == 200


def test_coordinator_cannot_plan_or_touch_another_venue(client, db):
    mine, theirs, expert = create_venue(), create_venue(), create_expert()
    headers = bearer(create_coordinator(mine))
    session = create_session(venue=theirs, day=TODAY + timedelta(days=3))
    booking = _booked(session)

    planned = client.post("/api/v1/staff/sessions", json=_plan(theirs, expert), headers=headers)
    responses = [
        client.get(f"/api/v1/staff/sessions/{session.id}", headers=headers),
        client.patch(f"/api/v1/staff/sessions/{session.id}", json={"title": "x"},
                     headers=headers),
        client.post(f"/api/v1/staff/sessions/{session.id}/publish", headers=headers),
        client.post(f"/api/v1/staff/sessions/{session.id}/stop", json={"reason": "x"},
                    headers=headers),
        client.get(f"/api/v1/staff/sessions/{session.id}/bookings", headers=headers),
        client.post(f"/api/v1/staff/sessions/{session.id}/bookings/{booking.id}/check-in",
                    headers=headers),
        client.post(f"/api/v1/staff/sessions/{session.id}/bookings/{booking.id}/no-show",
                    headers=headers),
    ]

    assert planned.status_code == 403
    assert [r.status_code for r in responses] == [404] * 7
    listed = client.get("/api/v1/staff/sessions?start=2026-12-01&end=2026-12-10",
                        headers=headers).get_json()
    assert listed == []


def test_expert_sees_their_list_but_changes_nothing(client, db):
    expert = create_expert()
    session = create_session(experts=[expert], day=TODAY + timedelta(days=3))
    _booked(session)
    headers = bearer(create_expert_user(expert))

    assert client.get(f"/api/v1/staff/sessions/{session.id}/bookings",
                      headers=headers).status_code == 200
    assert client.post(f"/api/v1/staff/sessions/{session.id}/stop", json={"reason": "x"},
                       headers=headers).status_code == 403
    assert client.post("/api/v1/staff/sessions", json=_plan(session.venue, expert),
                       headers=headers).status_code == 403


def test_residents_and_visitors_get_no_staff_endpoint(client, db):
    session = create_session(day=TODAY + timedelta(days=3))

    resident = client.get(f"/api/v1/staff/sessions/{session.id}/bookings",
                          headers=bearer(create_user()))
    visitor = client.get(f"/api/v1/staff/sessions/{session.id}/bookings")

    assert (resident.status_code, visitor.status_code) == (403, 401)


def test_patient_list_masks_id_numbers_but_not_the_coordinators_phones(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=3))
    booking = _booked(session)

    rows = client.get(f"/api/v1/staff/sessions/{session.id}/bookings",
                      headers=bearer(create_coordinator(venue))).get_json()

    assert [r["id"] for r in rows] == [booking.id]
    assert rows[0]["patient"]["id_number"] == booking.patient.id_number_masked
    assert rows[0]["patient"]["phone"] == "13900000009"  # they call patients (README)
    assert booking.patient.reveal_id_number() not in str(rows)


def test_naive_times_are_422(client, db):
    venue, expert = create_venue(), create_expert()
    plan = _plan(venue, expert, starts_at="2026-12-05T08:00:00")

    response = client.post("/api/v1/staff/sessions", json=plan,
                           headers=bearer(create_coordinator(venue)))

    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"starts_at"}


def test_an_expert_who_is_not_free_is_409_clash(client, db):
    venue, expert = create_venue(), create_expert()
    create_session(venue=venue, experts=[expert], day=TODAY + timedelta(days=4))

    response = client.post("/api/v1/staff/sessions", json=_plan(venue, expert),
                           headers=bearer(create_coordinator(venue)))

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "clash"


def test_update_moves_a_booked_session_and_tells_its_patients(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=3), start=time(8, 0),
                             hours=1, slots=2, capacity=5)
    _booked(session)
    headers = bearer(create_assistant(*session.experts))

    moved = client.patch(f"/api/v1/staff/sessions/{session.id}", headers=headers, json={
        "starts_at": "2026-12-04T09:00:00+08:00", "ends_at": "2026-12-04T10:00:00+08:00",
        "per_slot": 6})

    assert moved.status_code == 200
    assert moved.get_json()["starts_at"] == "2026-12-04T09:00:00+08:00"
    slots = client.get(f"/api/v1/sessions/{session.id}/slots").get_json()
    assert [(s["starts_at"][11:16], s["capacity"], s["booked"]) for s in slots] == [
        ("09:00", 6, 1), ("09:30", 6, 0)]
    inbox_kinds = _db.session.execute(_db.text(
        "SELECT kind FROM messages WHERE channel = 'inbox' ORDER BY id")).scalars().all()
    assert inbox_kinds[-1] == "booking_rescheduled"


def test_a_new_capacity_alone_tells_nobody_their_booking_moved(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=3), start=time(8, 0),
                             hours=1, slots=2, capacity=5)
    _booked(session)
    headers = bearer(create_coordinator(venue))

    changed = client.patch(f"/api/v1/staff/sessions/{session.id}", headers=headers,
                           json={"per_slot": 3})

    assert changed.status_code == 200
    assert _db.session.execute(_db.text(
        "SELECT count(*) FROM messages WHERE kind = 'booking_rescheduled'")).scalar() == 0


def test_a_draft_is_deleted_and_cannot_be_stopped(client, db):
    venue = create_venue()
    draft = create_session(venue=venue, day=TODAY + timedelta(days=3),
                           status=SessionStatus.DRAFT)
    published = create_session(venue=venue, day=TODAY + timedelta(days=4))
    draft_id, published_id = draft.id, published.id
    headers = bearer(create_coordinator(venue))

    stop = client.post(f"/api/v1/staff/sessions/{draft.id}/stop", json={"reason": "排错了"},
                       headers=headers)
    kept = client.delete(f"/api/v1/staff/sessions/{published.id}", headers=headers)
    gone = client.delete(f"/api/v1/staff/sessions/{draft_id}", headers=headers)

    assert stop.status_code == 409
    assert kept.status_code == 422
    assert gone.status_code == 204
    assert _db.session.execute(_db.text("SELECT id FROM sessions ORDER BY id")).scalars(
        ).all() == [published_id]
    assert client.get(f"/api/v1/sessions/{draft_id}").status_code == 404


def test_stop_needs_a_reason_and_stops_every_booking(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=3))
    booking = _booked(session)
    headers = bearer(create_coordinator(venue))

    empty = client.post(f"/api/v1/staff/sessions/{session.id}/stop", json={"reason": "  "},
                        headers=headers)
    stopped = client.post(f"/api/v1/staff/sessions/{session.id}/stop",
                          json={"reason": "专家临时有手术"}, headers=headers)

    assert empty.status_code == 422
    assert stopped.get_json()["status"] == "stopped"
    rows = client.get(f"/api/v1/staff/sessions/{session.id}/bookings", headers=headers)
    assert [(r["id"], r["status"]) for r in rows.get_json()] == [(booking.id, "stopped")]


def test_check_in_and_no_show_at_the_desk(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY, start=time(7, 30), hours=3, slots=2,
                             capacity=5)  # 07:30–09:00 and 09:00–10:30; it is 09:00
    first, second = _booked(session, 1), _booked(session, now=NOW - timedelta(hours=1))
    headers = bearer(create_coordinator(venue))
    base = f"/api/v1/staff/sessions/{session.id}/bookings"

    early = client.post(f"{base}/{first.id}/no-show", headers=headers)
    checked = client.post(f"{base}/{first.id}/check-in", headers=headers)
    missed = client.post(f"{base}/{second.id}/no-show", headers=headers)
    again = client.post(f"{base}/{first.id}/check-in", headers=headers)

    assert early.status_code == 409  # its slot is not over: one who is late still comes
    assert checked.get_json()["status"] == "checked_in"
    assert missed.get_json()["status"] == "no_show"
    assert again.status_code == 409
    assert client.post(f"{base}/99999/check-in", headers=headers).status_code == 404


def test_stopped_sessions_cannot_be_changed(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=3),
                             status=SessionStatus.STOPPED)

    response = client.patch(f"/api/v1/staff/sessions/{session.id}", json={"title": "新"},
                            headers=bearer(create_coordinator(venue)))

    assert response.status_code == 422
    assert _db.session.get(Session, session.id).title == ""

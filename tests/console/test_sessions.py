"""Publishing, stopping (停诊) and planning sessions from the console."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.core.models import AuditEntry
from app.core.time import to_local
from app.notifications.models import Channel, Message
from app.scheduling.models import Session, SessionKind, SessionStatus
from tests.console.helpers import csrf, flashes
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_assistant,
    create_coordinator,
    create_expert,
    create_patient,
    create_session,
    create_venue,
    make_id_number,
)
from tests.helpers import PASSWORD

DAY = TODAY + timedelta(days=2)


def _session_status(db, session) -> SessionStatus:
    return db.session.scalar(select(Session.status).where(Session.id == session.id))


def test_publish_a_draft(db, client, login_as):
    session = create_session(day=DAY, status=SessionStatus.DRAFT)
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)
    html = client.get(f"/console/sessions/{session.id}").text

    page = client.post(f"/console/sessions/{session.id}/publish",
                       data={"csrf_token": csrf(html)}, follow_redirects=True)

    assert flashes(page.text) == ["已发布，居民现在可以看到并预约本场。"]
    assert _session_status(db, session) == SessionStatus.PUBLISHED
    assert client.get(f"/sessions/{session.id}").status_code == 200


def test_publishing_twice_is_refused_with_a_message(db, client, login_as):
    session = create_session(day=DAY)
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)
    html = client.get(f"/console/sessions/{session.id}").text

    page = client.post(f"/console/sessions/{session.id}/publish",
                       data={"csrf_token": csrf(html)}, follow_redirects=True)

    assert flashes(page.text) == ["只有草稿可以发布"]


def _booked_session(db, login_as, n=2):
    session = create_session(day=DAY)
    patients = [create_patient(id_number=make_id_number(seq=2 * i + 1), phone=f"1390000{i:04d}")
                for i in range(n)]
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    bookings = []
    for i, p in enumerate(patients):
        bookings.append(book_slot(session.slots[i].id, p, by=p.account, now=NOW))
        db.session.commit()
    login_as(coordinator)
    return session, bookings


def test_stop_with_a_reason_stops_bookings_and_tells_patients(db, client, login_as):
    session, bookings = _booked_session(db, login_as)
    path = f"/console/sessions/{session.id}/stop"
    confirm = client.get(path).text
    assert "停诊后本场的 2 个有效预约全部取消" in confirm

    page = client.post(path, data={"csrf_token": csrf(confirm), "reason": "专家临时有手术"},
                       follow_redirects=True)

    assert flashes(page.text) == ["本场已停诊，已通知 2 位患者。"]
    assert _session_status(db, session) == SessionStatus.STOPPED
    assert db.session.scalars(select(Booking.status).where(
        Booking.session_id == session.id)).all() == [BookingStatus.STOPPED] * 2
    notices = db.session.scalars(select(Message.recipient).where(
        Message.kind == "session_stopped", Message.channel == Channel.SMS)).all()
    assert sorted(notices) == ["13900000000", "13900000001"]
    assert "本场已停诊。原因：专家临时有手术" in page.text


def test_stop_without_a_reason_is_refused(db, client, login_as):
    session, bookings = _booked_session(db, login_as, n=1)
    path = f"/console/sessions/{session.id}/stop"

    page = client.post(path, data={"csrf_token": csrf(client.get(path).text), "reason": " "})

    assert page.status_code == 200
    assert "请填写停诊原因" in page.text
    assert _session_status(db, session) == SessionStatus.PUBLISHED
    assert db.session.scalar(select(Booking.status)) == BookingStatus.CONFIRMED


def _new_session_form(client) -> str:
    return client.get("/console/sessions/new").text


def _create(client, **fields):
    token = csrf(_new_session_form(client))
    data = {"csrf_token": token, "kind": "clinic", "day": DAY.isoformat(), "start": "08:00",
            "end": "11:30", "audience": "public", "slot_minutes": "30", "per_slot": "5",
            "status": "draft", **fields}
    return client.post("/console/sessions/new", data=data)


def _created(db) -> Session:
    return db.session.scalars(select(Session).order_by(Session.id.desc())).first()


def test_coordinator_creates_a_clinic_of_seven_slots_of_five(db, client, login_as):
    venue = create_venue()
    expert = create_expert()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    response = _create(client, venue=venue.id, experts=[expert.id])

    session = _created(db)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/sessions/{session.id}"
    assert (session.kind, session.status, session.venue_id, session.specialty_id) == (
        SessionKind.CLINIC, SessionStatus.DRAFT, venue.id, expert.specialty_id)
    assert [e.id for e in session.experts] == [expert.id]
    assert [(f"{to_local(s.start_dt):%H:%M}", s.capacity) for s in session.slots] == [
        ("08:00", 5), ("08:30", 5), ("09:00", 5), ("09:30", 5), ("10:00", 5), ("10:30", 5),
        ("11:00", 5)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "session.create"))
    assert (entry.actor_id, entry.object_id, entry.after["slots"]) == (
        coordinator.id, session.id, 7)


def test_create_a_published_lecture_with_seats(db, client, login_as):
    venue = create_venue()
    expert = create_expert()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    _create(client, venue=venue.id, experts=[expert.id], kind="lecture", title="高血压用药",
            start="14:30", end="16:00", seats="120", status="published", audience="professional")

    session = _created(db)
    assert (session.kind, session.status, session.title) == (
        SessionKind.LECTURE, SessionStatus.PUBLISHED, "高血压用药")
    assert [(s.capacity, s.start_dt, s.end_dt) for s in session.slots] == [
        (120, session.start_dt, session.end_dt)]
    assert client.get(f"/sessions/{session.id}").status_code == 200


def test_end_before_start_is_refused(db, client, login_as):
    venue = create_venue()
    expert = create_expert()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)
    before = _created(db)

    response = _create(client, venue=venue.id, experts=[expert.id], start="11:00", end="08:00")

    assert response.status_code == 200
    assert "结束时间必须晚于开始时间（同一天内）" in response.text
    assert _created(db) == before


def test_a_lecture_needs_a_title_and_seats(db, client, login_as):
    venue = create_venue()
    expert = create_expert()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    no_title = _create(client, venue=venue.id, experts=[expert.id], kind="forum", seats="50")
    no_seats = _create(client, venue=venue.id, experts=[expert.id], kind="forum", title="讲坛")

    assert "讲座和讲坛需要填写标题" in no_title.text
    assert "请填写座位数（1 到 5000）" in no_seats.text


def test_coordinator_plans_only_at_their_venues(db, client, login_as):
    mine, other = create_venue(), create_venue()
    expert = create_expert()
    coordinator = create_coordinator(mine, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    venues = re.findall(r'<option[^>]*value="(\d+)"', _new_session_form(client).split(
        'name="kind"')[0])
    response = _create(client, venue=other.id, experts=[expert.id])

    assert venues == [str(mine.id)]
    assert response.status_code == 200
    assert _created(db) is None


def test_assistant_plans_only_for_their_experts(db, client, login_as):
    venue = create_venue()
    theirs, other = create_expert(), create_expert()
    assistant = create_assistant(theirs, password=PASSWORD)
    db.session.commit()
    login_as(assistant)

    refused = _create(client, venue=venue.id, experts=[other.id])
    accepted = _create(client, venue=venue.id, experts=[theirs.id])

    assert refused.status_code == 200
    assert accepted.status_code == 302
    assert [e.id for e in _created(db).experts] == [theirs.id]

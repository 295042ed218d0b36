"""Changing a session from the console: its time, experts and places; booked patients
hear of a new time or experts, not of a new capacity; whom no message reaches is
listed for the desk to call."""

import re
from datetime import time, timedelta

from sqlalchemy import select

from app.core.models import AuditEntry
from app.core.time import to_local
from app.notifications.models import Channel, Message
from app.scheduling.models import Session, SessionStatus, Slot
from tests.console.helpers import csrf, flashes
from tests.console.test_desk import _desk, _walk_in
from tests.factories import (
    TODAY,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_session,
    make_id_number,
)
from tests.helpers import PASSWORD, login

DAY = TODAY + timedelta(days=2)


def _form(client, session) -> dict:
    """The edit form as the page fills it (every field, as a browser would post)."""
    html = client.get(f"/console/sessions/{session.id}/edit").text
    data = {"csrf_token": csrf(html)}
    for name, value in re.findall(r'<input[^>]*name="(\w+)"[^>]*value="([^"]*)"', html):
        data.setdefault(name, value)
    for name, value in re.findall(r'<input[^>]*value="([^"]*)"[^>]*name="(\w+)"', html):
        data.setdefault(value, name)
    for name, body in re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.findall(r'<option selected value="([^"]*)"', body)
        data[name] = chosen if name == "experts" else (chosen[0] if chosen else "")
    data["description"] = ""
    return data


def _messages(db, kind: str) -> set:
    return set(db.session.execute(select(Message.booking_id, Message.channel)
                                  .where(Message.kind == kind)).all())


def test_the_edit_page_starts_from_the_session_as_it_is(db, client, login_as):
    session, _, _ = _desk(db, login_as, patients=0, day=DAY, slots=3, capacity=4,
                          start=time(8, 0), hours=1.5)

    assert f'href="/console/sessions/{session.id}/edit"' in client.get(
        f"/console/sessions/{session.id}").text
    data = _form(client, session)

    assert (data["day"], data["start"], data["end"]) == (DAY.isoformat(), "08:00", "09:30")
    assert (data["slot_minutes"], data["per_slot"], data["venue"]) == (
        "30", "4", str(session.venue_id))
    assert data["experts"] == [str(session.experts[0].id)]


def test_moving_a_booked_session_tells_its_patients_and_lists_whom_to_call(
        db, client, login_as):
    session, (online,), _ = _desk(db, login_as, patients=1, day=DAY, slots=3,
                                  start=time(8, 0), hours=1.5)
    client.post(f"/console/sessions/{session.id}/walk-in", data=_walk_in(
        client, session, name="张桂兰", phone="0733 2345678", id_number=make_id_number(seq=41),
        slot=session.slots[1].id))

    page = client.post(f"/console/sessions/{session.id}/edit",
                       data=_form(client, session) | {"start": "09:00", "end": "10:30"},
                       follow_redirects=True)

    assert flashes(page.text) == [
        "场次已修改。 已通知 1 位预约的患者。",
        "以下 1 位患者没有手机号，收不到改动通知，请电话告知：6号 张桂兰 0733-2345678"]
    starts = db.session.scalars(select(Slot.start_dt).where(Slot.session_id == session.id)
                                .order_by(Slot.start_dt)).all()
    assert [to_local(s).strftime("%H:%M") for s in starts] == ["09:00", "09:30", "10:00"]
    assert _messages(db, "booking_rescheduled") == {(online.id, Channel.SMS),
                                                    (online.id, Channel.INBOX)}
    assert db.session.scalar(select(AuditEntry.action).where(
        AuditEntry.action == "session.update")) == "session.update"


def test_a_new_capacity_is_no_news_to_the_patients(db, client, login_as):
    """Only the places change: nobody is told their booking moved."""
    session, _, _ = _desk(db, login_as, patients=1, day=DAY, slots=3, capacity=5,
                          start=time(8, 0), hours=1.5)

    page = client.post(f"/console/sessions/{session.id}/edit",
                       data=_form(client, session) | {"per_slot": "3"}, follow_redirects=True)

    assert flashes(page.text) == ["场次已修改。"]
    assert db.session.scalars(select(Slot.capacity).where(Slot.session_id == session.id)
                              ).all() == [3, 3, 3]
    assert _messages(db, "booking_rescheduled") == set()


def test_a_new_expert_is_news_and_an_unchanged_form_changes_nothing(db, client, login_as):
    session, (booking,), _ = _desk(db, login_as, patients=1, day=DAY, slots=3,
                                   start=time(8, 0), hours=1.5)
    other = create_expert(specialty=session.experts[0].specialty)
    db.session.commit()

    same = client.post(f"/console/sessions/{session.id}/edit", data=_form(client, session),
                       follow_redirects=True)
    moved = client.post(f"/console/sessions/{session.id}/edit",
                        data=_form(client, session) | {"experts": [str(other.id)]},
                        follow_redirects=True)

    assert flashes(same.text) == ["没有改动。"]
    assert flashes(moved.text) == ["场次已修改。 已通知 1 位预约的患者。"]
    assert _messages(db, "booking_rescheduled") == {(booking.id, Channel.SMS),
                                                    (booking.id, Channel.INBOX)}


def test_refusals_are_form_errors_and_change_nothing(db, client, login_as):
    session, _, _ = _desk(db, login_as, patients=2, day=DAY, slots=3, capacity=5,
                          start=time(8, 0), hours=1.5)
    cases = [
        ({"slot_minutes": "45"}, "和原有的号对不上"),  # 2 slots for 3 booked ones
        ({"end": "07:00"}, "结束时间"),
        ({"day": (TODAY - timedelta(days=1)).isoformat()}, ""),
        ({"per_slot": "0"}, ""),
        ({"experts": []}, "请至少选择一位专家"),
    ]
    for overrides, message in cases:
        response = client.post(f"/console/sessions/{session.id}/edit",
                               data=_form(client, session) | overrides)

        assert response.status_code == 200, overrides
        assert message in response.text and 'class="error' in response.text, overrides
    db.session.expire_all()
    assert to_local(db.session.get(Session, session.id).start_dt).time() == time(8, 0)
    assert db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "session.update")) is None
    assert _messages(db, "booking_rescheduled") == set()


def test_only_who_runs_a_future_session_changes_it(app, db, client, login_as):
    session = create_session(day=DAY)
    past = create_session(venue=session.venue, day=TODAY - timedelta(days=1))
    stopped = create_session(venue=session.venue, day=DAY + timedelta(days=1),
                             status=SessionStatus.STOPPED)
    expert = create_expert_user(session.experts[0], password=PASSWORD)
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()

    expert_browser = app.test_client()
    login(expert_browser, expert.phone)
    assert expert_browser.get(f"/console/sessions/{session.id}/edit").status_code == 403
    login_as(coordinator)
    assert f'href="/console/sessions/{past.id}/edit"' not in client.get(
        f"/console/sessions/{past.id}").text
    late = client.post(f"/console/sessions/{past.id}/edit",
                       data=_form(client, past) | {"start": "09:00"})
    gone = client.post(f"/console/sessions/{stopped.id}/edit", data=_form(client, stopped))
    assert "不能修改已经开始或已经过去的场次" in late.text
    assert "只能修改草稿或已发布的场次" in gone.text


# --- a draft nobody needs -------------------------------------------------------------


def test_a_draft_is_deleted_not_stopped_and_never_shows(db, client, login_as):
    """Stopping a draft showed a clinic that never existed on the public pages as 停诊,
    with the coordinator's reason."""
    session = create_session(day=DAY, status=SessionStatus.DRAFT)
    session_id = session.id
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)
    html = client.get(f"/console/sessions/{session.id}").text
    assert "删除草稿" in html and f'href="/console/sessions/{session.id}/stop"' not in html

    stop = client.post(f"/console/sessions/{session.id}/stop",
                       data={"csrf_token": csrf(html), "reason": "排错了"})
    assert "草稿还没有发布，不用停诊；不要了可以删除草稿" in stop.text
    page = client.post(f"/console/sessions/{session_id}/discard",
                       data={"csrf_token": csrf(html)}, follow_redirects=True)

    assert flashes(page.text) == ["草稿已删除。"]
    assert db.session.scalar(select(Session.id).where(Session.id == session_id)) is None
    assert client.get(f"/sessions/{session_id}").status_code == 404
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "session.discard"))
    assert (entry.object_id, entry.actor_id) == (session_id, coordinator.id)


def test_a_published_session_is_not_deleted(db, client, login_as):
    session = create_session(day=DAY)
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)
    html = client.get(f"/console/sessions/{session.id}").text

    page = client.post(f"/console/sessions/{session.id}/discard",
                       data={"csrf_token": csrf(html)}, follow_redirects=True)

    assert flashes(page.text) == ["只有草稿可以删除；已发布的场次请用停诊"]
    assert db.session.get(Session, session.id) is not None

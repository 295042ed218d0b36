"""Who sees which sessions in the console, and what everyone else gets."""

import re
from datetime import timedelta

from app.scheduling.models import SessionStatus
from tests.console.helpers import csrf
from tests.factories import (
    TODAY,
    create_admin,
    create_assistant,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_session,
    create_user,
    create_venue,
)
from tests.helpers import PASSWORD, login


def _console_links(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'href="/console/sessions/(\d+)"', html)]


def test_console_lists_the_coordinators_venues_for_today_and_the_next_7_days(db, client,
                                                                            login_as):
    mine, other = create_venue(), create_venue()
    today = create_session(venue=mine)
    draft = create_session(venue=mine, day=TODAY + timedelta(days=3),
                           status=SessionStatus.DRAFT)
    last_day = create_session(venue=mine, day=TODAY + timedelta(days=7))
    create_session(venue=mine, day=TODAY + timedelta(days=8))
    create_session(venue=mine, day=TODAY - timedelta(days=1))
    create_session(venue=other)
    coordinator = create_coordinator(mine, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    html = client.get("/console").text

    assert _console_links(html) == [today.id, draft.id, last_day.id]
    assert "草稿" in html
    assert "已约 0 / 35" in html


def test_console_counts_held_referral_places_as_neither_booked_nor_left(
        db, client, login_as):
    """The list showed 已约 10 / 25 for one booking and ten places kept for referrals
    (its session page said 已约 1 / 25)."""
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=3), slots=5,
                             capacity=5)
    for slot in session.slots:
        slot.reserved, slot.reserved_until = 2, session.start_dt - timedelta(hours=24)
    session.slots[0].booked_count = 1
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    assert "已约 1 / 25" in client.get("/console").text


def test_console_date_filter(db, client, login_as):
    venue = create_venue()
    create_session(venue=venue)
    later = create_session(venue=venue, day=TODAY + timedelta(days=20))
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    day = (TODAY + timedelta(days=20)).isoformat()
    html = client.get(f"/console?start={day}&end={day}").text

    assert _console_links(html) == [later.id]


def test_console_page_of_another_venues_session_is_not_found(db, client, login_as):
    mine = create_session()
    theirs = create_session()
    coordinator = create_coordinator(mine.venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    assert client.get(f"/console/sessions/{mine.id}").status_code == 200
    assert client.get(f"/console/sessions/{theirs.id}").status_code == 404
    assert client.get("/console/sessions/999999").status_code == 404


def test_assistant_manages_the_sessions_of_their_experts(db, client, login_as):
    expert = create_expert()
    theirs = create_session(experts=[expert])
    other = create_session()
    assistant = create_assistant(expert, password=PASSWORD)
    db.session.commit()
    login_as(assistant)

    html = client.get(f"/console/sessions/{theirs.id}").text

    assert "查找并签到" in html
    assert client.get(f"/console/sessions/{other.id}").status_code == 404


def test_expert_sees_their_patient_list_but_changes_nothing(db, client, login_as):
    expert = create_expert()
    session = create_session(experts=[expert])
    user = create_expert_user(expert, password=PASSWORD)
    db.session.commit()
    login_as(user)

    html = client.get(f"/console/sessions/{session.id}").text

    assert "患者名单" in html
    assert "查找并签到" not in html and "停诊</a>" not in html
    token = csrf(html)
    assert client.post(f"/console/sessions/{session.id}/publish",
                       data={"csrf_token": token}).status_code == 403
    assert client.get(f"/console/sessions/{session.id}/stop").status_code == 403


def test_admin_sees_every_session(db, client, login_as):
    session = create_session()
    admin = create_admin(password=PASSWORD)
    db.session.commit()
    login_as(admin)

    assert session.id in _console_links(client.get("/console").text)
    assert client.get(f"/console/sessions/{session.id}").status_code == 200


def test_resident_is_forbidden_and_a_visitor_is_sent_to_log_in(db, client, login_as):
    session = create_session()
    resident = create_user(password=PASSWORD)
    db.session.commit()

    visitor = client.get("/console")
    assert visitor.status_code == 302
    assert visitor.headers["Location"].startswith("/login")

    login_as(resident)
    assert client.get("/console").status_code == 403
    assert client.get(f"/console/sessions/{session.id}").status_code == 403
    assert client.get("/console/sessions/new").status_code == 403


def test_public_session_page_links_managers_to_the_console(db, app, client, login_as):
    session = create_session()
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    resident = create_user(password=PASSWORD)
    db.session.commit()
    link = f'href="/console/sessions/{session.id}"'
    page = f"/sessions/{session.id}"

    assert link not in client.get(page).text
    login_as(coordinator)
    assert link in client.get(page).text
    resident_browser = app.test_client()
    login(resident_browser, resident.phone)
    assert link not in resident_browser.get(page).text

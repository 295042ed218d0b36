"""The console's series pages: plan a series, see its occurrences, change its future;
who may (coordinator at their venues, assistant for their experts, admin)."""

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from app.core.time import to_local
from app.extensions import db as _db
from app.scheduling.models import SessionKind, SessionSeries, SessionStatus
from app.scheduling.series import SeriesPlan, create_series, series_sessions
from tests.console.helpers import csrf
from tests.factories import (
    NOW,
    TODAY,
    create_admin,
    create_assistant,
    create_coordinator,
    create_expert,
    create_session,
    create_user,
    create_venue,
)
from tests.helpers import PASSWORD

# NOW is Tuesday 2026-12-01; the series below run on Tuesdays and Thursdays in December.
FIRST, LAST = TODAY + timedelta(days=1), date(2026, 12, 31)


def _post_new(client, **fields):
    token = csrf(client.get("/console/series/new").text)
    data = {"csrf_token": token, "kind": "clinic", "first_day": FIRST.isoformat(),
            "last_day": LAST.isoformat(), "weekdays": ["1"], "start": "08:00", "end": "11:30",
            "audience": "public", "slot_minutes": "30", "per_slot": "5", "status": "published",
            "skip_holidays": "y", **fields}
    return client.post("/console/series/new", data=data)


def _newest(db) -> SessionSeries | None:
    return db.session.scalars(select(SessionSeries).order_by(SessionSeries.id.desc())).first()


def test_coordinator_plans_a_series_with_a_skipped_date(db, client, login_as):
    venue, expert = create_venue(), create_expert()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    response = _post_new(client, venue=venue.id, experts=[expert.id],
                         skip_dates="2026-12-15\n2026-12-29")

    series = _newest(db)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/console/series/{series.id}"
    assert [f"{to_local(s.start_dt):%m-%d %H:%M}" for s in series_sessions(series.id)] == [
        "12-08 08:00", "12-22 08:00"]
    page = client.get(f"/console/series/{series.id}")
    assert page.status_code == 200
    assert len(re.findall(r'href="/console/sessions/\d+"', page.text)) == 2
    assert "2026-12-15：手动跳过" in page.text
    assert "<dd>每周二</dd>" in page.text and expert.name in page.text  # not FREQ=WEEKLY…


def test_a_clash_is_shown_on_the_form(db, client, login_as):
    venue, expert = create_venue(), create_expert(name="张医生")
    create_session(day=date(2026, 12, 8), start=time(9, 0), venue=venue, experts=[expert],
                   title="张医生门诊")
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    page = _post_new(client, venue=venue.id, experts=[expert.id])

    assert page.status_code == 200
    assert "这些日期专家没有空：2026-12-08。" in page.text
    assert "（时间重叠）" in page.text
    assert _newest(db) is None


def _series(venue, expert):
    by = create_user()
    _db.session.commit()
    series = create_series(SeriesPlan(
        venue_id=venue.id, kind=SessionKind.CLINIC, expert_ids=[expert.id], first_day=FIRST,
        last_day=LAST, weekdays=(1,), start=time(8, 0), end=time(11, 30),
        status=SessionStatus.PUBLISHED), by=by, now=NOW)
    _db.session.commit()
    return series


def test_edit_page_moves_the_future_occurrences(db, client, login_as):
    venue, expert = create_venue(), create_expert()
    series = _series(venue, expert)
    admin = create_admin(password=PASSWORD)
    db.session.commit()
    login_as(admin)
    path = f"/console/series/{series.id}/edit"
    form = client.get(path)
    assert form.status_code == 200
    assert re.search(r'<input checked [^>]*id="weekdays-1"', form.text)  # Tuesday, read back

    response = client.post(path, data={
        "csrf_token": csrf(form.text), "venue": venue.id, "experts": [expert.id],
        "kind": "clinic", "first_day": FIRST.isoformat(), "last_day": LAST.isoformat(),
        "weekdays": ["1"], "start": "14:00", "end": "17:30", "audience": "public",
        "slot_minutes": "30", "per_slot": "5", "status": "published", "skip_holidays": "y"})

    assert response.status_code == 302
    assert {(f"{to_local(s.start_dt):%H:%M}", s.sequence)
            for s in series_sessions(series.id)} == {("14:00", 1)}


def test_saving_a_draft_series_as_published_publishes_its_drafts(db, client, login_as):
    venue, expert = create_venue(), create_expert()
    by = create_user()
    db.session.commit()
    series = create_series(SeriesPlan(
        venue_id=venue.id, kind=SessionKind.CLINIC, expert_ids=[expert.id], first_day=FIRST,
        last_day=LAST, weekdays=(1,), start=time(8, 0), end=time(11, 30)), by=by, now=NOW)
    db.session.commit()
    login_as(create_admin(password=PASSWORD))
    path = f"/console/series/{series.id}/edit"

    response = client.post(path, data={
        "csrf_token": csrf(client.get(path).text), "venue": venue.id, "experts": [expert.id],
        "kind": "clinic", "first_day": FIRST.isoformat(), "last_day": LAST.isoformat(),
        "weekdays": ["1"], "start": "08:00", "end": "11:30", "audience": "public",
        "slot_minutes": "30", "per_slot": "5", "status": "published", "skip_holidays": "y"})

    assert response.status_code == 302
    db.session.expire_all()
    assert {s.status for s in series_sessions(series.id)} == {SessionStatus.PUBLISHED}
    assert "系列已保存。" in client.get(response.headers["Location"]).text


@pytest.mark.parametrize(("who", "status"), [
    ("resident", 403), ("other_coordinator", 404), ("expert_assistant", 200),
    ("other_assistant", 404), ("coordinator", 200), ("admin", 200)])
def test_series_page_access(db, client, login_as, who, status):
    venue, expert = create_venue(), create_expert()
    series = _series(venue, expert)
    users = {
        "resident": lambda: create_user(password=PASSWORD),
        "other_coordinator": lambda: create_coordinator(create_venue(), password=PASSWORD),
        "expert_assistant": lambda: create_assistant(expert, password=PASSWORD),
        "other_assistant": lambda: create_assistant(create_expert(), password=PASSWORD),
        "coordinator": lambda: create_coordinator(venue, password=PASSWORD),
        "admin": lambda: create_admin(password=PASSWORD),
    }
    user = users[who]()
    db.session.commit()
    login_as(user)

    assert client.get(f"/console/series/{series.id}").status_code == status
    assert client.get(f"/console/series/{series.id}/edit").status_code == status


def test_resident_cannot_open_the_series_planner(db, client, login_as):
    resident = create_user(password=PASSWORD)
    db.session.commit()
    login_as(resident)

    assert client.get("/console/series/new").status_code == 403


def test_coordinator_cannot_plan_a_series_at_another_venue(db, client, login_as):
    mine, other = create_venue(), create_venue()
    expert = create_expert()
    coordinator = create_coordinator(mine, password=PASSWORD)
    db.session.commit()
    login_as(coordinator)

    page = _post_new(client, venue=other.id, experts=[expert.id])

    assert page.status_code == 200
    assert _newest(db) is None


@pytest.mark.parametrize(("rule", "words"), [
    ("FREQ=WEEKLY;BYDAY=MO,WE", "每周一、周三"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "每 2 周：周二"),
    ("FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=MONTHLY;BYMONTHDAY=1"),
])
def test_a_repeat_rule_in_words(app, rule, words):
    from app.scheduling.labels import rule_words

    with app.test_request_context():
        assert rule_words(rule) == words


def test_a_refusal_far_down_the_form_is_named_at_its_top(db, client, login_as):
    """On a phone the series form is some 2,400 px tall: the fields to correct are
    listed, linked, at the top."""
    venue, expert = create_venue(), create_expert()
    login_as(create_coordinator(venue, password=PASSWORD))

    page = _post_new(client, venue=venue.id, experts=[expert.id], per_slot="0",
                     slot_minutes="1")

    top = page.text.split('<div class="notice error-summary" role="alert">')[1].split("</div>")[0]
    assert "请修改以下 2 处：" in top
    assert 'href="#slot_minutes"' in top and 'href="#per_slot"' in top
    assert _newest(db) is None

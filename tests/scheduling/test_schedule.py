from datetime import time, timedelta

from sqlalchemy import event

from app.scheduling.models import SessionKind, SessionStatus
from app.scheduling.queries import ScheduleFilter, public_sessions
from tests.factories import (
    NOW,
    TODAY,
    create_expert,
    create_session,
    create_specialty,
    create_township,
    create_venue,
)


def _ids(db, flt):
    return [s.id for s in db.session.scalars(public_sessions(flt, now=NOW))]


def _links(html: str) -> list[int]:
    import re

    return [int(m) for m in re.findall(r'href="/sessions/(\d+)"', html)]


def test_schedule_filters_return_exactly_the_matching_sessions(db, client):
    town, other_town = create_township(), create_township()
    eyes, heart = create_specialty(), create_specialty()
    here, there = create_venue(township=town), create_venue(township=other_town)
    eye_doctor, heart_doctor = create_expert(specialty=eyes), create_expert(specialty=heart)
    match_1 = create_session(venue=here, experts=[eye_doctor])
    match_2 = create_session(venue=here, experts=[eye_doctor], day=TODAY + timedelta(days=3))
    create_session(venue=there, experts=[eye_doctor])  # other township
    create_session(venue=here, experts=[heart_doctor])  # other specialty
    create_session(venue=here, experts=[eye_doctor], kind=SessionKind.LECTURE)  # other kind
    create_session(venue=here, experts=[eye_doctor], status=SessionStatus.DRAFT)  # unpublished
    create_session(venue=here, experts=[eye_doctor], day=TODAY - timedelta(days=1))  # past

    response = client.get(
        f"/schedule?township={town.id}&specialty={eyes.id}&kind=clinic"
        f"&start={TODAY.isoformat()}"
    )

    assert response.status_code == 200
    assert _links(response.text) == [match_1.id, match_2.id]


def test_schedule_filter_by_expert_and_venue(db):
    expert, other = create_expert(), create_expert()
    venue = create_venue()
    both = create_session(venue=venue, experts=[expert, other])
    only_other = create_session(venue=venue, experts=[other])
    create_session(experts=[expert])  # another venue

    assert _ids(db, ScheduleFilter(start=TODAY, expert_id=expert.id, venue_id=venue.id)) == [
        both.id
    ]
    assert _ids(db, ScheduleFilter(start=TODAY, expert_id=other.id, venue_id=venue.id)) == [
        both.id,
        only_other.id,
    ]


def test_schedule_date_range_is_inclusive_local_days(db):
    early = create_session(day=TODAY, start=time(0, 30))
    late = create_session(day=TODAY + timedelta(days=1), start=time(23, 0), hours=0.5)
    create_session(day=TODAY + timedelta(days=2), start=time(0, 0))

    assert _ids(db, ScheduleFilter(start=TODAY, end=TODAY + timedelta(days=1))) == [
        early.id,
        late.id,
    ]


def test_schedule_stopped_sessions_stay_visible_and_marked(db, client):
    stopped = create_session(status=SessionStatus.STOPPED, stop_reason="专家临时有手术")

    response = client.get(f"/schedule?start={TODAY.isoformat()}")

    assert _links(response.text) == [stopped.id]
    assert "已停诊" in response.text


def test_schedule_bad_input_is_a_form_error_not_a_500(db, client):
    response = client.get(
        "/schedule?start=2026-13-40&end=nope&township=abc&kind=spaceship&page=0&expert=-3"
    )

    assert response.status_code == 200
    assert response.text.count('class="error"') == 6


def test_schedule_end_before_start_is_refused(db, client):
    response = client.get("/schedule?start=2026-12-10&end=2026-12-01")

    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.text


def test_schedule_paginates(app, db, client):
    venue = create_venue()
    expert = create_expert()
    sessions = [
        create_session(venue=venue, experts=[expert], day=TODAY + timedelta(days=i))
        for i in range(25)
    ]

    first = client.get(f"/schedule?venue={venue.id}&start={TODAY.isoformat()}")
    second = client.get(f"/schedule?venue={venue.id}&start={TODAY.isoformat()}&page=2")

    per_page = app.config["SCHEDULE_PAGE_SIZE"]
    assert _links(first.text) == [s.id for s in sessions[:per_page]]
    assert _links(second.text) == [s.id for s in sessions[per_page:]]
    assert f"page=2&amp;start={TODAY.isoformat()}&amp;venue={venue.id}" in first.text


def _count_queries(db, fn) -> int:
    statements = []

    def before(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def _schedule_queries(db, client, n: int) -> int:
    town = create_township()
    venues = [create_venue(township=town) for _ in range(5)]
    experts = [create_expert() for _ in range(5)]
    for i in range(n):
        create_session(venue=venues[i % 5], experts=[experts[i % 5], experts[(i + 1) % 5]],
                       day=TODAY + timedelta(days=i % 7))
    db.session.expire_all()
    url = f"/schedule?township={town.id}&start={TODAY.isoformat()}&page=1"
    return _count_queries(db, lambda: client.get(url))


def test_schedule_page_runs_a_bounded_number_of_queries(app, db, client):
    app.config["SCHEDULE_PAGE_SIZE"] = 50
    try:
        few = _schedule_queries(db, client, 3)
        many = _schedule_queries(db, client, 50)
    finally:
        app.config["SCHEDULE_PAGE_SIZE"] = 20

    assert many == few
    assert many <= 10

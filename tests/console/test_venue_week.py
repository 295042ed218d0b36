"""Issue #17, item 8: a venue's week for the desk's wall — days × morning / afternoon /
evening, each cell's sessions with booked / capacity, create-in-cell, publish and stop,
one A4 landscape page in print; the venue's coordinators and admins only."""

import re
from datetime import time, timedelta

from app.scheduling.models import SessionStatus
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_admin,
    create_coordinator,
    create_patient,
    create_session,
    create_venue,
)
from tests.helpers import PASSWORD, login

MONDAY = TODAY - timedelta(days=TODAY.weekday())


def _cell(html: str, row: str, column: int) -> str:
    """The text of the cell in the row headed ``row`` and the ``column``-th day (0 = Mon)."""
    body = re.search(rf'<th scope="row">{row}</th>(.*?)</tr>', html, re.S).group(1)
    return re.findall(r"<td>(.*?)</td>", body, re.S)[column]


def test_the_week_puts_each_session_in_its_day_and_part_with_its_counts(db, client):
    venue = create_venue(name="官庄镇卫生院")
    wednesday = MONDAY + timedelta(days=2)
    morning = create_session(venue=venue, day=wednesday, start=time(8, 0), hours=3.5,
                             slots=7, capacity=5)
    afternoon = create_session(venue=venue, day=wednesday, start=time(14, 0), hours=2,
                               slots=1, capacity=40, status=SessionStatus.DRAFT)
    create_session(day=wednesday)  # another venue's
    patient = create_patient()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    book_slot(morning.slots[0].id, patient, by=patient.account, now=NOW)
    db.session.commit()
    login(client, coordinator.phone)

    page = client.get(f"/console/venues/{venue.id}/week?start={wednesday.isoformat()}").text

    assert "官庄镇卫生院 一周排班" in page
    assert f'href="/console/sessions/{morning.id}"' in _cell(page, "上午", 2)
    assert "已约 1 / 35" in _cell(page, "上午", 2)
    assert f'href="/console/sessions/{afternoon.id}"' in _cell(page, "下午", 2)
    assert "草稿" in _cell(page, "下午", 2) and "发布" in _cell(page, "下午", 2)
    assert not re.search(r"/console/sessions/\d+", _cell(page, "晚上", 2))
    assert len(re.findall(r'href="/console/sessions/\d+"', page)) == 2  # not the other venue's
    assert "size: A4 landscape" in client.get("/static/css/site.css").text


def test_an_empty_cell_plans_a_session_there(db, client):
    venue = create_venue()
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login(client, coordinator.phone)
    day = TODAY + timedelta(days=1)
    start = day - timedelta(days=day.weekday())

    page = client.get(f"/console/venues/{venue.id}/week?start={start.isoformat()}").text
    link = re.search(
        rf'href="(/console/sessions/new\?[^"]*day={day.isoformat()}&amp;start=14:00[^"]*)"',
        page).group(1).replace("&amp;", "&")
    form = client.get(link).text

    assert re.search(rf'<option selected value="{venue.id}">', form)
    assert f'value="{day.isoformat()}"' in form
    assert 'value="14:00"' in form and 'value="17:00"' in form


def test_only_the_venues_coordinators_and_admins_see_its_week(db, client):
    venue, other = create_venue(), create_venue()
    stranger = create_coordinator(other, password=PASSWORD)
    admin = create_admin(password=PASSWORD)
    db.session.commit()

    login(client, stranger.phone)
    assert client.get(f"/console/venues/{venue.id}/week").status_code == 404
    assert client.get(f"/console/venues/{other.id}/week?start=nonsense").status_code == 200
    office = client.application.test_client()
    login(office, admin.phone)
    assert office.get(f"/console/venues/{venue.id}/week").status_code == 200


def test_the_planner_lists_the_venues_hometown_experts_first(db, client):
    """Issue #17, item 4 (part): 乡情 — experts born in the venue's township come first."""
    from tests.factories import create_expert, create_township

    home = create_township(name="官庄镇")
    venue = create_venue(township=home)
    elsewhere = create_expert(name="王外地")
    native = create_expert(name="易本地", native_township=home)
    coordinator = create_coordinator(venue, password=PASSWORD)
    db.session.commit()
    login(client, coordinator.phone)

    form = client.get("/console/sessions/new").text
    options = re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>',
                         re.search(r'<select[^>]*name="experts".*?</select>', form, re.S).group(0))

    assert [int(i) for i, _label in options] == [native.id, elsewhere.id]
    assert options[0][1].endswith("（官庄镇人）") and "（" not in options[1][1].split("·")[-1]

import re
from datetime import timedelta

from app.core.time import to_local
from app.directory.models import VenueKind
from app.scheduling.models import Audience, SessionKind, SessionStatus
from tests.factories import (
    TODAY,
    create_expert,
    create_institution,
    create_session,
    create_specialty,
    create_township,
    create_venue,
)


def _session_links(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'href="/sessions/(\d+)"', html)]


def test_session_page_lists_slots_with_places_left(db, client):
    session = create_session(slots=3, capacity=5, day=TODAY + timedelta(days=1))
    session.slots[1].booked_count = 5
    session.slots[2].booked_count = 2
    db.session.flush()

    html = client.get(f"/sessions/{session.id}").text

    assert re.findall(r'<span class="when">(\d\d:\d\d–\d\d:\d\d)</span>', html) == [
        "08:00–09:10", "09:10–10:20", "10:20–11:30"
    ]
    assert re.findall(r'<span class="state state-\w+">([^<]+)</span>', html) == [
        "余 5", "约满 · 可候补", "余 3"
    ]
    assert session.experts[0].name in html
    assert session.venue.name in html


def test_stopped_session_page_says_so_with_the_reason(db, client):
    session = create_session(status=SessionStatus.STOPPED, stop_reason="专家临时有手术安排")

    html = client.get(f"/sessions/{session.id}").text

    assert "本场已停诊。原因：专家临时有手术安排" in html


def test_a_called_off_lecture_is_cancelled_not_stopped(db, client):
    """停诊 is for clinical work; a lecture or forum is called off (取消)."""
    session = create_session(kind=SessionKind.LECTURE, title="高血压讲座", slots=1,
                             capacity=80, status=SessionStatus.STOPPED, stop_reason="场地维修")

    page = client.get(f"/sessions/{session.id}").text
    listing = client.get(f"/schedule?kind=lecture&start={to_local(session.start_dt).date()}").text

    assert "本场已取消。原因：场地维修" in page and "停诊" not in page.split("<main")[1]
    assert '<span class="tag tag-stopped">已取消</span>' in listing


def test_surgery_page_has_no_public_slots(db, client):
    session = create_session(kind=SessionKind.SURGERY, slots=0, audience=Audience.PROFESSIONAL)

    html = client.get(f"/sessions/{session.id}").text

    assert "本场不对外预约。" in html
    assert "面向医务人员" in html


def test_draft_and_unknown_sessions_are_not_found(db, client):
    draft = create_session(status=SessionStatus.DRAFT)

    assert client.get(f"/sessions/{draft.id}").status_code == 404
    assert client.get("/sessions/999999").status_code == 404


def test_expert_page_shows_bio_and_coming_sessions(db, client):
    expert = create_expert(bio="醴陵市浦口镇人，擅长冠心病介入治疗。",
                           native_township=create_township(name="浦口镇"))
    later = create_session(experts=[expert], day=TODAY + timedelta(days=2))
    sooner = create_session(experts=[expert])
    create_session(experts=[expert], day=TODAY - timedelta(days=1))  # past
    create_session(experts=[expert], status=SessionStatus.DRAFT)

    html = client.get(f"/experts/{expert.id}").text

    assert "擅长冠心病介入治疗" in html
    assert "浦口镇" in html
    assert _session_links(html) == [sooner.id, later.id]
    assert f'href="/schedule?expert={expert.id}"' in html


def test_venue_page_shows_address_and_coming_sessions(db, client):
    venue = create_venue(address="醴陵市浦口镇卫生院路1号", phone="0731-23456789",
                         kind=VenueKind.TOWNSHIP_CENTRE)
    session = create_session(venue=venue)

    html = client.get(f"/venues/{venue.id}").text

    assert "醴陵市浦口镇卫生院路1号" in html
    assert 'href="tel:0731-23456789"' in html
    assert _session_links(html) == [session.id]


def test_unknown_expert_and_venue_are_not_found(db, client):
    assert client.get("/experts/999999").status_code == 404
    assert client.get("/venues/999999").status_code == 404


def test_experts_search_by_name_specialty_and_hospital(db, client):
    eyes, hospital = create_specialty(name="眼科"), create_institution(name="湘雅二医院")
    wanted = create_expert(name="王明远", specialty=eyes, institution=hospital)
    create_expert(name="王明亮", institution=hospital)
    create_expert(name="李明远", specialty=eyes)

    html = client.get(f"/experts?name=明远&specialty={eyes.id}&institution={hospital.id}").text

    assert re.findall(r'href="/experts/(\d+)"', html) == [str(wanted.id)]


def test_experts_search_bad_input_is_a_form_error(db, client):
    response = client.get("/experts?specialty=abc&page=0")

    assert response.status_code == 200
    assert response.text.count('class="error"') == 2


def test_venues_are_listed_by_township(db, client):
    town = create_township(name="王仙镇")
    venue = create_venue(township=town, name="王仙镇卫生院")

    html = client.get("/venues").text

    assert "王仙镇" in html
    assert f'href="/venues/{venue.id}"' in html


def test_the_schedule_leaves_surgeries_and_ward_rounds_out_unless_asked_and_folds_filters(
        db, client):
    """Issue #16, item 5: residents cannot book surgeries or ward rounds, so the schedule
    shows them only when asked for by kind; after a search its six filters fold away."""
    town = create_township()
    venue = create_venue(township=town)
    clinic = create_session(venue=venue, day=TODAY + timedelta(days=1))
    surgery = create_session(venue=venue, day=TODAY + timedelta(days=1),
                             kind=SessionKind.SURGERY, slots=0)
    db.session.commit()

    listed = _session_links(client.get(f"/schedule?township={town.id}").text)
    assert clinic.id in listed and surgery.id not in listed
    asked = _session_links(client.get(f"/schedule?township={town.id}&kind=surgery").text)
    assert asked == [surgery.id]

    assert '<details class="filter-box" open>' in client.get("/schedule").text
    assert '<details class="filter-box">' in client.get(f"/schedule?township={town.id}").text
    # Folded, the filters still say what was searched.
    folded = client.get(f"/schedule?township={town.id}&kind=surgery&start=2026-12-08"
                        "&end=2026-12-14").text
    assert f"筛选条件：<strong>{town.name} · 手术 · 12月8日–12月14日</strong>" in folded

"""Issue #16, item 9: 关怀版 (senior mode) — a switch in the header and on the account
page, remembered per device and per account; larger type, the resident's township only
on the home page, at most 3 controls in the header, no secondary links on the way to a
booking. The sizes themselves are measured in Chromium (tests/browser/test_text_size.py)."""

import re
from datetime import timedelta

from app.auth.care import CARE_COOKIE
from app.auth.models import User
from tests.factories import (
    TODAY,
    create_coordinator,
    create_session,
    create_township,
    create_user,
    create_venue,
)
from tests.helpers import csrf_token, login_as, post_form


def _care_on(page: str) -> bool:
    return re.search(r"<html [^>]*class=\"care\"", page) is not None


def _header(page: str) -> str:
    return re.search(r'<header class="site-header">(.*?)</header>', page, re.S).group(1)


def _visible_header_controls(page: str) -> list[str]:
    """The header's links and buttons a phone shows (the wide-screen navigation, hidden
    in 关怀版 by the style sheet, left out)."""
    header = re.sub(r'<nav class="site-(nav|user)".*?</nav>', "", _header(page), flags=re.S)
    return re.findall(r"<(?:a|button)\b[^>]*>([^<]*)<", header)


def test_the_header_switch_turns_care_mode_on_for_this_device(db, client):
    page = client.get("/schedule").text
    assert not _care_on(page)
    assert "关怀版" in _header(page)

    response = client.post("/care", data={"csrf_token": csrf_token(page), "on": "1",
                                          "next": "/schedule"})

    assert response.status_code == 302 and response.headers["Location"] == "/schedule"
    assert f"{CARE_COOKIE}=1" in response.headers["Set-Cookie"]
    page = client.get("/schedule").text
    assert _care_on(page)
    assert "标准版" in _header(page)  # the way back
    client.post("/care", data={"csrf_token": csrf_token(page), "on": "0", "next": "/"})
    assert not _care_on(client.get("/").text)


def test_the_account_remembers_it_for_another_device(db, client, app):
    user = create_user(name="易秋菊")
    login_as(client, user)
    response = post_form(client, "/care", {"on": "1", "next": "/account"}, page="/account")
    assert response.status_code == 302
    assert db.session.get(User, user.id).care_mode is True

    other_phone = app.test_client()
    login_as(other_phone, user)
    assert _care_on(other_phone.get("/account").text)
    # This device's own choice wins over the account's.
    other_phone.set_cookie(CARE_COOKIE, "0")
    assert not _care_on(other_phone.get("/account").text)


def test_the_account_page_has_the_switch(db, client):
    login_as(client, create_user())
    page = client.get("/account").text
    assert '<h2 id="care">关怀版</h2>' in page
    assert "打开关怀版" in page


def test_a_bad_switch_value_changes_nothing(db, client):
    page = client.get("/").text
    response = client.post("/care", data={"csrf_token": csrf_token(page), "on": "maybe"})
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers
    assert client.post("/care", data={"on": "1"}).status_code in (302, 400)
    assert not _care_on(client.get("/").text)


def test_care_mode_home_shows_only_the_residents_township(db, client):
    mine, other = create_township(name="官庄镇"), create_township(name="白兔潭镇")
    here = create_session(venue=create_venue(township=mine), day=TODAY + timedelta(days=1))
    create_session(venue=create_venue(township=other))
    client.set_cookie(CARE_COOKIE, "1")

    chooser = client.get("/").text
    assert "请选择您的乡镇" in chooser
    assert re.findall(r'href="/sessions/\d+"', chooser) == []  # no 27-township list
    assert f'href="/?township={mine.id}"' in chooser

    week = client.get(f"/?township={mine.id}").text
    assert "官庄镇近7天排班" in week
    assert re.findall(r'href="/sessions/(\d+)"', week) == [str(here.id)]
    # Remembered: the next visit opens on it.
    assert re.findall(r'href="/sessions/(\d+)"', client.get("/").text) == [str(here.id)]


def test_care_mode_header_has_at_most_three_controls(db, client):
    login_as(client, create_coordinator(create_venue()))
    assert len(_visible_header_controls(client.get("/").text)) == 4  # brand, 工作台 …
    client.set_cookie(CARE_COOKIE, "1")
    for path in ("/", "/schedule", "/account"):
        controls = _visible_header_controls(client.get(path).text)
        assert len(controls) <= 3, (path, controls)


def test_care_mode_has_no_secondary_links_on_the_way_to_a_booking(db, client):
    session = create_session(day=TODAY + timedelta(days=2))
    login_as(client, create_user())
    standard = client.get(f"/sessions/{session.id}").text
    assert f'href="/venues/{session.venue.id}"' in standard
    assert 'class="footer-links"' in standard

    client.set_cookie(CARE_COOKIE, "1")
    page = client.get(f"/sessions/{session.id}").text
    assert f'href="/venues/{session.venue.id}"' not in page
    assert 'href="/experts/' not in page
    assert 'class="footer-links"' not in page
    booking = client.get(f"/slots/{session.slots[0].id}/book").text
    assert f'href="/sessions/{session.id}"' not in booking
    assert "footer-links" not in booking


def test_care_mode_in_english(db, client):
    client.set_cookie("lang", "en")
    assert "Large text" in _header(client.get("/").text)
    client.set_cookie(CARE_COOKIE, "1")
    page = client.get("/").text
    assert "Choose your township" in page
    assert "Standard" in _header(page)

"""Calendar feeds: what clients parse, byte by byte, and how they poll."""

import re
from datetime import timedelta

import icalendar
import pytest
import vobject
from werkzeug.http import http_date

from app.auth.models import Role
from app.bookings.services import stopping
from app.calendar import feeds, tokens
from app.calendar.models import FeedOwner
from app.directory.models import ExpertAssistant
from app.scheduling.models import SessionKind
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_expert,
    create_patient,
    create_session,
    create_user,
    create_venue,
)
from tests.helpers import PASSWORD, csrf_token, login

DAY = TODAY + timedelta(days=2)


@pytest.fixture(autouse=True)
def _empty_render_cache():
    feeds.cache._items.clear()


def _world(db):
    """A venue with two sessions of one expert, one booked by a resident."""
    venue = create_venue(address="浦口镇健康路1号")
    expert = create_expert(user=create_user(password=PASSWORD, roles=(Role.EXPERT,)))
    clinic = create_session(venue=venue, experts=[expert], day=DAY)
    lecture = create_session(venue=venue, experts=[expert], day=DAY + timedelta(days=1),
                             kind=SessionKind.LECTURE, title="医技大讲堂：高血压", slots=1,
                             capacity=100)
    account = create_user(password=PASSWORD)
    patient = create_patient(account=account, name="王秀兰")
    db.session.commit()
    booking = book_slot(clinic.slots[0].id, patient, by=account, now=NOW)
    db.session.commit()
    return venue, expert, clinic, lecture, account, booking


def _private_url(db, owner, owner_id, path):
    link = tokens.ensure_link(owner, owner_id, by_id=None, now=NOW)
    db.session.commit()
    return f"/calendar/{path}/{tokens.token_of(link)}.ics"


def _urls(db, world) -> dict:
    venue, expert, clinic, lecture, account, booking = world
    return {
        "venue": f"/calendar/venues/{venue.id}.ics",
        "institution": f"/calendar/institutions/{expert.institution_id}.ics",
        "programme": "/calendar/programme.ics",
        "lectures": "/calendar/programme.ics?kind=lecture",
        "township": f"/calendar/programme.ics?township={venue.township_id}",
        "expert": _private_url(db, FeedOwner.EXPERT, expert.id, "experts"),
        "me": _private_url(db, FeedOwner.RESIDENT, account.id, "me"),
    }


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_every_feed_is_well_formed_for_two_parsers_and_byte_by_byte(db, client):
    world = _world(db)
    for name, url in _urls(db, world).items():
        response = client.get(url)
        body = response.data
        assert response.status_code == 200, name
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        lines = body.split(b"\r\n")
        assert lines[-1] == b"" and b"\n" not in body.replace(b"\r\n", b""), name
        assert all(len(line) <= 75 for line in lines), name
        for line in lines:
            line.decode("utf-8")
        calendar = icalendar.Calendar.from_ical(body)
        uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
        assert uids and len(uids) == len(set(uids)), name
        tzids = set(re.findall(rb"TZID=([^:;]+)", body))
        defined = {str(t["TZID"]).encode() for t in calendar.walk("VTIMEZONE")}
        assert tzids <= defined and defined == {b"Asia/Shanghai"}, name
        assert b"METHOD:" not in body and b"ORGANIZER" not in body and b"ATTENDEE" not in body
        assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
        assert b"X-WR-CALNAME:" in body and b"\r\nNAME:" in body
        assert b"COMMENT" not in body
        parsed = vobject.readOne(body.decode("utf-8"))
        assert len(parsed.vevent_list) == len(uids), name
        feeds.cache._items.clear()
        assert client.get(url).data == body, f"{name} re-render differs"


def test_public_feeds_hold_no_personal_data_and_the_expert_feed_counts_bookings(db, client):
    world = _world(db)
    urls = _urls(db, world)
    booking = world[5]

    for name in ("venue", "institution", "programme", "township"):
        body = client.get(urls[name]).data.decode()
        assert "王秀兰" not in body and booking.code not in body, name
    expert_body = client.get(urls["expert"]).data.decode().replace("\r\n ", "")
    assert "王秀兰" not in expert_body
    assert "已预约 1 / 35" in expert_body
    assert "浦口镇健康路1号" in expert_body


def test_stopping_a_session_raises_sequence_and_cancels_it_in_every_feed(db, client):
    world = _world(db)
    venue, expert, clinic, lecture, account, booking = world
    urls = _urls(db, world)
    uid = f"session-{clinic.id}@xiangqing"
    before = _events(client.get(urls["venue"]).data)[uid]
    coordinator = create_user(roles=(Role.COORDINATOR,))
    db.session.commit()

    stopping.stop_session(clinic, "专家临时有手术安排", by=coordinator, now=NOW)
    db.session.commit()

    for name in ("venue", "programme", "expert"):
        event = _events(client.get(urls[name]).data)[uid]
        assert int(event["SEQUENCE"]) == int(before["SEQUENCE"]) + 1, name
        assert (str(event["STATUS"]), str(event["TRANSP"])) == ("CANCELLED", "TRANSPARENT")
        assert str(event["SUMMARY"]).startswith("【已停诊】"), name
    mine = _events(client.get(urls["me"]).data)[f"booking-{booking.id}@xiangqing"]
    assert str(mine["STATUS"]) == "CANCELLED"
    assert str(mine["SUMMARY"]).startswith("【已停诊】")
    assert int(mine["SEQUENCE"]) >= 2


def test_a_stopped_session_drops_out_after_seven_days(db, client, app):
    world = _world(db)
    clinic = world[2]
    stopping.stop_session(clinic, "下雪", by=world[4], now=NOW)
    db.session.commit()
    url = f"/calendar/venues/{world[0].id}.ics"

    app.config["CLOCK"] = lambda: NOW + timedelta(days=6)
    assert f"session-{clinic.id}@" in client.get(url).text
    app.config["CLOCK"] = lambda: NOW + timedelta(days=8)
    assert f"session-{clinic.id}@" not in client.get(url).text


def test_conditional_get_answers_304_then_200_after_a_change(db, client):
    world = _world(db)
    url = f"/calendar/venues/{world[0].id}.ics"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.head(url).status_code == 200
    create_session(venue=world[0], day=DAY + timedelta(days=3))
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_if_modified_since_before_a_change_gets_200(db, client):
    world = _world(db)
    url = f"/calendar/venues/{world[0].id}.ics"
    earlier = http_date(NOW - timedelta(days=3))

    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200


def test_private_feeds_cache_privately_and_rotation_kills_the_old_link(db, client):
    world = _world(db)
    expert = world[1]
    url = _urls(db, world)["expert"]
    response = client.get(url)
    assert response.headers["Cache-Control"] == "private, max-age=300"

    login(client, expert.user.phone)
    page = client.get("/calendar").text
    assert url in page
    # Reset is a confirm step: the button opens what it does, and its own button posts.
    assert "旧链接会立即失效，订阅了它的日历不再更新" in page and ">确认重置</button>" in page
    done = client.post(f"/calendar/links/expert/{expert.id}",
                       data={"csrf_token": csrf_token(page)}, follow_redirects=True).text

    assert "链接已重置，旧链接已失效。请在日历里删除旧订阅，用下面的新链接重新订阅。" in done
    assert client.get(url).status_code == 404
    new_url = re.search(r"(/calendar/experts/[^\"<]+\.ics)", done)
    assert client.get(new_url.group(1)).status_code == 200


@pytest.mark.parametrize("token", ["nope", "1-abc", "999-" + "x" * 32, "", "1-" + "A" * 200])
def test_unknown_tokens_are_404_never_a_login_redirect(db, client, token):
    assert client.get(f"/calendar/experts/{token}.ics").status_code == 404
    assert client.get(f"/calendar/me/{token}.ics").status_code == 404


def test_an_assistant_sees_the_experts_link_and_a_stranger_cannot_reset_it(db, client):
    world = _world(db)
    expert = world[1]
    assistant = create_user(password=PASSWORD, roles=(Role.ASSISTANT,))
    db.session.add(ExpertAssistant(expert_id=expert.id, user_id=assistant.id))
    stranger = create_user(password=PASSWORD)
    db.session.commit()
    url = _urls(db, world)["expert"]

    login(client, assistant.phone)
    assert url in client.get("/calendar").text
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/calendar").text)})
    login(client, stranger.phone)
    page = client.get("/calendar").text
    assert url not in page
    response = client.post(f"/calendar/links/expert/{expert.id}",
                           data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
    assert client.get(url).status_code == 200


def test_last_fetched_is_written_at_most_once_an_hour(db, client, app):
    world = _world(db)
    url = _urls(db, world)["me"]
    client.get(url)
    link = tokens.find_link(FeedOwner.RESIDENT, world[4].id)
    assert link.last_fetched_dt == NOW

    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=59)
    client.get(url)
    db.session.expire_all()
    assert tokens.find_link(FeedOwner.RESIDENT, world[4].id).last_fetched_dt == NOW


def test_add_to_phone_calendar_carries_a_two_hour_alarm(db, client):
    """Issue #16, item 10: 加入手机日历 gives an event that rings two hours before;
    the subscribed feed carries no alarm (the phone's owner sets those)."""
    world = _world(db)
    booking, account = world[5], world[4]
    login(client, account.phone)
    one = client.get(f"/bookings/{booking.id}.ics").data.decode()
    assert "BEGIN:VALARM" in one and "TRIGGER:-PT2H" in one and "ACTION:DISPLAY" in one
    feed = client.get(_urls(db, world)["me"]).data.decode()
    assert f"booking-{booking.id}@" in feed and "VALARM" not in feed


def test_one_booking_as_an_attachment_for_its_owner_only(db, client):
    world = _world(db)
    booking, account = world[5], world[4]

    login(client, account.phone)
    response = client.get(f"/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="booking-{booking.id}.ics"')
    assert f"第{booking.queue_number}号" in response.data.decode().replace("\r\n ", "")
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    login(client, create_user(password=PASSWORD).phone)
    assert client.get(f"/bookings/{booking.id}.ics").status_code == 404


def test_programme_feed_filters_and_bad_input(db, client):
    world = _world(db)
    lecture = world[3]

    body = client.get("/calendar/programme.ics?kind=lecture").text
    assert re.findall(r"UID:session-(\d+)@", body) == [str(lecture.id)]
    assert client.get("/calendar/programme.ics?kind=picnic").status_code == 400
    assert client.get("/calendar/programme.ics?township=x").status_code == 400
    assert client.get("/calendar/programme.ics?township=999999").status_code == 404
    assert client.get("/calendar/venues/999999.ics").status_code == 404


def test_venue_page_offers_webcal_https_and_a_qr_code(db, client):
    venue = create_venue()
    db.session.commit()

    html = client.get(f"/venues/{venue.id}").text

    assert f'href="webcal://localhost/calendar/venues/{venue.id}.ics"' in html
    assert f'value="http://localhost/calendar/venues/{venue.id}.ics"' in html
    assert 'src="data:image/svg+xml' in html

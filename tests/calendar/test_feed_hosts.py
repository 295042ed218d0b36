"""Feeds and their links never come from the request's Host header, and feeds are
rate-limited per address — shared by every worker through Redis."""

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from app.calendar import feeds
from tests.factories import TODAY, create_session

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://localhost"  # the testing configuration's SITE_URL
PROGRAMME = "/calendar/programme.ics"


def _urls(body: bytes) -> list[str]:
    return [str(event["url"]) for event in Calendar.from_ical(body).walk("VEVENT")]


def _forty_hosts(client) -> list:
    return [client.get(PROGRAMME, base_url=f"http://forged-{i}.example") for i in range(40)]


def test_review_6_forty_host_headers_get_one_feed_with_the_site_address(db, client):
    session = create_session(day=TODAY + timedelta(days=2))
    db.session.commit()

    responses = _forty_hosts(client)

    assert {r.status_code for r in responses} == {200}
    assert len({r.data for r in responses}) == 1
    assert len({r.headers["ETag"] for r in responses}) == 1
    assert _urls(responses[0].data) == [f"{SITE}/sessions/{session.id}"]


def test_review_6_forty_host_headers_build_the_feed_once(db, client):
    create_session(day=TODAY + timedelta(days=2))
    db.session.commit()
    feeds.cache.clear()

    _forty_hosts(client)

    assert len(feeds.cache) == 1  # one body for the feed's version, not one per Host


def test_review_6_subscribe_pages_link_the_site_address_whatever_the_host(db, client):
    venue = create_session().venue
    db.session.commit()
    forged = "http://forged.example"

    subscribe = client.get("/calendar", base_url=forged).text
    venue_page = client.get(f"/venues/{venue.id}", base_url=forged).text

    assert "forged.example" not in subscribe + venue_page
    assert f'value="{SITE}{PROGRAMME}"' in subscribe
    assert f'href="webcal://localhost/calendar/venues/{venue.id}.ics"' in venue_page


def test_review_6_feeds_answer_429_after_120_a_minute_from_one_address(db, client):
    venue = create_session(day=TODAY + timedelta(days=2)).venue
    db.session.commit()
    venue_feed = f"/calendar/venues/{venue.id}.ics"

    # Every feed counts against one limit per address, private link guesses included.
    statuses = ([client.get(PROGRAMME).status_code for _ in range(60)]
                + [client.get(venue_feed).status_code for _ in range(59)]
                + [client.get("/calendar/me/1-guess.ics").status_code])
    limited = client.get(PROGRAMME)
    elsewhere = client.get(PROGRAMME, environ_base={"REMOTE_ADDR": "10.0.0.7"})

    assert statuses == [200] * 119 + [404]
    assert (limited.status_code, elsewhere.status_code) == (429, 200)
    assert 0 < int(limited.headers["Retry-After"]) <= 60  # the minute's window


WORKER = """
import json, sys
from tests.conftest import make_app
app = make_app("sqlite://", RATELIMIT_STORAGE_URI=sys.argv[1], RATELIMIT_KEY_PREFIX=sys.argv[2])
client = app.test_client()
# A malformed private link is refused before any database read: no schema needed.
print(json.dumps([client.get("/calendar/experts/guess.ics").status_code
                  for _ in range(int(sys.argv[3]))]))
"""


def _worker(redis_url: str, prefix: str, requests: int) -> list[int]:
    """One web worker: its own process, app and limiter."""
    done = subprocess.run([sys.executable, "-c", WORKER, redis_url, prefix, str(requests)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_review_6_feed_limit_holds_across_worker_processes_through_redis():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("XQ_REQUIRE_SERVICES") == "1":
            pytest.fail("XQ_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("REDIS_URL is not set: no shared rate-limit storage to test")
    prefix = f"xq-test-{uuid.uuid4().hex}"

    first = _worker(redis_url, prefix, 120)
    second = _worker(redis_url, prefix, 1)

    assert first == [404] * 120
    assert second == [429]

"""Issue #19, item 5: two web machines — two gunicorn masters on different ports —
behind one PostgreSQL and one Redis (the PostgreSQL tier, with REDIS_URL).

A booking burst at both at once never overbooks and stores every acknowledged booking;
a rate limit counts the attempts made at both; an expert's feed has the same ETag from
both. (One scheduler among several: tests/ops/test_scheduler_lease.py.)
"""

import os
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy import func, select

from app.calendar.models import FeedOwner
from app.calendar.tokens import ensure_link, token_of
from app.core.time import utcnow
from app.extensions import db
from app.scheduling.models import Session, SessionExpert
from tests.bookings.test_kill import KEYS, _book, _build, _gunicorn, stored_bookings
from tests.conftest import make_app

ROUNDS = 25  # bookings each client tries


@pytest.fixture
def shared(scratch_url):
    """The one PostgreSQL database and the one Redis both machines use."""
    redis_url = os.environ.get("REDIS_URL")
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("two machines share PostgreSQL: the PostgreSQL tier runs this")
    if not redis_url:
        if os.environ.get("XQ_REQUIRE_SERVICES") == "1":
            pytest.fail("XQ_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("two machines share Redis: REDIS_URL is not set")
    return scratch_url, redis_url


def _post(port: int, path: str, body: bytes) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                     method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def _etag(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
        assert response.status == 200
        return response.headers["ETag"]


def test_two_masters_share_the_bookings_the_limits_and_the_feeds(shared, tmp_path):
    url, redis_url = shared
    slot_ids, tokens = _build(url)
    app = make_app(url, **KEYS)
    with app.app_context():
        expert_id = db.session.scalar(select(SessionExpert.expert_id).limit(1))
        link = ensure_link(FeedOwner.EXPERT, expert_id, by_id=None, now=utcnow())
        db.session.commit()
        feed = f"/calendar/experts/{token_of(link)}.ics"
        db.session.remove()
    settings = {"REDIS_URL": redis_url, "RATELIMIT_ENABLED": "true",
                "RATELIMIT_KEY_PREFIX": f"xq-two-{uuid.uuid4().hex[:8]}"}

    with (_gunicorn(url, tmp_path / "first.log", **settings) as (first, _),
          _gunicorn(url, tmp_path / "second.log", **settings) as (second, _)):
        # The burst: each client alternates between the machines.
        acknowledged: list[int] = []
        lock = threading.Lock()

        def client(n: int) -> None:
            token, patient_id = tokens[n]
            for round_ in range(ROUNDS):
                port = (first, second)[(n + round_) % 2]
                made = _book(port, token, patient_id, slot_ids[round_ % len(slot_ids)],
                             f"two-{n}-{round_}")
                if made is not None:
                    with lock:
                        acknowledged.append(made)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(len(tokens))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

        # One limit for both: 10 token requests a minute from one address.
        wrong = b'{"phone": "13900000001", "password": "not-it"}'
        statuses = [_post((first, second)[i % 2], "/api/v1/auth/token", wrong)
                    for i in range(11)]

        etags = {_etag(first, feed), _etag(second, feed)}

    with app.app_context():
        stored, counts = stored_bookings()
        sessions = db.session.scalar(select(func.count(Session.id)))
        db.session.remove()
        db.engine.dispose()

    capacity = sum(c for _id, _booked, c, _active in counts)
    assert len(acknowledged) == len(set(acknowledged)) > 0
    assert set(acknowledged) <= stored  # every acknowledged booking stored
    assert all(booked == active <= c for _id, booked, c, active in counts)  # never over
    # More attempts than places (each slot is tried 36 times or more for its 30): every
    # place taken, once.
    assert len(acknowledged) == capacity and sessions == 1
    assert statuses == [401] * 10 + [429]
    assert len(etags) == 1 and None not in etags

"""The booking burst through the API: concurrent POST /api/v1/bookings against a real
threaded server, committing for real, on the tier's database (SQLite or PostgreSQL).

Distinct Idempotency-Keys: exactly the capacity is booked and everyone else gets 409
``slot_full``. One key repeated by concurrent requests: one booking, and every answer
is that booking (also when it took the slot's last place).
"""

import json
import urllib.error
import urllib.request
from collections import Counter
from datetime import time, timedelta

import pytest

from app.auth.token_models import TokenKind
from app.auth.tokens import issue_token
from app.extensions import db, limiter
from app.scheduling.models import SessionKind
from tests.bookings.test_concurrency import _booked, _residents, served
from tests.factories import NOW, TODAY, create_session
from tests.helpers import at_once


@pytest.fixture(autouse=True)
def _rate_limits_stay_on():
    """The served app has rate limits off, and Flask-Limiter keeps that switch on its one
    (shared) extension object: put it back for the tests that follow."""
    enabled = limiter.enabled
    yield
    limiter.enabled = enabled


def _tokens(app, phones: list[str]) -> list[str]:
    from app.auth.services import find_user

    secrets = []
    with app.app_context():
        for phone in phones:
            _token, secret = issue_token(find_user(phone), kind=TokenKind.LOGIN, now=NOW)
            db.session.commit()
            secrets.append(secret)
    return secrets


def _post(base: str, token: str, slot_id: int, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{base}/api/v1/bookings", data=json.dumps({"slot_id": slot_id}).encode(),
        method="POST", headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key,
                                "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _burst(base: str, tokens: list[str], keys: list[str], slot_id: int):
    return at_once([lambda t=t, k=k: _post(base, t, slot_id, k)
                    for t, k in zip(tokens, keys, strict=True)])


def _slot(app, kind: SessionKind, capacity: int) -> int:
    with app.app_context():
        session = create_session(kind=kind, day=TODAY + timedelta(days=2), start=time(9, 0),
                                 slots=1, capacity=capacity, title="渌江讲坛")
        slot_id = session.slots[0].id
        db.session.commit()
    return slot_id


@pytest.mark.parametrize(("kind", "capacity", "clients"), [
    (SessionKind.CLINIC, 5, 50),
    (SessionKind.LECTURE, 30, 60),
])
def test_api_burst_books_exactly_the_capacity(scratch_url, kind, capacity, clients):
    with served(scratch_url, clients) as (app, base):
        slot_id = _slot(app, kind, capacity)
        tokens = _tokens(app, _residents(app, clients))

        results = _burst(base, tokens, [f"key-{i}" for i in range(clients)], slot_id)

        tally = Counter(status if status == 201 else (status, body.get("error", {}).get("code"))
                        for status, body in results)
        assert tally == {201: capacity, (409, "slot_full"): clients - capacity}
        assert _booked(app, slot_id) == (capacity, capacity)


@pytest.mark.parametrize("capacity", [5, 1])
def test_api_burst_of_one_key_books_once(scratch_url, capacity):
    """With one place, the twins that lose the race find the slot full: the first
    answer kept for their key (the booking) is still theirs, not the refusal."""
    with served(scratch_url, 20) as (app, base):
        slot_id = _slot(app, SessionKind.CLINIC, capacity)
        token = _tokens(app, _residents(app, 1))[0]

        results = _burst(base, [token] * 20, ["same-key"] * 20, slot_id)

        assert {status for status, _body in results} == {201}
        assert len({json.dumps(body, sort_keys=True) for _status, body in results}) == 1
        assert _booked(app, slot_id) == (1, 1)

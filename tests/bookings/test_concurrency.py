"""Booking bursts through HTTP against a real multi-threaded server, committing for real.

Each test gets an empty database of the tier's kind (a SQLite file, or a scratch
PostgreSQL database in CI), a werkzeug server with one thread per request, and a
connection pool larger than the number of clients. Clients log in through the login
page, fetch the booking form (CSRF token and nonce), wait at a barrier, then all post
at once. The database must hold: exactly the capacity is booked, every other client
gets the "full" answer, and no request errors.
"""

import http.cookiejar
import re
import threading
import time as time_
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from datetime import time, timedelta

import flask_migrate
import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.auth.passwords import hash_password
from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.notifications.models import Channel, Message, MessageStatus
from app.scheduling.models import SessionKind, Slot
from tests.conftest import make_app
from tests.factories import NOW, TODAY, create_patient, create_session, create_user, make_id_number
from tests.helpers import at_once

PASSWORD = "burst-test-password"
FULL = "该时段已约满"


@contextmanager
def served(url: str, clients: int):
    """The app on ``url`` (migrated), served by a threaded server on a free port."""
    app = make_app(url, RATELIMIT_ENABLED=False, OUTBOX_SENDER="thread",
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": clients + 10, "max_overflow": 10,
                                              "pool_timeout": 60})
    app.config["CLOCK"] = lambda: NOW
    with app.app_context():
        flask_migrate.upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _residents(app, n: int) -> list[str]:
    """n residents, each with themself as a patient; returns their phones."""
    password_hash = hash_password(PASSWORD)
    phones = []
    with app.app_context():
        for i in range(n):
            user = create_user(phone=f"1391{i:07d}", password_hash=password_hash)
            create_patient(account=user, id_number=make_id_number(seq=2 * i + 1),
                           phone=user.phone)
            phones.append(user.phone)
        db.session.commit()
    return phones


class Browser:
    """One resident's browser: its own cookies, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), self._NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(), error.headers.get("Location", "")

    def login(self, phone: str) -> None:
        _, page, _ = self.request("/login")
        status, _, _ = self.request("/login", {"csrf_token": _field(page, "csrf_token"),
                                               "phone": phone, "password": PASSWORD})
        assert status == 302


def _field(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]+)"', html).group(1)


def _burst(base: str, phones: list[str], slot_id: int, *, same_nonce: bool = False):
    """Every browser opens the booking form, then all post together. Returns outcomes."""
    browsers = [Browser(base) for _ in phones]
    forms = []
    for browser, phone in zip(browsers, phones, strict=True):
        browser.login(phone)
        _, page, _ = browser.request(f"/slots/{slot_id}/book")
        patient = re.search(r'<input[^>]*name="patient"[^>]*value="(\d+)"', page).group(1)
        forms.append({"csrf_token": _field(page, "csrf_token"), "nonce": _field(page, "nonce"),
                      "patient": patient})
    if same_nonce:  # one resident double-submitting from several tabs
        browsers, forms = [browsers[0]] * len(phones), [forms[0]] * len(phones)
    def post(i: int) -> str:
        status, body, location = browsers[i].request(f"/slots/{slot_id}/book", forms[i])
        if status == 302 and location.startswith("/bookings/"):
            return location
        if status == 200 and FULL in body:
            return "full"
        return f"error {status}"

    return [o if isinstance(o, str) else f"error {o!r}"
            for o in at_once([lambda i=i: post(i) for i in range(len(browsers))])]


def _booked(app, slot_id: int) -> tuple[int, int]:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(Booking)
            .where(Booking.slot_id == slot_id, Booking.status == BookingStatus.CONFIRMED))
        booked = db.session.get(Slot, slot_id).booked_count
        db.session.remove()
    return count, booked


@pytest.mark.parametrize(("kind", "capacity", "clients"), [
    (SessionKind.CLINIC, 5, 50),
    (SessionKind.LECTURE, 30, 60),
])
def test_burst_books_exactly_the_capacity(scratch_url, kind, capacity, clients):
    with served(scratch_url, clients) as (app, base):
        with app.app_context():
            session = create_session(kind=kind, day=TODAY + timedelta(days=2), start=time(9, 0),
                                     slots=1, capacity=capacity, title="渌江讲坛")
            slot_id = session.slots[0].id
            db.session.commit()
        phones = _residents(app, clients)

        outcomes = _burst(base, phones, slot_id)

        tally = Counter("booked" if o.startswith("/bookings/") else o for o in outcomes)
        assert tally == {"booked": capacity, "full": clients - capacity}
        assert _booked(app, slot_id) == (capacity, capacity)
        # The workers' sender thread sends each confirmation once, in batches.
        assert _confirmations_once(app) == capacity


def _confirmations_once(app, wait_s: float = 20) -> int:
    """How many booking confirmation SMS went out, once each, waiting for the sender
    thread to drain; fails if any is still claimed after ``wait_s``."""
    deadline = time_.monotonic() + wait_s
    with app.app_context():
        while True:
            rows = db.session.execute(
                select(Message.status, Message.attempts)
                .where(Message.kind == "booking_confirmed", Message.channel == Channel.SMS)
            ).all()
            db.session.rollback()
            if all(status == MessageStatus.SENT for status, _a in rows):
                break
            assert time_.monotonic() < deadline, rows
            time_.sleep(0.05)
        db.session.remove()
    assert all(attempts == 1 for _s, attempts in rows)
    return len(rows)


def test_burst_of_one_nonce_books_once(scratch_url):
    with served(scratch_url, 20) as (app, base):
        with app.app_context():
            slot_id = create_session(day=TODAY + timedelta(days=2), slots=1).slots[0].id
            db.session.commit()
        phones = _residents(app, 1) * 20

        outcomes = _burst(base, phones, slot_id, same_nonce=True)

        assert len(set(outcomes)) == 1
        assert outcomes[0].startswith("/bookings/")
        assert _booked(app, slot_id) == (1, 1)

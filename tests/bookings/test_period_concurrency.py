"""Issue #17, item 7, under a burst: one resident, several browsers, each booking a
different clinic of the same week at once while one place of the weekly limit is left
— exactly one booking is made, every other browser hears the weekly limit, on SQLite
and on PostgreSQL (the person's row lock orders the counts)."""

import re
from datetime import time, timedelta

from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from tests.bookings.test_concurrency import Browser, _field, _residents, served
from tests.factories import TODAY, create_policy, create_session
from tests.helpers import at_once

BROWSERS = 8
WEEKLY = "每人每周最多2个"


def test_two_bookings_racing_for_the_last_place_of_a_week_give_one(scratch_url):
    with served(scratch_url, BROWSERS) as (app, base):
        monday = TODAY + timedelta(days=6)  # 7 December 2026
        with app.app_context():
            create_policy(release_days=30, max_active_per_person=20, max_per_week=2)
            slots = [create_session(day=monday + timedelta(days=i // 2),
                                    start=time(8 + 4 * (i % 2), 0), hours=1, slots=1
                                    ).slots[0].id for i in range(BROWSERS + 1)]
            db.session.commit()
        phone = _residents(app, 1)[0]
        browsers = [Browser(base) for _ in range(BROWSERS)]
        forms = []
        for browser in browsers:
            browser.login(phone)
        # One of the week's two places is taken already.
        status, _body, _location = _post(browsers[0], slots[-1])
        assert status == 302
        for browser, slot_id in zip(browsers, slots, strict=False):
            _, page, _ = browser.request(f"/slots/{slot_id}/book")
            forms.append(_form(page))

        def post(i: int) -> str:
            status, body, location = browsers[i].request(f"/slots/{slots[i]}/book", forms[i])
            if status == 302 and location.startswith("/bookings/"):
                return "booked"
            return "weekly limit" if status == 200 and WEEKLY in body else f"error {status}"

        outcomes = at_once([lambda i=i: post(i) for i in range(BROWSERS)])

        assert sorted(outcomes) == ["booked"] + ["weekly limit"] * (BROWSERS - 1)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Booking).where(
                Booking.status == BookingStatus.CONFIRMED)) == 2
            db.session.remove()


def _form(page: str) -> dict:
    patient = re.search(r'<input[^>]*name="patient"[^>]*value="(\d+)"', page).group(1)
    return {"csrf_token": _field(page, "csrf_token"), "nonce": _field(page, "nonce"),
            "patient": patient}


def _post(browser, slot_id: int):
    _, page, _ = browser.request(f"/slots/{slot_id}/book")
    return browser.request(f"/slots/{slot_id}/book", _form(page))

"""Issue #17, item 6, under a burst: residents and township doctors book one clinic
slot at once before the referral places' release. The public gets exactly the places
not kept, the doctors exactly the kept ones, nobody is overbooked — on SQLite and on
PostgreSQL (the conditional updates decide, with the clock inside them)."""

import re
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from app.auth.passwords import hash_password
from app.bookings.models import Booking, BookingSource, BookingStatus
from app.extensions import db
from app.scheduling.models import Slot
from tests.bookings.test_concurrency import (
    FULL,
    PASSWORD,
    Browser,
    _field,
    _residents,
    served,
)
from tests.factories import (
    NOW,
    TODAY,
    create_session,
    create_township,
    create_township_doctor,
    create_venue,
    make_id_number,
)
from tests.helpers import at_once

CAPACITY, RESERVED = 6, 3
RESIDENTS, REFERRALS = 12, 6
USED_UP = "转诊号已用完"


def test_public_and_referral_bursts_share_a_slot_without_overbooking(scratch_url):
    with served(scratch_url, RESIDENTS + REFERRALS) as (app, base):
        with app.app_context():
            township = create_township()
            centre = create_venue(township=township)
            session = create_session(day=TODAY + timedelta(days=2), venue=centre, slots=1,
                                     capacity=CAPACITY)
            slot = session.slots[0]
            slot.reserved, slot.reserved_until = RESERVED, NOW + timedelta(days=1)
            doctor = create_township_doctor(centre, phone="13600000001",
                                            password_hash=hash_password(PASSWORD))
            slot_id, session_id, doctor_phone = slot.id, session.id, doctor.phone
            db.session.commit()
        phones = _residents(app, RESIDENTS)

        posts = []
        for phone in phones:
            browser = Browser(base)
            browser.login(phone)
            _, page, _ = browser.request(f"/slots/{slot_id}/book")
            patient = re.search(r'<input[^>]*name="patient"[^>]*value="(\d+)"', page).group(1)
            posts.append((browser, f"/slots/{slot_id}/book", {
                "csrf_token": _field(page, "csrf_token"), "nonce": _field(page, "nonce"),
                "patient": patient}))
        for n in range(REFERRALS):
            browser = Browser(base)
            browser.login(doctor_phone)
            path = f"/console/referrals/{session_id}"
            _, page, _ = browser.request(path)
            posts.append((browser, path, {
                "csrf_token": _field(page, "csrf_token"), "nonce": _field(page, "nonce"),
                "slot": str(slot_id), "name": f"转诊{n}", "phone": "",
                "id_number": make_id_number(seq=700 + n), "note": "请专家会诊"}))

        def post(i: int) -> str:
            browser, path, form = posts[i]
            status, body, location = browser.request(path, form)
            if status == 302:
                return "booked" if location.startswith("/bookings/") else "referred"
            if status == 200 and FULL in body:
                return "full"
            return "used up" if status == 200 and USED_UP in body else f"error {status}"

        tally = Counter(at_once([lambda i=i: post(i) for i in range(len(posts))]))

        assert tally == {"booked": CAPACITY - RESERVED, "full": RESIDENTS - CAPACITY + RESERVED,
                         "referred": RESERVED, "used up": REFERRALS - RESERVED}
        with app.app_context():
            rows = dict(db.session.execute(
                select(Booking.source, func.count()).where(
                    Booking.status == BookingStatus.CONFIRMED).group_by(Booking.source)).all())
            slot = db.session.get(Slot, slot_id)
            assert rows == {BookingSource.WEB: CAPACITY - RESERVED,
                            BookingSource.REFERRAL: RESERVED}
            assert (slot.booked_count, slot.referred_count) == (CAPACITY, RESERVED)
            db.session.remove()

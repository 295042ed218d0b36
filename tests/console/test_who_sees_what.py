"""Who on staff sees what of a booked patient (README, "Who sees what"): the console's
patient list, the printed slip and the API's patient list follow one rule — phones whole
for those who run the session, masked for an expert; ID numbers always masked."""

import re
from datetime import time, timedelta

import pytest

from app.auth.models import Role, UserRole
from app.bookings.models import BookingSource
from app.directory.models import VenueCoordinator
from app.extensions import db as _db
from tests.api.helpers import bearer
from tests.console.helpers import csrf
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_admin,
    create_assistant,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_patient,
    create_session,
    create_user,
    create_venue,
    make_id_number,
)
from tests.helpers import PASSWORD

PHONE = "13912345678"
MASKED = "139****5678"
_PHONE_SHOWN = re.compile(r"139(?:12345678|\*{4}5678)")  # the patient's phone, either way


def _expert_also_coordinating(*, here: bool):
    """An expert's account that also coordinates this session's venue, or another."""
    def make(venue, expert):
        user = create_expert_user(expert, password=PASSWORD)
        user.role_rows.append(UserRole(role=Role.COORDINATOR))
        coordinated = venue if here else create_venue()
        _db.session.add(VenueCoordinator(venue_id=coordinated.id, user_id=user.id))
        _db.session.flush()
        return user
    return make


STAFF = {
    "expert": (lambda venue, expert: create_expert_user(expert, password=PASSWORD), MASKED),
    "assistant": (lambda venue, expert: create_assistant(expert, password=PASSWORD), PHONE),
    "coordinator": (lambda venue, expert: create_coordinator(venue, password=PASSWORD), PHONE),
    "admin": (lambda venue, expert: create_admin(password=PASSWORD), PHONE),
    "expert-coordinating-this-venue": (_expert_also_coordinating(here=True), PHONE),
    "expert-coordinating-elsewhere": (_expert_also_coordinating(here=False), MASKED),
}


def _booked(*, people: int = 1, day=TODAY + timedelta(days=3), start=time(8, 0), now=NOW):
    """A clinic with ``people`` front-desk bookings of one account (one phone)."""
    venue, expert = create_venue(), create_expert()
    session = create_session(venue=venue, experts=[expert], day=day, start=start, hours=3,
                             slots=1)
    account = create_user()
    patients = [create_patient(account=account, phone=PHONE, name=f"患者{i}",
                               id_number=make_id_number(seq=600 + i)) for i in range(people)]
    _db.session.commit()
    bookings = []
    for patient in patients:
        bookings.append(book_slot(session.slots[0].id, patient, by=account, now=now,
                                         source=BookingSource.FRONT_DESK))
        _db.session.commit()
    return session, bookings


@pytest.mark.parametrize(("make_staff", "shown"), list(STAFF.values()), ids=list(STAFF))
def test_review_13_staff_see_phones_and_id_numbers_as_the_table_says(
        db, client, login_as, make_staff, shown):
    session, (booking,) = _booked()
    staff = make_staff(session.venue, session.experts[0])
    headers = bearer(staff)
    login_as(staff)

    page = client.get(f"/console/sessions/{session.id}").text
    slip = client.get(f"/console/sessions/{session.id}/bookings/{booking.id}").text
    api = client.get(f"/api/v1/staff/sessions/{session.id}/bookings", headers=headers)

    rows = api.get_json()
    assert (_PHONE_SHOWN.findall(page), _PHONE_SHOWN.findall(slip),
            [r["patient"]["phone"] for r in rows]) == ([shown], [shown], [shown])
    masked_id = booking.patient.id_number_masked
    assert (masked_id in page, rows[0]["patient"]["id_number"]) == (True, masked_id)
    full_id = booking.patient.reveal_id_number()
    assert [full_id in text for text in (page, slip, api.text)] == [False, False, False]
    if shown == MASKED:
        assert [PHONE in text for text in (page, slip, api.text)] == [False, False, False]


def test_review_13_api_desk_answers_show_the_assistant_whole_phones(db, client):
    # 06:00–09:00, booked at 06:00; it is 09:00: the slot is over
    session, (first, second) = _booked(people=2, day=TODAY, start=time(6, 0),
                                       now=NOW - timedelta(hours=3))
    headers = bearer(create_assistant(session.experts[0]))
    base = f"/api/v1/staff/sessions/{session.id}/bookings"

    answers = [client.post(f"{base}/{first.id}/check-in", headers=headers),
               client.post(f"{base}/{second.id}/no-show", headers=headers)]

    assert [a.status_code for a in answers] == [200, 200]
    assert [(a.get_json()["patient"]["phone"], a.get_json()["patient"]["id_number"])
            for a in answers] == [(PHONE, first.patient.id_number_masked),
                                  (PHONE, second.patient.id_number_masked)]


def test_check_in_matches_show_masked_id_numbers_only(db, client, login_as):
    session, bookings = _booked(people=2, day=TODAY)  # check-in: on the day only
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    _db.session.commit()
    login_as(coordinator)
    token = csrf(client.get(f"/console/sessions/{session.id}").text)

    page = client.post(f"/console/sessions/{session.id}/check-in",
                       data={"csrf_token": token, "q": PHONE}).text

    assert "找到 2 个预约，请核对后签到：" in page
    assert [b.patient.id_number_masked in page for b in bookings] == [True, True]
    assert [b.patient.reveal_id_number() in page for b in bookings] == [False, False]

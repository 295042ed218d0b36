"""The public lists (home, schedule, a session's slots) are rendered once every few
seconds by each worker (app.core.fragments); what depends on who looks, and the
booking form itself, never come from a kept copy."""

from datetime import timedelta

from app.core import fragments
from tests.factories import TODAY, create_patient, create_session, create_user
from tests.helpers import PASSWORD, login

DAY = TODAY + timedelta(days=2)


def test_a_public_list_is_kept_a_few_seconds_then_rendered_afresh(db, client):
    first = create_session(day=DAY, title="第一场讲座")
    db.session.commit()
    before = client.get(f"/sessions/{first.id}").text
    first.title = "改过名的讲座"
    db.session.commit()

    kept = client.get(f"/sessions/{first.id}").text
    fragments.clear()  # as if PUBLIC_PAGE_SECONDS had passed
    fresh = client.get(f"/sessions/{first.id}").text

    assert "第一场讲座" in before and "第一场讲座" in kept
    assert "改过名的讲座" in fresh


def test_the_booking_form_counts_places_afresh(db, client):
    session = create_session(day=DAY, slots=1, capacity=1)
    patient = create_patient(account=create_user(password=PASSWORD))
    db.session.commit()
    login(client, patient.account.phone)
    client.get(f"/sessions/{session.id}")  # kept: 余 1 / 1
    session.slots[0].booked_count = 1
    db.session.commit()

    form = client.get(f"/slots/{session.slots[0].id}/book").text

    assert "候补" in form  # full now: the form offers the waitlist


def test_the_header_is_each_visitors_own_on_a_kept_page(db, client):
    create_session(day=DAY)
    wang = create_user(name="王建国", password=PASSWORD)
    db.session.commit()
    visitor = client.application.test_client()
    assert "王建国" not in visitor.get("/").text  # the list is kept now

    login(client, wang.phone)

    assert "退出" in client.get("/").text and "退出" not in visitor.get("/").text

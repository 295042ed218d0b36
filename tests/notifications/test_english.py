"""Issue #16, item 14: English messages and pages read as English."""

from dataclasses import replace

from app.bookings.services import notices
from app.notifications import compose
from tests.factories import NOW


def test_english_sms_carry_an_english_signature_and_fit_by_their_alphabet(app):
    facts = notices.BookingFacts(booking_id=1234, code="ABC234", queue_number=12,
                                 name="Li Xiuying", phone="13900000001", account_id=1,
                                 start_dt=NOW, place="Liling Hospital of TCM",
                                 what="Cardiology clinic", to=None)
    with app.test_request_context():
        english = compose.render("booking_confirmed", locale="en", f=facts, when="Dec 3, 08:00",
                                 link="")
        chinese = compose.render("booking_confirmed", locale="zh",
                                 f=replace(facts, name="欧阳秀英"), when="12月3日 08:00", link="")
    assert english.sms.startswith("[Xiangqing] ") and "【" not in english.sms
    assert all(c in compose.GSM7 | compose.GSM7_ESCAPED for c in english.sms)
    assert 70 < len(english.sms) <= 160 and compose.sms_fits(english.sms)  # one segment
    assert chinese.sms.startswith("【乡情专家行】")


def test_one_sms_is_160_gsm_characters_or_70_of_anything_else():
    assert compose.sms_fits("a" * 160) and not compose.sms_fits("a" * 161)
    assert compose.sms_fits("[" * 80) and not compose.sms_fits("[" * 81)  # escaped: two
    assert compose.sms_fits("李" * 70) and not compose.sms_fits("李" * 71)
    # A Chinese name in an English text: 70 (so such a text may take two segments).
    assert compose.sms_fits("Ouyang Xiuying " * 10)
    assert not compose.sms_fits("Ouyang Xiuying " * 5 + "欧阳秀英")


def test_english_pages_use_plain_brackets_and_english_words(db, client):
    from datetime import timedelta

    from tests.factories import TODAY, create_patient, create_session, create_user
    from tests.helpers import PASSWORD, login

    patient = create_patient(account=create_user(password=PASSWORD), name="李秀英")
    session = create_session(day=TODAY + timedelta(days=2), slots=2, capacity=1)
    session.slots[1].booked_count = 1
    db.session.commit()
    login(client, patient.account.phone)
    client.set_cookie("lang", "en")

    form = client.get(f"/slots/{session.slots[0].id}/book").text
    assert "李秀英 (Self)" in form and "（" not in form
    page = client.get(f"/sessions/{session.id}").text
    assert ">Join waitlist<" in page and "Wait-list" not in page
    assert "我的预约" not in client.get("/calendar").text

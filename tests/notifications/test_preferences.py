"""通知设置 on the account page, the notice a feed-link reset sends, and every SMS text
fitting one message with realistic Liling names."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.bookings.services import notices
from app.calendar import tokens
from app.calendar.models import FeedOwner
from app.directory.models import ExpertAssistant
from app.notifications import compose
from app.notifications.models import Channel, Message
from tests.factories import NOW, create_expert, create_user
from tests.helpers import csrf_token, login_as


def _save(client, **data):
    token = csrf_token(client.get("/account").text)
    return client.post("/account/notifications", data={"csrf_token": token, **data})


def test_a_resident_sets_email_channels_and_language(db, client):
    user = create_user()
    db.session.commit()
    login_as(client, user)
    page = client.get("/account").text
    assert "通知设置" in page and 'name="notify_sms"' in page

    response = _save(client, email=" wang@example.cn ", notify_email="y", locale="en")

    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.email, saved.notify_sms, saved.notify_email, saved.locale) == (
        "wang@example.cn", False, True, "en")


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "not-an-address", "locale": "zh"}, "请输入正确的邮箱地址"),
    ({"email": "a" * 250 + "@x.cn", "locale": "zh"}, "邮箱地址太长"),
    ({"email": "", "locale": "fr"}, "请选择通知语言"),
])
def test_bad_preferences_get_a_message_and_change_nothing(db, client, data, message):
    user = create_user(email="old@example.cn")
    db.session.commit()
    login_as(client, user)

    response = _save(client, notify_sms="y", **data)

    assert response.status_code == 200 and message in response.text
    db.session.expire_all()
    assert db.session.get(User, user.id).email == "old@example.cn"


def test_resetting_an_experts_link_tells_the_expert_and_assistants(db):
    expert = create_expert()
    expert.user = create_user(roles=(Role.EXPERT,), email="zhang@xiangya.cn")
    assistant = create_user(roles=(Role.ASSISTANT,), locale="en")
    db.session.add(ExpertAssistant(expert_id=expert.id, user_id=assistant.id))
    db.session.commit()
    tokens.ensure_link(FeedOwner.EXPERT, expert.id, by_id=assistant.id, now=NOW)
    db.session.commit()

    tokens.rotate(FeedOwner.EXPERT, expert.id, by_id=assistant.id, now=NOW)
    db.session.commit()

    told = db.session.execute(
        select(Message.user_id, Message.channel, Message.subject)
        .where(Message.kind == "feed_link_reset").order_by(Message.user_id, Message.channel)
    ).all()
    assert told == [
        (expert.user.id, Channel.EMAIL, "【乡情专家行】日历订阅链接已重置"),
        (expert.user.id, Channel.INBOX, "日历订阅链接已重置"),
        (assistant.id, Channel.INBOX, "Calendar link reset"),
    ]
    body = db.session.scalar(select(Message.body).where(Message.user_id == expert.user.id))
    assert expert.name in body and "旧链接已经失效" in body


LONGEST = notices.BookingFacts(
    booking_id=123456, code="K7Q2MX", queue_number=128, name="欧阳秀英", phone="13912345678",
    account_id=1, start_dt=datetime(2026, 12, 13, 0, 30, tzinfo=UTC),
    place="醴陵市第一人民医院", what="心血管内科 欧阳建国", to=None)


@pytest.mark.parametrize("template", ["booking_confirmed", "booking_cancelled",
                                      "booking_rescheduled", "reminder"])
def test_every_booking_sms_fits_one_message(app, template):
    with app.test_request_context():
        texts = compose.render(template, f=LONGEST, when="12月13日 08:30", link="")

    assert texts.sms.startswith(compose.SIGNATURE) and compose.sms_fits(texts.sms), texts.sms


def test_a_stop_notice_with_a_long_reason_still_fits_and_keeps_the_reason_inside(
        db, app, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_URL", "https://xq.liling.gov.cn")

    with app.test_request_context():
        holder = create_user()
        facts = replace(LONGEST, account_id=holder.id, to=compose.recipient_of(holder))
        notices.session_stopped(facts, reason="专家临时接到省里紧急会诊任务无法前来",
                                link=compose.site_link("/s/98765"), now=NOW,
                                alternatives=[notices.Alternative(
                                    "12月20日 08:30 醴陵市中医院 心血管内科 李明",
                                    "https://xq.liling.gov.cn/sessions/4321")])
        sms, inbox = (db.session.scalar(select(Message).where(
            Message.kind == "session_stopped", Message.channel == channel))
            for channel in (Channel.SMS, Channel.INBOX))

    assert compose.sms_fits(sms.body) and "/s/98765" in sms.body, sms.body
    assert "紧急会诊" in inbox.body and "醴陵市中医院" in inbox.body
    assert "https://xq.liling.gov.cn/sessions/4321" in inbox.body
    db.session.rollback()


@pytest.mark.parametrize(("template", "values"), [
    ("waitlist_offer", {"until": "12月13日 09:00"}),
    ("waitlist_expired", {}),
    ("verification_code", {"code": "482913"}),
])
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_waitlist_and_code_sms_fit_one_message(app, template, values, locale):
    with app.test_request_context():
        texts = compose.render(template, locale=locale, name=LONGEST.name,
                               place=LONGEST.place, when="12月13日 08:30", link="", **values)

    if locale == "zh":
        assert compose.sms_fits(texts.sms), texts.sms
    else:  # English takes more room than one UCS-2 SMS; it is at least English
        assert any(word in texts.sms for word in ("place", "code")), texts.sms

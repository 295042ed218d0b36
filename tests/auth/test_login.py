"""Logging in and out, the account page, changing and resetting the password."""

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.notifications.models import Message
from tests.factories import create_user
from tests.helpers import PASSWORD, csrf_token, login, post_form, request_code, sent_code

PHONE = "13900000001"


def test_login_with_the_right_password_opens_the_account(db, client):
    create_user(phone=PHONE, name="王建国", password=PASSWORD)

    response = login(client, "139 0000 0001")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # a resident lands home
    html = client.get("/account").text
    assert "王建国" in html
    assert "139****0001" in html
    assert PHONE not in html


@pytest.mark.parametrize(("phone", "password"), [
    (PHONE, "wrong-password"),
    ("13900000002", PASSWORD),  # no such account
])
def test_login_failure_says_the_same_for_unknown_phone_and_wrong_password(
        db, client, phone, password):
    create_user(phone=PHONE, password=PASSWORD)

    response = login(client, phone, password)

    assert response.status_code == 200
    assert "手机号或密码不正确" in response.text
    assert client.get("/account").status_code == 302


def test_disabled_account_cannot_log_in(db, client):
    create_user(phone=PHONE, password=PASSWORD, is_enabled=False)

    response = login(client, PHONE)

    assert "这个账号已停用，请联系管理员" in response.text


def test_login_starts_a_new_session(db, client):
    create_user(phone=PHONE, password=PASSWORD)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = csrf_token(client.get("/login").text)

    login(client, PHONE)

    with client.session_transaction() as session:
        assert "planted" not in session
    assert csrf_token(client.get("/account").text) != before


@pytest.mark.parametrize(("target", "location"), [
    ("/patients", "/patients"),
    ("/sessions/1?x=1", "/sessions/1?x=1"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_login_follows_next_only_to_paths_on_this_site(db, client, target, location):
    create_user(phone=PHONE, password=PASSWORD)

    response = login(client, PHONE, next=target)

    assert response.headers["Location"] == location


def test_a_page_that_needs_a_login_sends_visitors_to_it_and_back(db, client):
    create_user(phone=PHONE, password=PASSWORD)

    response = client.get("/patients")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fpatients"
    assert "请先登录，登录后回到刚才的页面。" in client.get(response.headers["Location"]).text
    assert login(client, PHONE, next="/patients").headers["Location"] == "/patients"


def test_logout_is_a_post_with_a_csrf_token(db, client):
    create_user(phone=PHONE, password=PASSWORD)
    login(client, PHONE)

    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200

    response = post_form(client, "/logout", {}, page="/account")

    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 302


def test_change_password_keeps_this_session_and_ends_the_others(app, db, client):
    create_user(phone=PHONE, password=PASSWORD)
    other_device = app.test_client()
    login(client, PHONE)
    login(other_device, PHONE)

    response = post_form(client, "/account/password", {
        "current": PASSWORD, "password": "a-new-password", "confirm": "a-new-password"},
        page="/account")

    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    assert login(app.test_client(), PHONE, "a-new-password").status_code == 302


def test_change_password_needs_the_current_one(app, db, client):
    create_user(phone=PHONE, password=PASSWORD)
    login(client, PHONE)

    response = post_form(client, "/account/password", {
        "current": "not-it-at-all", "password": "a-new-password", "confirm": "a-new-password"},
        page="/account")

    assert response.status_code == 200
    assert "当前密码不正确" in response.text
    assert login(app.test_client(), PHONE).status_code == 302  # the old one still works


def test_reset_password_by_sms_code(db, client):
    create_user(phone=PHONE, password=PASSWORD)

    request_code(client, PHONE, "reset_password")
    response = post_form(client, "/reset-password", {
        "code": sent_code(PHONE), "password": "a-new-password", "confirm": "a-new-password"})

    assert response.headers["Location"] == "/login"
    assert login(client, PHONE, PASSWORD).status_code == 200
    assert login(client, PHONE, "a-new-password").status_code == 302


def test_reset_password_with_a_wrong_code_changes_nothing(db, client):
    create_user(phone=PHONE, password=PASSWORD)
    request_code(client, PHONE, "reset_password")
    wrong = "111111" if sent_code(PHONE) != "111111" else "222222"

    response = post_form(client, "/reset-password", {
        "code": wrong, "password": "a-new-password", "confirm": "a-new-password"})

    assert "验证码不正确，还可以再试4次" in response.text
    assert login(client, PHONE, PASSWORD).status_code == 302


def test_reset_for_a_phone_without_an_account_looks_the_same_and_sends_nothing(db, client):
    response = request_code(client, PHONE, "reset_password")

    assert response.headers["Location"] == "/reset-password"
    assert "验证码已发送到139****0001，10分钟内有效" in client.get("/reset-password").text
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_staff_land_on_the_console_and_residents_home_or_where_they_were_going(db, client):
    coordinator = create_user(roles=(Role.COORDINATOR,), password=PASSWORD)
    resident = create_user(password=PASSWORD)
    db.session.commit()

    assert login(client, coordinator.phone).headers["Location"] == "/console"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    assert login(client, resident.phone, next="/bookings").headers["Location"] == "/bookings"


def test_the_api_token_button_is_under_more_off_the_account_page(db, client):
    login(client, create_user(password=PASSWORD).phone)
    page = client.get("/account").text
    more = page.index("<summary>更多</summary>")
    assert page.index('href="/account/tokens"') > more


def _code_login(client, phone: str, *, next: str | None = None):
    """验证码登录 through the pages: ask for the code, then enter it."""
    client.get(f"/login/sms?next={next}" if next else "/login/sms")
    asked = request_code(client, phone, purpose="login")
    code = sent_code(phone)
    return asked, code, post_form(client, "/login/sms", {"code": code or "000000"})


def test_an_sms_code_signs_in_and_keeps_the_place(db, client):
    """Issue #16, item 6: 验证码登录 beside the password."""
    user = create_user(password=PASSWORD)
    db.session.commit()
    assert 'href="/login/sms?next=/bookings">验证码登录' in client.get("/login?next=/bookings").text

    _asked, code, response = _code_login(client, user.phone, next="/bookings")
    assert code is not None
    assert response.headers["Location"] == "/bookings"
    assert client.get("/account").status_code == 200
    # Logged out, the code signs no one in again (used up, and the step forgotten).
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    post_form(client, "/login/sms", {"code": code})
    assert client.get("/account").status_code == 302


def test_an_sms_code_login_answers_the_same_for_a_number_without_an_account(db, client):
    known = create_user(password=PASSWORD)
    db.session.commit()
    asked_known, _code, _signed_in = _code_login(client, known.phone)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})

    asked, code, response = _code_login(client, "13911112222")
    assert code is None  # nothing sent to a number without an account …
    assert asked.headers["Location"] == asked_known.headers["Location"]  # … said alike
    assert "验证码不正确" in response.text and client.get("/account").status_code == 302


def test_an_sms_code_login_shares_the_login_limit(db, client):
    for _ in range(10):
        post_form(client, "/login", {"phone": "13900000001", "password": "wrong"})
    assert post_form(client, "/login/sms", {"code": "123456"}, page="/login").status_code == 429

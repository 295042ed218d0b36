"""Security review items 3 and 9: what a new password and logging out take away.

3 — API tokens die with the password: a change on the account page or a reset by SMS
    revokes every token of the account (the apps' logins and personal tokens alike).
9 — Logging out ends that browser's session on the server: a copy of its cookie stops
    working, while the account's other devices stay signed in.
"""

from sqlalchemy import select

from app.auth.models import LoginSession
from app.auth.token_models import ApiToken, TokenKind
from app.auth.tokens import issue_token
from tests.factories import NOW, create_user
from tests.helpers import PASSWORD, login, post_form, request_code, sent_code

PHONE = "13900000001"
NEW_PASSWORD = "a-new-password-2026"


def _tokens(db, client, user) -> list[str]:
    """A login token from the API and a personal one from the account page's service."""
    login_token = client.post("/api/v1/auth/token",
                              json={"phone": PHONE, "password": PASSWORD}).json["token"]
    _row, personal = issue_token(user, kind=TokenKind.PERSONAL, name="医院系统", days=90,
                                 now=NOW)
    db.session.commit()
    return [login_token, personal]


def _me(client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _browser(client):
    """Another browser (its own cookies) on the same site."""
    return client.application.test_client()


def _signed_in(browser) -> bool:
    return browser.get("/account").status_code == 200


def test_review_3_a_password_change_revokes_every_api_token(db, client):
    user = create_user(phone=PHONE, password=PASSWORD)
    tokens = _tokens(db, client, user)
    assert [_me(client, t) for t in tokens] == [200, 200]
    login(client, PHONE)

    changed = post_form(client, "/account/password", {
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/account")

    assert changed.status_code == 302
    assert [_me(client, t) for t in tokens] == [401, 401]
    page = client.get("/account/tokens").text
    assert "已失效的个人令牌" in page and "医院系统" in page and "已撤销" in page
    assert "所有 API 令牌都会被撤销" in client.get("/account").text
    assert db.session.scalar(select(ApiToken.id).where(ApiToken.revoked_dt.is_(None))) is None


def test_review_3_a_reset_by_sms_revokes_every_api_token(db, client):
    user = create_user(phone=PHONE, password=PASSWORD)
    tokens = _tokens(db, client, user)

    request_code(client, PHONE, "reset_password")
    reset = post_form(client, "/reset-password", {
        "code": sent_code(PHONE), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert reset.headers["Location"] == "/login"
    assert [_me(client, t) for t in tokens] == [401, 401]


def test_review_9_a_cookie_copied_before_logout_stops_working(db, client):
    create_user(phone=PHONE, password=PASSWORD)
    login(client, PHONE)
    thief = _browser(client)
    thief.set_cookie("session", client.get_cookie("session").value, domain="localhost")
    assert _signed_in(thief)

    post_form(client, "/logout", {}, page="/account")

    assert not _signed_in(client)
    assert not _signed_in(thief)
    assert db.session.scalar(select(LoginSession.id)) is None


def test_logging_out_keeps_the_accounts_other_devices_signed_in(db, client):
    create_user(phone=PHONE, password=PASSWORD)
    phone_browser = _browser(client)
    login(client, PHONE)
    login(phone_browser, PHONE)

    post_form(client, "/logout", {}, page="/account")

    assert not _signed_in(client)
    assert _signed_in(phone_browser)


def test_a_new_password_signs_out_the_other_devices_but_not_this_one(db, client):
    create_user(phone=PHONE, password=PASSWORD)
    other = _browser(client)
    login(client, PHONE)
    login(other, PHONE)

    post_form(client, "/account/password", {
        "current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        page="/account")

    assert _signed_in(client)
    assert not _signed_in(other)


def test_a_session_record_ends_after_thirty_days(app, db, client):
    create_user(phone=PHONE, password=PASSWORD)
    login(client, PHONE)
    assert _signed_in(client)

    app.config["CLOCK"] = lambda: NOW.replace(day=31)  # 30 days later

    assert not _signed_in(client)

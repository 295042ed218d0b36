"""API tokens: a phone and password buy one, the account page makes and revokes them,
and the API never takes the session cookie instead."""

import hashlib
from datetime import timedelta

from sqlalchemy import select

from app.auth.token_models import ApiToken
from tests.api.helpers import bearer
from tests.factories import NOW, create_user
from tests.helpers import PASSWORD, csrf_token, login_as


def test_phone_and_password_buy_a_token_stored_only_as_its_hash(client, db):
    user = create_user(password=PASSWORD, phone="13911112222")

    response = client.post("/api/v1/auth/token",
                           json={"phone": "139 1111 2222", "password": PASSWORD})

    assert response.status_code == 201
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_at"] == "2026-12-31T09:00:00+08:00"
    secret = body["token"]
    assert secret.startswith("xq_") and len(secret) == 46
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.get_json() == {"id": user.id, "name": user.name, "phone": "139****2222",
                             "roles": ["resident"]}


def test_wrong_password_is_401_and_says_nothing_more(client, db):
    create_user(password=PASSWORD, phone="13911112223")

    wrong = client.post("/api/v1/auth/token", json={"phone": "13911112223", "password": "x"})
    nobody = client.post("/api/v1/auth/token", json={"phone": "13911119999", "password": "x"})

    assert wrong.status_code == nobody.status_code == 401
    assert wrong.get_json() == nobody.get_json()
    assert wrong.get_json()["error"]["code"] == "bad_credentials"


def test_token_requests_have_the_login_pages_rate_limit(client, db):
    statuses = [client.post("/api/v1/auth/token",
                            json={"phone": "13911110000", "password": "x"}).status_code
                for _ in range(11)]

    assert statuses == [401] * 10 + [429]
    limited = client.post("/api/v1/auth/token", json={"phone": "13911110000", "password": "x"})
    assert limited.get_json()["error"]["code"] == "rate_limited"


def test_no_or_bad_token_is_401(client, db):
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer xq_nope"}).status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_revoked_and_disabled_tokens_stop_working(client, db, app):
    user = create_user()
    headers = bearer(user, days=30)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    app.config["CLOCK"] = lambda: NOW + timedelta(days=31)
    assert client.get("/api/v1/me", headers=headers).status_code == 401

    app.config["CLOCK"] = lambda: NOW
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401

    other = bearer(user)
    user.is_enabled = False
    db.session.flush()
    assert client.get("/api/v1/me", headers=other).status_code == 401


def test_a_tokens_last_use_is_stamped_at_most_hourly(client, db, app):
    user = create_user()
    headers = bearer(user)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.last_used_dt is None

    def used_at(when):
        app.config["CLOCK"] = lambda: when
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        db.session.refresh(row)
        return row.last_used_dt

    assert used_at(NOW) == NOW
    assert used_at(NOW + timedelta(minutes=59)) == NOW
    assert used_at(NOW + timedelta(minutes=61)) == NOW + timedelta(minutes=61)


def test_session_cookie_alone_is_not_an_api_login(client, db):
    user = create_user()
    login_as(client, user)

    assert client.get("/account").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_account_page_makes_a_token_shown_once_and_revokes_it(client, db):
    user = create_user()
    login_as(client, user)
    page = client.get("/account/tokens")
    assert page.status_code == 200

    made = client.post("/account/tokens", data={"csrf_token": csrf_token(page.text),
                                                "name": "县医院 HIS", "days": "90"})

    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    secret = made.text.split('token-secret">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    again = client.get("/account/tokens")
    assert "县医院 HIS" in again.text and secret not in again.text

    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    revoked = client.post(f"/account/tokens/{token.id}/revoke",
                          data={"csrf_token": csrf_token(again.text)})
    assert revoked.status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_account_page_forms_need_csrf_and_another_accounts_token_is_404(client, db):
    owner, other = create_user(), create_user()
    bearer(owner)
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == owner.id))
    login_as(client, other)
    page = client.get("/account/tokens")

    assert client.post("/account/tokens", data={"name": "x", "days": "90"}).status_code == 400
    response = client.post(f"/account/tokens/{token.id}/revoke",
                           data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 404

"""Rate limits on logging in, registering and SMS codes, per address — and, with Redis,
shared by every worker process."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.auth import throttle
from app.extensions import limiter
from tests.factories import create_user
from tests.helpers import PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parents[2]


def test_eleventh_login_in_a_minute_gets_the_friendly_429(db, client):
    token = csrf_token(client.get("/login").text)
    statuses = [client.post("/login", data={"csrf_token": token, "phone": "1",
                                            "password": "x"}).status_code
                for _ in range(11)]

    assert statuses == [200] * 10 + [429]
    page = client.post("/login", data={"csrf_token": token, "phone": "1", "password": "x"})
    assert "操作太频繁，请稍等一分钟再试" in page.text
    assert client.get("/login").status_code == 200  # only attempts count


def test_sixth_code_request_in_a_minute_from_one_address_gets_429(db, client):
    token = csrf_token(client.get("/register").text)
    statuses = [client.post("/auth/sms-code", data={
        "csrf_token": token, "phone": f"1391234567{i}", "purpose": "register"}).status_code
        for i in range(6)]

    assert statuses == [302] * 5 + [429]


def test_limits_are_per_address(db, client):
    token = csrf_token(client.get("/login").text)
    for _ in range(10):
        client.post("/login", data={"csrf_token": token, "phone": "1", "password": "x"})

    elsewhere = client.post("/login", data={"csrf_token": token, "phone": "1", "password": "x"},
                            environ_base={"REMOTE_ADDR": "10.0.0.7"})

    assert elsewhere.status_code == 200


WORKER = """
import json, sys
from tests.conftest import make_app
app = make_app("sqlite://", RATELIMIT_STORAGE_URI=sys.argv[1], RATELIMIT_KEY_PREFIX=sys.argv[2],
               WTF_CSRF_ENABLED=False)
client = app.test_client()
print(json.dumps([client.post("/login", data={"phone": "1", "password": "x"}).status_code
                  for _ in range(int(sys.argv[3]))]))
"""


def _worker(redis_url: str, prefix: str, posts: int) -> list[int]:
    """One web worker: its own process, app and limiter, posting ``posts`` logins."""
    done = subprocess.run([sys.executable, "-c", WORKER, redis_url, prefix, str(posts)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_login_limit_holds_across_worker_processes_through_redis():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("XQ_REQUIRE_SERVICES") == "1":
            pytest.fail("XQ_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("REDIS_URL is not set: no shared rate-limit storage to test")
    prefix = f"xq-test-{uuid.uuid4().hex}"

    first = _worker(redis_url, prefix, 10)
    second = _worker(redis_url, prefix, 1)

    assert first == [200] * 10
    assert second == [429]


# --- review item 10: one limit for every way of logging in, and a limit per phone -----


def _login_page(client, phone: str, password: str, address: str = "127.0.0.1"):
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"csrf_token": token, "phone": phone,
                                       "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _token_api(client, phone: str, password: str, address: str = "127.0.0.1"):
    return client.post("/api/v1/auth/token", json={"phone": phone, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_review_10_the_login_page_and_the_token_api_share_one_limit_per_address(db, client):
    statuses = []
    for i in range(11):
        if i % 2:
            statuses.append(_token_api(client, "13900000001", "wrong", f"10.1.0.{i}").status_code)
        statuses.append(_login_page(client, "1", "x").status_code)  # a bad phone: not counted
    # Page attempts from 127.0.0.1 and API attempts from elsewhere are apart …
    assert statuses.count(429) == 1 and statuses[-1] == 429
    # … and the page's 11 from one address used up what the API gets from it too.
    assert _token_api(client, "13900000001", "wrong").status_code == 429


def test_review_10_ten_failures_in_an_hour_lock_the_phone_for_an_hour(db, client):
    create_user(phone="13900000001", password=PASSWORD)
    for i in range(10):  # from ten addresses: the per-address limit never bites
        assert _login_page(client, "13900000001", "wrong", f"10.2.0.{i}").status_code == 200

    page = _login_page(client, "13900000001", PASSWORD, "10.2.1.1")
    api = _token_api(client, "13900000001", PASSWORD, "10.2.1.2")

    locked = "这个手机号密码错误次数太多，请1小时后再试；忘记密码可以用短信验证码找回"
    assert locked in page.text and client.get("/account").status_code == 302
    assert (api.status_code, api.json["error"]["code"]) == (429, "login_locked")
    reset_at, _left = limiter.limiter.get_window_stats(
        throttle.LOCKED, *throttle._key("login-locked", "13900000001"))
    assert 3590 < reset_at - time.time() <= 3600
    # Another phone, and a phone without an account, are counted apart (and alike).
    assert _login_page(client, "13900000002", "wrong", "10.2.1.3").status_code == 200


def test_a_right_password_before_the_tenth_failure_starts_the_count_again(db, client):
    create_user(phone="13900000001", password=PASSWORD)
    for i in range(9):
        _login_page(client, "13900000001", "wrong", f"10.3.0.{i}")
    assert _login_page(client, "13900000001", PASSWORD, "10.3.1.0").status_code == 302

    for i in range(9):
        _token_api(client, "13900000001", "wrong", f"10.3.2.{i}")

    assert _token_api(client, "13900000001", PASSWORD, "10.3.3.0").status_code == 201


PHONE_WORKER = """
import json, sys
import flask_migrate
from tests.conftest import make_app
app = make_app("sqlite://", RATELIMIT_STORAGE_URI=sys.argv[1], RATELIMIT_KEY_PREFIX=sys.argv[2],
               WTF_CSRF_ENABLED=False)
with app.app_context():
    flask_migrate.upgrade()  # the password is checked: an empty database of its own
client = app.test_client()
print(json.dumps([client.post("/api/v1/auth/token", json={"phone": "13900000001",
                  "password": "wrong"}, environ_base={"REMOTE_ADDR": f"10.4.0.{i}"}).json
                  ["error"]["code"] for i in range(int(sys.argv[3]))]))
"""


def test_review_10_the_phone_lock_holds_across_worker_processes_through_redis():
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        if os.environ.get("XQ_REQUIRE_SERVICES") == "1":
            pytest.fail("XQ_REQUIRE_SERVICES=1 but REDIS_URL is not set")
        pytest.skip("REDIS_URL is not set: no shared rate-limit storage to test")
    prefix = f"xq-test-{uuid.uuid4().hex}"

    def worker(posts: int) -> list[str]:
        done = subprocess.run([sys.executable, "-c", PHONE_WORKER, redis_url, prefix,
                               str(posts)], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert worker(10) == ["bad_credentials"] * 10
    assert worker(1) == ["login_locked"]

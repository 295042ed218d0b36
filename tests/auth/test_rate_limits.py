"""Rate limits on logging in, registering and SMS codes, per address — and, with Redis,
shared by every worker process."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.helpers import csrf_token

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

"""The databases the wrk bench serves, and the residents signed in on them.

- ``booking``: the booking workload (bench.workload): 600 open clinics, 128 residents;
- ``demo`` at a scale: ``flask demo seed --scale N`` of the served checkout, as a
  person browsing the site would find it.

Residents are signed in before any timing (so Argon2 is not measured) through the real
``/login`` page (a session cookie) or ``POST /api/v1/auth/token`` (a Bearer token).
"""

import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bench.workload import DATA_KEY, SECRET_KEY, SITE_URL, bench_app

DEMO_PASSWORD = "xiangqing-demo"  # app.demo.seed's, for every demo account
DEMO_RESIDENT_PHONE = 13900000000  # + the resident's number, 1…1000
DEMO_ADMIN_PHONE = "13800000000"  # app.demo.seed.ADMIN_PHONE
LOGIN_THREADS = 8


def seed_demo(root: Path, url: str, scale: int) -> float:
    """Migrate ``url`` and run the checkout's own ``flask demo seed --scale``; seconds."""
    flask = str(Path(sys.executable).parent / "flask")
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "DATA_KEY": DATA_KEY,
           "SITE_URL": SITE_URL, "XQ_ENV": "production", "FLASK_APP": "wsgi:app"}
    started = time.monotonic()
    for argv in ([flask, "db", "upgrade"], [flask, "demo", "seed", "--scale", str(scale)]):
        done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[1:])} failed:\n{done.stderr[-2000:]}")
    return time.monotonic() - started


def upcoming_sessions(url: str, limit: int) -> tuple[list[int], int]:
    """Ids of the first ``limit`` published sessions from tomorrow on (the session pages
    the run reads, in turn), and how many sessions the database holds."""
    from sqlalchemy import func

    from app.core.time import utcnow
    from app.extensions import db
    from app.scheduling.models import Session, SessionStatus

    app = bench_app(url)
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Session))
        ids = db.session.scalars(
            select(Session.id).where(Session.status == SessionStatus.PUBLISHED,
                                     Session.start_dt > utcnow() + timedelta(days=1))
            .order_by(Session.start_dt, Session.id).limit(limit)).all()
        db.session.remove()
        db.engine.dispose()
    return list(ids), total


def demo_phones(n: int) -> list[str]:
    return [str(DEMO_RESIDENT_PHONE + number) for number in range(1, n + 1)]


def _request(port: int, method: str, path: str, *, body: str | None = None,
             headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, response.headers, text
    finally:
        conn.close()


def _cookies(into: dict[str, str], headers) -> None:
    for header in headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if value and "max-age=0" not in header.lower():
            into[name.strip()] = value
        else:
            into.pop(name.strip(), None)


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def form_field(html: str, name: str) -> str | None:
    """The value of the form input called ``name`` (as bench/wrk/lib.lua reads it)."""
    for tag in re.finditer(r"<input\s[^>]*>", html):
        if f'name="{name}"' in tag.group(0):
            value = re.search(r'\svalue="([^"]*)"', tag.group(0))
            return value.group(1) if value else None
    return None


def sign_in(port: int, phone: str, password: str) -> str:
    """Log in through /login as a browser; the Cookie header of the signed-in session
    (checked: /account answers 200 with it, not a redirect to /login)."""
    cookies: dict[str, str] = {}
    status, headers, page = _request(port, "GET", "/login")
    _cookies(cookies, headers)
    token = form_field(page, "csrf_token")
    if status != 200 or token is None:
        raise RuntimeError(f"GET /login answered {status} without a CSRF token")
    body = urllib.parse.urlencode({"csrf_token": token, "phone": phone, "password": password})
    status, headers, _page = _request(port, "POST", "/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(cookies)})
    _cookies(cookies, headers)
    if status != 302:
        raise RuntimeError(f"POST /login for {phone} answered {status}, not 302")
    status, _headers, _page = _request(port, "GET", "/account",
                                       headers={"Cookie": _cookie_header(cookies)})
    if status != 200:
        raise RuntimeError(f"signed in as {phone}, /account still answered {status}")
    return _cookie_header(cookies)


def api_token(port: int, phone: str, password: str) -> str:
    body = json.dumps({"phone": phone, "password": password})
    status, _headers, answer = _request(port, "POST", "/api/v1/auth/token", body=body, headers={
        "Content-Type": "application/json", "Accept": "application/json"})
    if status != 201:
        raise RuntimeError(f"POST /api/v1/auth/token for {phone} answered {status}")
    return json.loads(answer)["token"]


def sign_in_all(port: int, phones: list[str], password: str, *, api: bool = False) -> list[str]:
    """Cookie headers (or API tokens) for ``phones``, in order, a few logins at a time."""
    how = api_token if api else sign_in
    with ThreadPoolExecutor(LOGIN_THREADS) as pool:
        return list(pool.map(lambda phone: how(port, phone, password), phones))

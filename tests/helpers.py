"""What page tests share: CSRF tokens, logging in, SMS codes, registering.

CSRF is on in tests, as in production: a POST carries the token of a page fetched
first. Logging in starts a new session, so fetch a fresh token after ``login``.
"""

import re
import threading
from collections.abc import Callable

from flask_login.utils import _create_identifier
from sqlalchemy import select

from app.auth import login as sign_ins
from app.auth.login import SESSION_KEY
from app.extensions import db
from app.notifications.models import Channel, Message
from tests.factories import NOW, make_id_number

PASSWORD = "liling-2026-pass"
_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of any form on the page (they share the session's token)."""
    return _TOKEN.search(html).group(1)


def post_form(client, path: str, data: dict, *, page: str | None = None):
    """POST ``data`` to ``path`` with the token of ``page`` (default: ``path`` itself)."""
    token = csrf_token(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **data})


def login(client, phone: str, password: str = PASSWORD, *, next: str | None = None):
    """Log in through the login page; returns its response (302 on success)."""
    path = f"/login?next={next}" if next else "/login"
    token = csrf_token(client.get(path).text)
    data = {"csrf_token": token, "phone": phone, "password": password}
    if next:
        data["next"] = next
    return client.post("/login", data=data)


def login_as(client, user) -> None:
    """Be logged in as ``user`` without the login page (no password, no hashing): a
    session record as the login page makes (commits what the test made so far)."""
    db.session.commit()
    secret = sign_ins.start(user.id, now=NOW)
    db.session.commit()
    # Flask-Login's "strong" protection ties a session to the browser's address and agent.
    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session[SESSION_KEY] = secret
        session["_fresh"] = True
        session["_id"] = identifier


def sent_code(phone: str) -> str | None:
    """The code in the newest verification SMS queued for ``phone``."""
    body = db.session.scalar(
        select(Message.body)
        .where(Message.channel == Channel.SMS, Message.kind == "verification_code",
               Message.recipient == phone)
        .order_by(Message.id.desc()).limit(1)
    )
    return re.search(r"\d{6}", body).group(0) if body else None


def request_code(client, phone: str, purpose: str = "register"):
    """Ask for an SMS code from the register (or reset-password) page; returns the response."""
    page = "/register?change=1" if purpose == "register" else "/reset-password?change=1"
    return post_form(client, "/auth/sms-code", {"phone": phone, "purpose": purpose}, page=page)


def register(client, phone: str, *, name: str = "李秀英", id_number: str | None = None,
             password: str = PASSWORD, code: str | None = None):
    """Register through the pages: ask for a code, then fill in step 2. Returns the
    response of step 2 (302 home, or to the page registering was for; the client is then
    logged in)."""
    request_code(client, phone)
    return post_form(client, "/register", {
        "code": code or sent_code(phone), "name": name,
        "id_number": id_number or make_id_number(), "password": password,
        "confirm": password,
    })


def at_once(calls: list[Callable[[], object]], *, timeout_s: float = 120) -> list:
    """Run each call in a thread of its own, all released together by a barrier; their
    results in order. An exception is returned as the result (a thread cannot fail the
    test), for the caller to assert on."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=timeout_s)
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout_s)
    return results

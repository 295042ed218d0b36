"""Guesses at one account's password, counted per phone number.

The login page and the API's token endpoint share one limit per address (the views'
``LOGIN_LIMIT``), but an address is cheap to change. So every failed password for a
phone number is counted too, whichever address it came from: after
``FAILURES_BEFORE_LOCK`` in an hour the number waits an hour, right password or not.
Numbers without an account are counted alike, so the lock tells nobody which numbers
have one. Counts live in the rate limiter's storage (Redis when ``REDIS_URL`` is set),
so they hold across every web worker; a login with the right password clears them.
Every way of logging in (password, and SMS codes later) goes through ``check`` and
``note_failure``.
"""

from flask import current_app
from flask_babel import gettext as _
from limits import parse

from app.core.errors import DomainError
from app.extensions import limiter

FAILURES_BEFORE_LOCK = 10
FAILURES = parse(f"{FAILURES_BEFORE_LOCK} per hour")
LOCKED = parse("1 per hour")  # one hit holds it for the hour


class LoginLocked(DomainError):
    code = "login_locked"
    status = 429


def _key(kind: str, phone: str) -> tuple[str, ...]:
    return current_app.config["RATELIMIT_KEY_PREFIX"], kind, phone


def check(phone: str) -> None:
    """Refuse any login for ``phone`` while it waits after too many failures."""
    if limiter.enabled and not limiter.limiter.test(LOCKED, *_key("login-locked", phone)):
        raise LoginLocked(_("这个手机号密码错误次数太多，请1小时后再试；"
                            "忘记密码可以用短信验证码找回"))


def note_failure(phone: str) -> None:
    """Count a failed login; the ``FAILURES_BEFORE_LOCK``-th in an hour locks it."""
    if not limiter.enabled:
        return
    failures = _key("login-failures", phone)
    limiter.limiter.hit(FAILURES, *failures)
    if not limiter.limiter.test(FAILURES, *failures):
        limiter.limiter.hit(LOCKED, *_key("login-locked", phone))


def note_success(phone: str) -> None:
    if limiter.enabled:
        limiter.limiter.clear(FAILURES, *_key("login-failures", phone))

"""The site in a real browser: Debian's Chromium driven by Playwright, on a phone's
screen (390×844 CSS pixels, zh-CN), against the tier's database served over HTTP.

``make test`` installs Chromium and the Chinese font when they are missing (the
Makefile's ``browser`` target); the tests never skip: without the browser they fail and
say how to install it. Screenshots of each step go to ``test-artifacts/`` (git-ignored).
"""

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import NOW

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture(scope="session")
def playwright():
    """Playwright's driver, once for the run (its sync API allows one at a time)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs it (as root: "
                    "apt-get install -y chromium fonts-wqy-microhei)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def chromium(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def site(app, db):
    """The app served over HTTP from a thread for this test, on the test's fresh
    database, with the clock pinned to ``factories.NOW``; its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    server_name = app.config.get("SERVER_NAME")
    app.config.update(CLOCK=lambda: NOW, SERVER_NAME=f"127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        thread.join()
        app.config.pop("CLOCK", None)
        app.config["SERVER_NAME"] = server_name


@pytest.fixture
def phone(chromium, request):
    """A fresh phone-sized page (its own cookies); ``shot(name)`` saves a screenshot
    under test-artifacts/<test name>/."""
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    count = iter(range(1, 100))

    def shot(name: str) -> None:
        page.screenshot(path=folder / f"{next(count):02d}-{name}.png", full_page=True)

    page.shot = shot
    try:
        yield page
    finally:
        context.close()


def sign_in(phone, site: str, user, next_path: str) -> None:
    """Log ``user`` in on the login page (password ``tests.helpers.PASSWORD``) and wait
    until the site lands on ``next_path``."""
    from tests.helpers import PASSWORD

    phone.goto(f"{site}/login?next={next_path}")
    phone.fill("input[name=phone]", user.phone)
    phone.fill("input[name=password]", PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{site}{next_path}")

"""axe-core (through axe-playwright-python) finds no serious or critical violation on
the pages residents and the front desk use, and each stays ≤ 60 KB transferred with no
request to another host (issue #16)."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import sign_in
from tests.factories import (
    NOW,
    TODAY,
    book_slot,
    create_coordinator,
    create_patient,
    create_session,
    create_user,
)
from tests.helpers import PASSWORD

MAX_BYTES = 60 * 1024


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _load(page, url: str) -> tuple[int, set[str]]:
    """Bytes transferred for ``url`` and what it loads, and the hosts it asked."""
    sizes, hosts = [], set()

    def on_response(response):
        hosts.add(urlsplit(response.url).netloc)
        body = response.body() if response.status < 300 else b""
        sizes.append(len(body) + sum(len(k) + len(v) for k, v in response.headers.items()))

    page.on("response", on_response)
    try:
        page.goto(url, wait_until="load")
    finally:
        page.remove_listener("response", on_response)
    return sum(sizes), hosts


@pytest.fixture
def pages(db):
    resident = create_patient(account=create_user(password=PASSWORD))
    session = create_session(day=TODAY + timedelta(days=2), slots=4)
    db.session.commit()
    booking = book_slot(session.slots[0].id, resident, by=resident.account, now=NOW)
    db.session.commit()
    return resident, session, booking


def test_resident_pages_have_no_serious_violations_and_stay_light(db, site, phone, pages):
    resident, session, booking = pages
    sign_in(phone, site, resident.account, "/")
    problems = {}
    for path in ("/", f"/?township={session.venue.township_id}", "/schedule",
                 f"/sessions/{session.id}",
                 f"/slots/{session.slots[1].id}/book", "/bookings",
                 f"/bookings/{booking.id}", f"/bookings/{booking.id}/cancel", "/inbox"):
        size, hosts = _load(phone, f"{site}{path}")
        assert hosts == {urlsplit(site).netloc}, (path, hosts)
        assert size <= MAX_BYTES, (path, size)
        phone.shot(path.strip("/").replace("/", "-").replace("?", "-") or "home")
        if found := _serious(phone):
            problems[path] = found
    assert problems == {}


def test_the_desk_page_has_no_serious_violations_and_stays_light(db, site, phone, pages):
    _resident, session, _booking = pages
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    path = f"/console/sessions/{session.id}"
    sign_in(phone, site, coordinator, path)
    size, hosts = _load(phone, f"{site}{path}")
    assert hosts == {urlsplit(site).netloc} and size <= MAX_BYTES, (hosts, size)
    assert _serious(phone) == []

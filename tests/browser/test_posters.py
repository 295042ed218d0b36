"""Issue #18, item 4: the poster of the demo's busiest venue-week prints as exactly one
A4 page in Chromium's PDF output, within the site's CSP, and its QR code reads back as
the venue's address."""

import io
import re
from collections import Counter

import zxingcpp
from PIL import Image
from sqlalchemy import select

from app.core.time import to_local
from app.demo.seed import seed
from app.scheduling.models import Session, SessionStatus
from tests.browser.conftest import ARTIFACTS
from tests.factories import TODAY


def test_the_busiest_venue_week_prints_on_one_a4_page_with_a_readable_qr(
        app, db, site, chromium):
    seed(scale=1, today=TODAY, states=False, echo=lambda *a, **k: None)
    weeks = Counter(
        (venue_id, "{}-W{:02d}".format(*to_local(start).isocalendar()[:2]))
        for venue_id, start in db.session.execute(
            select(Session.venue_id, Session.start_dt)
            .where(Session.status == SessionStatus.PUBLISHED)))
    (venue_id, week), count = weeks.most_common(1)[0]
    assert count > 7  # more than a poster holds: "更多场次请扫码" shows

    page = chromium.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(f"{site}/venues/{venue_id}/poster?week={week}")
    assert response.status == 200
    assert "更多场次请扫码" in page.inner_text("body")

    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1

    page.set_viewport_size({"width": 900, "height": 1300})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "poster.png", full_page=True)
    shot = page.locator("img.qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
    assert [b.text for b in found] == [
        f"{app.config['SITE_URL'].rstrip('/')}/venues/{venue_id}"]
    assert violations == []
    page.close()


def test_the_poster_pages_answer(app, db, client):
    from tests.factories import create_session

    session = create_session()
    db.session.commit()
    venue, township = session.venue, session.venue.township
    assert client.get(f"/venues/{venue.id}/poster?week=2026-W49").status_code == 200
    assert client.get(f"/townships/{township.id}/poster?week=bad").status_code == 200
    assert client.get("/venues/99999/poster").status_code == 404
    text = client.get(f"/townships/{township.id}/poster?week=2026-W49").text
    assert venue.name in text and "data:image/svg+xml" in text

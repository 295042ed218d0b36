"""Issue #18, item 3: the statistics page's charts show in Chromium under the site's CSP
(SVG images drawn by the site, nothing inline, nothing from another host)."""

from tests.admin.test_statistics import FIRST, LAST, world  # noqa: F401 (a fixture)
from tests.browser.conftest import sign_in
from tests.factories import create_admin
from tests.helpers import PASSWORD


def test_the_charts_show_under_the_csp(db, site, phone, world):  # noqa: F811
    admin = create_admin(password=PASSWORD)
    db.session.commit()
    violations = []
    phone.on("console", lambda m: violations.append(m.text)
             if "Content Security Policy" in m.text else None)
    path = f"/admin/statistics?start={FIRST.isoformat()}&end={LAST.isoformat()}"

    sign_in(phone, site, admin, "/admin/statistics")
    phone.goto(site + path)
    phone.shot("statistics")

    images = phone.locator("figure.chart img")
    assert images.count() == 3
    for i in range(3):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    assert violations == []

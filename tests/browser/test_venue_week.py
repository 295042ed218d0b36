"""A venue's week on a coordinator's phone opens at today's column (the days that can
still take a ＋, 发布 or 停诊), with the row labels kept in view; earlier days are a
swipe away."""

from tests.browser.conftest import sign_in
from tests.factories import create_coordinator, create_session
from tests.helpers import PASSWORD


def test_the_week_opens_at_today_on_a_phone(db, site, phone):
    session = create_session()  # today (Tuesday 1 December), so the week has a today
    coordinator = create_coordinator(session.venue, password=PASSWORD)
    db.session.commit()
    path = f"/console/venues/{session.venue_id}/week"

    sign_in(phone, site, coordinator, path)
    phone.shot("week")

    assert phone.get_by_text("左右滑动，看这一周的其他日子。").is_visible()
    label = phone.locator("table.week tbody th[scope=row]").first.bounding_box()
    today = phone.locator("table.week thead th.today").bounding_box()
    assert phone.evaluate("document.querySelector('.week-wrap').scrollLeft") > 0
    assert abs(today["x"] - (label["x"] + label["width"])) <= 2  # right after the labels

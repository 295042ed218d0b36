"""Issue #16, item 4: on a phone the header is one row and a tab bar at the bottom
holds 首页 · 预约 · 消息 · 我的, as the booking apps have — for visitors, residents and
in English."""

import re

import pytest

from tests.browser.conftest import sign_in
from tests.factories import create_patient, create_user
from tests.helpers import PASSWORD

ONE_ROW = 80  # CSS pixels: the name and one 48-pixel button, with padding


def _header_and_tabs(phone) -> tuple[float, list[str], list[dict]]:
    header = phone.locator("header.site-header").bounding_box()
    tabs = phone.locator("nav.tab-bar a")
    return header["height"], tabs.all_inner_texts(), [t.bounding_box() for t in tabs.all()]


@pytest.mark.parametrize("who", ["visitor", "resident", "english"])
def test_one_row_header_and_a_tab_bar(db, site, phone, who):
    if who != "visitor":
        resident = create_patient(account=create_user(password=PASSWORD))
        db.session.commit()
        sign_in(phone, site, resident.account, "/")
    if who == "english":
        phone.get_by_role("button", name="English").click()
        phone.wait_for_load_state()
    phone.goto(f"{site}/schedule")
    phone.shot(who)

    height, labels, boxes = _header_and_tabs(phone)
    assert height <= ONE_ROW
    assert labels == (["Home", "Book", "Messages", "Me"] if who == "english"
                      else ["首页", "预约", "消息", "我的"])
    viewport = phone.viewport_size
    for box in boxes:  # big targets, on the bottom edge of the screen
        assert box["height"] >= 48 and box["width"] >= 80
        assert abs(box["y"] + box["height"] - viewport["height"]) <= 2
    current = phone.locator('nav.tab-bar a[aria-current="page"]')
    assert current.inner_text() == ("Book" if who == "english" else "预约")
    # The tab bar covers nothing: the page's end scrolls above it.
    phone.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = phone.locator("footer.site-footer").bounding_box()
    assert footer["y"] + footer["height"] <= boxes[0]["y"] + 1


def test_messages_and_me_take_a_visitor_to_log_in_first(db, site, phone):
    phone.goto(f"{site}/")
    phone.locator("nav.tab-bar").get_by_role("link", name="消息").click()
    phone.wait_for_url(f"{site}/login?next=/inbox")


def test_me_holds_my_bookings_and_logging_out(db, site, phone):
    resident = create_patient(account=create_user(password=PASSWORD))
    db.session.commit()
    sign_in(phone, site, resident.account, "/")
    phone.locator("nav.tab-bar").get_by_role("link", name="我的").click()
    phone.wait_for_url(f"{site}/account")
    assert phone.title() == "我的账号 · 乡情专家行"
    assert phone.locator("main").get_by_role("link", name="我的预约").is_visible()
    phone.locator("main").get_by_role("button", name="退出登录").click()
    phone.locator("nav.tab-bar").get_by_role("link", name="我的").click()
    phone.wait_for_url(re.compile(r"/login"))

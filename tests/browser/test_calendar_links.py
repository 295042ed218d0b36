"""Issue #16, item 10: calendar links that work on a phone — the private feed page
copies its address with one tap, its subscribe link is webcal:// on the site's host and
the https form answers text/calendar."""

from urllib.parse import urlsplit

from tests.browser.conftest import sign_in
from tests.factories import create_patient, create_user
from tests.helpers import PASSWORD


def test_the_private_feed_page_copies_its_address(app, db, site, phone, monkeypatch):
    resident = create_patient(account=create_user(password=PASSWORD))
    db.session.commit()
    monkeypatch.setitem(app.config, "SITE_URL", site)  # the address the links are made for
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(phone, site, resident.account, "/calendar")

    phone.get_by_role("button", name="生成我的日历链接").click()
    private = phone.locator("section.card").first
    address = private.locator("input.copy").input_value()
    assert urlsplit(address).path.startswith("/calendar/me/")
    subscribe = private.get_by_role("link", name="添加到手机日历").get_attribute("href")
    assert subscribe == "webcal://" + address.split("://", 1)[1]

    private.get_by_role("button", name="复制地址").click()
    private.get_by_role("button", name="已复制").wait_for()
    phone.shot("copied")
    assert phone.evaluate("navigator.clipboard.readText()") == address

    answer = phone.request.get(address)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in answer.text()

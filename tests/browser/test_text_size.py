"""Issue #16, item 9 (first part): text is sized in rem from the browser's own default,
so a phone set to large text enlarges the site too (the root was fixed at 20 px)."""

import json

import pytest

from app.auth.care import CARE_COOKIE
from tests.browser.conftest import CHROMIUM, PHONE


def _body_font_px(page) -> float:
    return float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))


@pytest.mark.parametrize(("care", "default_px", "body_px"),
                         [(False, 16, 20), (False, 32, 40), (True, 16, 24), (True, 32, 48)])
def test_the_body_grows_with_the_browsers_default_font_size(db, site, playwright, tmp_path,
                                                           care, default_px, body_px):
    """Standard: 20 px at the default 16 px; 关怀版 (item 9): 24 px, both in rem."""
    # The browser's default font size is a profile preference (chrome://settings/fonts).
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(
        {"webkit": {"webprefs": {"default_font_size": default_px}}}))
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, **PHONE)
    try:
        if care:
            context.add_cookies([{"name": CARE_COOKIE, "value": "1", "url": site}])
        page = context.new_page()
        page.goto(f"{site}/")
        assert _body_font_px(page) == body_px
        assert page.evaluate("document.documentElement.classList.contains('care')") is care
    finally:
        context.close()


@pytest.mark.parametrize("care", [False, True])
def test_at_200_percent_zoom_nothing_is_cut_off_and_the_header_stays_small(db, site, chromium,
                                                                          care):
    """195×422 CSS pixels: a 390×844 phone zoomed to 200 %, standard and 关怀版."""
    from tests.factories import create_session

    session = create_session()
    db.session.commit()
    context = chromium.new_context(**{**PHONE, "viewport": {"width": 195, "height": 422}})
    try:
        if care:
            context.add_cookies([{"name": CARE_COOKIE, "value": "1", "url": site}])
        page = context.new_page()
        for path in ("/", "/schedule", f"/sessions/{session.id}", "/experts", "/venues",
                     "/login", "/register", "/calendar"):
            page.goto(f"{site}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 195, path
            assert page.locator("header.site-header").bounding_box()["height"] < 422 / 4, path
    finally:
        context.close()

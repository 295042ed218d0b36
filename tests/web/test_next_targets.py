"""Issue #14, item 7: a ``next`` given by the browser is followed only to a plain path on
this site; anything else is ignored (the page's default), never a 500 or a header."""

import re

from tests.factories import create_user
from tests.helpers import csrf_token, login_as

CRLF_NEXT = "/\r\nSet-Cookie:x=1"

UNSAFE = [
    "//evil.example",
    "https://evil",
    "javascript:alert(1)",
    "/\\evil",
    "\t/x",
    "/\t/evil.example",  # browsers drop the tab: //evil.example
    "/\n/evil.example",
    "/x y",
    "/x\u200by",  # zero-width space
    CRLF_NEXT,
    "/%0d%0aSet-Cookie:x=1",
    "/%0D%0ASet-Cookie:x=1",
    "/%09/evil.example",
    "/%2F/evil.example",
    "/%5Cevil",
    "/" + "a" * 5000,
    "bookings",
    "",
]
KEPT = ["/bookings?x=1", "/schedule?kind=clinic&township=3"]


def _switch_language(client, target: str):
    token = csrf_token(client.get("/").text)
    return client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})


def _set_cookies(response) -> list[str]:
    return [value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie")]


def test_review_7_signed_in_login_with_a_crlf_next_goes_home(db, client):
    login_as(client, create_user())

    response = client.get("/login?next=/%0D%0ASet-Cookie:x=1")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "x" not in _set_cookies(response)


def test_review_7_language_switch_with_a_crlf_next_goes_home(db, client):
    response = _switch_language(client, CRLF_NEXT)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _set_cookies(response) == ["lang"]


def test_review_7_the_login_page_ignores_an_unsafe_next_and_keeps_a_local_path(db, client):
    login_as(client, create_user())

    followed = {target: client.get("/login", query_string={"next": target}).headers["Location"]
                for target in [*UNSAFE, *KEPT]}

    assert followed == {**dict.fromkeys(UNSAFE, "/"), **{t: t for t in KEPT}}


def test_review_7_the_language_switch_ignores_an_unsafe_next_and_keeps_a_local_path(db, client):
    followed = {target: _switch_language(client, target).headers["Location"]
                for target in [*UNSAFE, *KEPT]}

    assert followed == {**dict.fromkeys(UNSAFE, "/"), **{t: t for t in KEPT}}


def test_review_7_the_login_page_keeps_no_unsafe_next_in_its_form(db, client):
    html = client.get("/login", query_string={"next": "//evil.example"}).text

    assert re.findall(r'<input id="next" name="next" type="hidden" value="([^"]*)">', html) == [""]
    assert "请先登录，登录后回到刚才的页面。" not in html

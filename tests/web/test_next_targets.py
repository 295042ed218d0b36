"""Issue #14, item 7: a ``next`` given by the browser is followed only to a plain path on
this site; anything else is ignored (the page's default), never a 500 or a header."""

import re

import pytest

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


def _signed_in_login(client, target: str):
    login_as(client, create_user())
    return client.get("/login", query_string={"next": target})


def _switch_language(client, target: str):
    token = csrf_token(client.get("/").text)
    return client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})


def _set_cookies(response) -> list[str]:
    return [value.split("=", 1)[0] for value in response.headers.getlist("Set-Cookie")]


def test_review_7_signed_in_login_with_a_crlf_next_goes_to_the_account(db, client):
    login_as(client, create_user())

    response = client.get("/login?next=/%0D%0ASet-Cookie:x=1")

    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    assert "x" not in _set_cookies(response)


def test_review_7_language_switch_with_a_crlf_next_goes_home(db, client):
    response = _switch_language(client, CRLF_NEXT)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _set_cookies(response) == ["lang"]


@pytest.mark.parametrize("target", UNSAFE)
def test_review_7_unsafe_next_is_ignored_by_the_login_page(db, client, target):
    response = _signed_in_login(client, target)

    assert (response.status_code, response.headers["Location"]) == (302, "/account")


@pytest.mark.parametrize("target", UNSAFE)
def test_review_7_unsafe_next_is_ignored_by_the_language_switch(db, client, target):
    response = _switch_language(client, target)

    assert (response.status_code, response.headers["Location"]) == (302, "/")


@pytest.mark.parametrize("target", ["/bookings?x=1", "/schedule?kind=clinic&township=3"])
def test_review_7_a_path_on_this_site_is_kept(db, client, target):
    assert _signed_in_login(client, target).headers["Location"] == target
    assert _switch_language(client, target).headers["Location"] == target


def test_review_7_the_login_page_keeps_no_unsafe_next_in_its_form(db, client):
    html = client.get("/login", query_string={"next": "//evil.example"}).text

    assert re.findall(r'<input id="next" name="next" type="hidden" value="([^"]*)">', html) == [""]
    assert "请先登录，登录后回到刚才的页面。" not in html

import logging
import re

import pytest

from app import create_app
from app.config import ConfigError


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _production(monkeypatch) -> None:
    """The environment of a production site: its keys and its address."""
    monkeypatch.setenv("XQ_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATA_KEY", "d" * 40)
    monkeypatch.setenv("SITE_URL", "https://xq.example.cn")


def test_app_refuses_production_without_a_real_secret_key(monkeypatch):
    _production(monkeypatch)
    monkeypatch.delenv("SECRET_KEY")

    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "short"})


def test_app_starts_in_production_with_a_real_secret_key(monkeypatch):
    _production(monkeypatch)

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("data_key", [None, "", "too-short-for-a-key"])
def test_review_4_production_refuses_to_start_without_a_data_key(monkeypatch, data_key):
    _production(monkeypatch)
    if data_key is None:
        monkeypatch.delenv("DATA_KEY")
    else:
        monkeypatch.setenv("DATA_KEY", data_key)

    with pytest.raises(ConfigError, match="set DATA_KEY to that value"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_review_4_production_reads_data_key_from_the_environment(monkeypatch):
    _production(monkeypatch)

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert (app.config["SECRET_KEY"], app.config.get("DATA_KEY")) == ("x" * 40, "d" * 40)


@pytest.mark.parametrize("site_url", [None, "", "xq.example.cn", "ftp://xq.example.cn",
                                      "https://", "https://xq.example.cn/?next=1"])
def test_review_6_production_refuses_to_start_without_a_site_url(monkeypatch, site_url):
    _production(monkeypatch)
    if site_url is None:
        monkeypatch.delenv("SITE_URL")
    else:
        monkeypatch.setenv("SITE_URL", site_url)

    with pytest.raises(ConfigError, match="SITE_URL must be set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_review_6_development_links_a_fixed_address_without_site_url(monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr("logging.basicConfig", lambda **kw: None)  # development's log setup

    development = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert development.config["SITE_URL"] == "http://127.0.0.1:5000"


def test_production_warns_when_messages_would_only_reach_the_log(monkeypatch, caplog):
    _production(monkeypatch)

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "SMTP_URL is not set" in caplog.text and "SMS_DRIVER is 'log'" in caplog.text

    caplog.clear()
    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SMTP_URL": "smtp://mail:25",
                "SMS_DRIVER": "http", "SMS_GATEWAY_URL": "https://sms.example.cn/send"})
    assert caplog.text == ""


def test_every_page_sends_security_headers(db, client):
    response = client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script_or_style_and_nothing_from_elsewhere(db, client):
    html = client.get("/schedule").text

    assert "<script" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []


def test_language_switch_needs_a_csrf_token(db, client):
    response = client.post("/lang", data={"lang": "en", "next": "/"})

    assert response.status_code == 400
    # The site's own page, not the API's JSON (flask-smorest answers every HTTP error
    # of the application in JSON unless the pages' handler is registered after it).
    assert response.mimetype == "text/html" and "页面可能已过期" in response.text
    assert "lang" not in response.headers.get("Set-Cookie", "")


def test_language_switch_to_english_and_back(db, client):
    token = _csrf(client.get("/").text)

    response = client.post("/lang", data={"lang": "en", "next": "/schedule?kind=clinic",
                                          "csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"] == "/schedule?kind=clinic"
    english = client.get("/schedule").text
    assert '<html lang="en">' in english
    assert "Schedule" in english
    client.post("/lang", data={"lang": "zh_Hans_CN", "next": "/", "csrf_token": token})
    assert "排班查询" in client.get("/schedule").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil", "x"])
def test_language_switch_never_redirects_off_site(db, client, target):
    token = _csrf(client.get("/").text)

    response = client.post("/lang", data={"lang": "en", "next": target, "csrf_token": token})

    assert response.headers["Location"] == "/"


def test_state_changes_by_post_only(db, client):
    assert client.get("/lang?lang=en").status_code == 405


def test_unknown_page_is_a_chinese_404(db, client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert "找不到这个页面" in response.text


def test_https_behind_a_trusted_proxy_gets_hsts(monkeypatch):
    _production(monkeypatch)
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})

    response = app.test_client().get("/no-such-page", headers={"X-Forwarded-Proto": "https"})
    plain = app.test_client().get("/no-such-page")

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in plain.headers


def test_an_oversized_upload_is_a_clear_413_not_a_500(db, client):
    response = client.post("/lang", data={"lang": "en", "blob": "x" * (7 * 1024 * 1024)})

    assert response.status_code == 413
    assert "上传的文件太大" in response.text


def test_development_shows_what_the_log_drivers_send(monkeypatch):
    configured = []
    monkeypatch.setattr("logging.basicConfig", lambda **kw: configured.append(kw))

    create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": "sqlite://"})

    assert [kw["level"] for kw in configured] == [logging.INFO]


@pytest.mark.parametrize("body", [
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 1_000 + "1" + "}" * 1_000,
    "[1]", '"x"', "null",
    '{"phone": "13900000001", "password": "x"}',
])
@pytest.mark.parametrize("path", ["/login", "/lang"])
def test_review_8_a_page_refuses_a_json_body(db, client, caplog, path, body):
    """Issue #14, item 8: Flask-WTF would read a JSON body as the form's data, and a
    JSON that is not an object, or nested too deep, broke it (500)."""
    token = _csrf(client.get("/login").text)

    response = client.post(path, data=body, content_type="application/json",
                           headers={"X-CSRFToken": token})

    assert response.status_code == 415
    assert "请求格式不正确" in response.text
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

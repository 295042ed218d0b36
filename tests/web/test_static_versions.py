"""Static files' URLs carry a digest of their content, so nginx may let browsers keep
them a year (deploy/nginx) and a release that changes a file changes its URL."""

import re

from flask import url_for


def test_static_urls_carry_the_content_digest_and_follow_a_change(app, tmp_path):
    page = app.test_client().get("/login").text
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page)
    assert css, "the stylesheet's URL has its digest"
    assert app.test_client().get(css.group(1)).status_code == 200

    folder = app.static_folder
    app.static_folder = str(tmp_path)
    try:
        (tmp_path / "a.js").write_text("one")
        with app.test_request_context():
            first = url_for("static", filename="a.js")
            (tmp_path / "a.js").write_text("two, longer")
            second = url_for("static", filename="a.js")
            missing = url_for("static", filename="nowhere.js")
    finally:
        app.static_folder = folder

    assert first != second and first.startswith("/static/a.js?v=")
    assert missing == "/static/nowhere.js"

"""Chinese first: the locale is Chinese unless the visitor chose English."""

from flask import current_app, has_request_context, request

LANG_COOKIE = "lang"


def select_locale() -> str:
    # Jobs and the CLI (no request) speak the default language.
    chosen = request.cookies.get(LANG_COOKIE) if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]

LANGUAGE_NAMES = {"zh_Hans_CN": "中文", "en": "English"}

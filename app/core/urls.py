"""Absolute addresses on the site's public address (SITE_URL): links are never built
from the request's Host."""

from flask import current_app


def site_url(path: str = "") -> str:
    """``path`` on the site's address (the address itself when empty)."""
    return current_app.config["SITE_URL"].rstrip("/") + path

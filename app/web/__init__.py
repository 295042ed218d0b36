"""What every page shares: locale, formatting, security headers, errors, home and health."""

from flask import Flask

from app.web import formatting, security
from app.web.views import bp


def init_web(app: Flask) -> None:
    app.register_blueprint(bp)
    formatting.init_app(app)
    security.init_app(app)

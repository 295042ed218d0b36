"""Xiangqing (乡情专家行): the application factory."""

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as settings
from app.core.coerce import IdConverter
from app.core.time import set_local_zone
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(settings.INSTANCE_DIR.parent / "migrations")


def create_app(config: dict | None = None) -> Flask:
    """Build the site. ``config`` overrides what the environment says (tests use it)."""
    app = Flask(__name__, instance_path=str(settings.INSTANCE_DIR))
    # Every route's <int:…> stops at the largest id (before any route is added).
    app.url_map.converters["int"] = IdConverter
    register_config(app, config)
    register_models()
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def register_config(app: Flask, config: dict | None) -> None:
    app.config.from_mapping(settings.from_env(name=(config or {}).get("ENV_NAME")))
    if config:
        app.config.from_mapping(config)
    settings.check(app.config)
    if app.config["ENV_NAME"] == "development":
        _log_to_terminal()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A SQLite connection is a file handle no server can drop: nothing to ping.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    set_local_zone(app.config["TIMEZONE"])
    if proxies := app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def _log_to_terminal() -> None:
    """Development (``make run``): INFO lines go to the terminal — among them the SMS
    and e-mails the log drivers write, verification codes included, which the web
    process sends right after its requests. As the scheduler process does; a process
    that configured logging already keeps its own."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


def register_models() -> None:
    """Import every model module so the metadata (and so migrations) see all tables."""
    import app.api.models  # noqa: F401
    import app.auth.models  # noqa: F401
    import app.auth.token_models  # noqa: F401
    import app.bookings.models  # noqa: F401
    import app.calendar.models  # noqa: F401
    import app.core.models  # noqa: F401
    import app.directory.models  # noqa: F401
    import app.notifications.models  # noqa: F401
    import app.patients.models  # noqa: F401
    import app.scheduling.models  # noqa: F401


def register_extensions(app: Flask) -> None:
    from app.core import fragments
    from app.core.db import configure_engine
    from app.web.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    limiter.init_app(app)
    fragments.init_app(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts.inbox_views import bp as inbox_bp
    from app.accounts.token_views import bp as tokens_bp
    from app.accounts.views import bp as accounts_bp
    from app.admin.directory_views import bp as directory_admin_bp
    from app.admin.views import bp as admin_bp
    from app.api import init_api
    from app.auth.login import init_login
    from app.bookings.views import bp as bookings_bp
    from app.calendar.feeds import register_attachments
    from app.calendar.views import bp as calendar_bp
    from app.console import (  # noqa: F401  (routes join the bp)
        delivery_views,
        import_views,
        proposal_views,
        referral_views,
        series_views,
    )
    from app.console.views import bp as console_bp
    from app.patients.views import bp as patients_bp
    from app.scheduling.views import bp as scheduling_bp
    from app.web import init_web, register_error_pages

    init_web(app)
    init_login(app)
    register_attachments()  # e-mails carry a booking's .ics (app.notifications.attachments)
    app.register_blueprint(scheduling_bp)
    app.register_blueprint(bookings_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(patients_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(directory_admin_bp)
    init_api(app)
    register_error_pages(app)  # after the API's: see app.web.register_error_pages


def register_cli(app: Flask) -> None:
    from app.admin.cli import directory_cli, users_cli
    from app.calendar.cli import import_cli
    from app.core.backup import backup_command
    from app.demo.cli import demo_cli
    from app.notifications.cli import notifications_cli
    from app.scheduler import scheduler_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(directory_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(notifications_cli)
    # `flask db backup` beside Flask-Migrate's commands (its `db` group, a click Group).
    app.cli.commands["db"].add_command(backup_command)

"""Settings from the environment. ``XQ_ENV`` picks development or production."""

import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET_KEY = "dev-only-not-secret"
RELAXED_ENVS = {"development"}
# Where links point when SITE_URL is not set (development only): a fixed address,
# never the request's Host header, which any client can forge.
DEFAULT_SITE_URLS = {"development": "http://127.0.0.1:5000"}

log = logging.getLogger(__name__)


class ConfigError(RuntimeError):
    pass


def from_env(env: dict[str, str] | None = None, *, name: str | None = None) -> dict:
    """Build the Flask config from environment variables (``os.environ`` by default).

    ``name`` overrides ``XQ_ENV`` (tests pass it so that derived settings follow)."""
    env = os.environ if env is None else env
    name = name or env.get("XQ_ENV", "production")
    secure = name not in RELAXED_ENVS
    secret_key = env.get("SECRET_KEY", DEV_SECRET_KEY if not secure else "")
    config = {
        "ENV_NAME": name,
        # Signs sessions and CSRF tokens: rotating it logs everyone out, nothing more.
        "SECRET_KEY": secret_key,
        # Encrypts and hashes ID numbers and signs private feed links, which outlive any
        # session: it never changes. Development falls back to SECRET_KEY,
        # the key their existing data was written with before DATA_KEY was read.
        "DATA_KEY": env.get("DATA_KEY") or ("" if secure else secret_key),
        "SQLALCHEMY_DATABASE_URI": env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'xiangqing.sqlite3'}"
        ),
        "TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "SITE_NAME": env.get("SITE_NAME", "乡情专家行"),
        # The programme office's phone, on the page shown while the database is away.
        "HELP_PHONE": env.get("HELP_PHONE", ""),
        # /metrics answers loopback, or anyone sending "Authorization: Bearer <token>".
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        # The site's public address (https://…), for every absolute link: messages,
        # calendar feeds, subscribe pages. Required in production.
        "SITE_URL": env.get("SITE_URL") or DEFAULT_SITE_URLS.get(name, ""),
        "BABEL_DEFAULT_LOCALE": env.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN"),
        "BABEL_DEFAULT_TIMEZONE": env.get("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_Hans_CN", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure and env.get("INSECURE_COOKIES") != "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure and env.get("INSECURE_COOKIES") != "1",
        "WTF_CSRF_TIME_LIMIT": None,
        # Uploads (schedule imports) are small; refuse anything bigger before reading it.
        "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
        "SCHEDULE_PAGE_SIZE": int(env.get("SCHEDULE_PAGE_SIZE", "20")),
        # Seconds a worker keeps the rendered public lists (home, schedule, a session's
        # slots) before rendering them again: places-left counts may lag that long.
        "PUBLIC_PAGE_SECONDS": int(env.get("PUBLIC_PAGE_SECONDS", "5")),
        # The statistics page's figures, kept per worker and staff member (0: never).
        "STATISTICS_SECONDS": int(env.get("STATISTICS_SECONDS", "60")),
        # Minutes an expert needs between sessions at venues in different townships.
        "TRAVEL_MINUTES": int(env.get("TRAVEL_MINUTES", "30")),
        # Enabled patients (就诊人) per account, the holder included.
        "MAX_PATIENTS_PER_ACCOUNT": int(env.get("MAX_PATIENTS_PER_ACCOUNT", "5")),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Rate limits: Redis when REDIS_URL is set, so a limit holds across workers.
        "REDIS_URL": env.get("REDIS_URL", ""),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # Redis down: each process counts in its own memory meanwhile (with a logged
        # warning) and goes back to Redis when it answers again.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_ENABLED": _switch(env, "RATELIMIT_ENABLED"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "xq"),
        # Outgoing SMS: "log" (development), "http" (a gateway) or "null" (benchmarks).
        "SMS_DRIVER": env.get("SMS_DRIVER", "log"),
        "SMS_GATEWAY_URL": env.get("SMS_GATEWAY_URL", ""),
        "SMS_GATEWAY_AUTH": env.get("SMS_GATEWAY_AUTH", ""),
        "SMS_GATEWAY_TEMPLATE": env.get("SMS_GATEWAY_TEMPLATE", ""),
        # Outgoing e-mail: SMTP_URL smtp://host:25, smtp+starttls://user:pass@host:587 or
        # smtps://user:pass@host:465; without it e-mails go to the log. MAIL_DRIVER=null
        # drops them (benchmarks).
        "SMTP_URL": env.get("SMTP_URL", ""),
        "MAIL_FROM": env.get("MAIL_FROM", "乡情专家行 <noreply@xiangqing.local>"),
        "MAIL_DRIVER": env.get("MAIL_DRIVER", ""),
        # Reminders: hours before the start, and for each the latest it may still go
        # out (hours before the start); a reminder that misses its window expires.
        "REMINDER_HOURS": env.get("REMINDER_HOURS", "24,2"),
        "REMINDER_LATEST_HOURS": env.get("REMINDER_LATEST_HOURS", "12,0"),
        # Where a request's own messages are sent once it has committed: "thread" (the
        # worker's sender thread, in batches) or "inline" (on the request's thread).
        "OUTBOX_SENDER": env.get("OUTBOX_SENDER", "thread"),
        # How many reverse proxies (nginx …) sit in front and set X-Forwarded-*.
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES", "0")),
    }
    return config


def _switch(env: dict[str, str], name: str) -> bool:
    """A setting that is on unless set to 0, false or no."""
    return env.get(name, "true").lower() not in ("0", "false", "no")


def check(config: dict) -> None:
    """Refuse to run outside development without real keys and the site's
    address; warn when messages could not reach people (no mail server, SMS only to
    the log)."""
    if config.get("OUTBOX_SENDER", "thread") not in ("thread", "inline"):
        raise ConfigError("OUTBOX_SENDER must be 'thread' or 'inline'")
    if config["ENV_NAME"] in RELAXED_ENVS:
        return
    if not config.get("SMTP_URL") and config.get("MAIL_DRIVER") != "null":
        log.warning("SMTP_URL is not set: e-mails are written to the log, not sent")
    if config.get("SMS_DRIVER") == "log":
        log.warning("SMS_DRIVER is 'log': text messages are written to the log, not sent")
    _check_key(config, "SECRET_KEY", "")
    _check_key(config, "DATA_KEY", " A site that already holds data was written with its "
               "SECRET_KEY: set DATA_KEY to that value, and never change it afterwards.")
    if not is_site_url(config.get("SITE_URL") or ""):
        raise ConfigError(
            "SITE_URL must be set to the site's public address (e.g. https://xq.example.cn) "
            "outside development: links are never built from the request."
        )


def _check_key(config: dict, name: str, advice: str) -> None:
    key = config.get(name) or ""
    if len(key) < 32 or key == DEV_SECRET_KEY:
        raise ConfigError(
            f"{name} must be set to a random value of at least 32 characters "
            "outside development (e.g. python -c 'import secrets; "
            f"print(secrets.token_urlsafe(48))').{advice}"
        )


def is_site_url(url: str) -> bool:
    """An absolute http(s) address with a host (no query, no fragment)."""
    parts = urlsplit(url)
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and not parts.query and not parts.fragment)

"""No secret of a URL in the logs.

A private calendar feed is a URL whose path is its only key
(``/calendar/experts/<token>.ics``, ``/calendar/me/<token>.ics``, app/calendar/views.py):
a log that keeps it hands the feed to whoever reads the log. ``redact`` takes the token
out of any text. It is applied to every atom of gunicorn's access log (gunicorn.conf.py),
to the development server's request lines (the ``werkzeug`` logger) and to the app's
own log ("Exception on /calendar/me/… [GET]"). No other URL of the site carries a
secret: passwords are reset with an SMS code typed into a form, API tokens travel in the
Authorization header.
"""

import logging
import re

from flask import Flask

REDACTED = "[redacted]"


def _as_sent(literal: str) -> str:
    """A pattern for ``literal`` as a raw request line may spell it: any character may be
    percent-encoded (the server decodes it and routes the request all the same)."""
    return "".join(f"(?:{re.escape(char)}|%{ord(char):02x})" for char in literal)


_PRIVATE_FEED = re.compile(
    "(" + _as_sent("/calendar/") + "(?:" + _as_sent("experts") + "|" + _as_sent("me") + ")"
    + _as_sent("/") + r")[^\s?#\"]+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the rest of every private feed's path (its token) replaced by
    ``[redacted]``: ``/calendar/me/[redacted]``."""
    if "%" not in text and "/calendar/" not in text.lower():  # most text: at once
        return text
    return _PRIVATE_FEED.sub(rf"\1{REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Redacts a record's message in place, so every handler writes the redacted text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


REDACT_SECRETS = RedactSecrets()


def init_app(app: Flask) -> None:
    # The same filter object each time: adding it again is a no-op (logging checks).
    logging.getLogger("werkzeug").addFilter(REDACT_SECRETS)
    app.logger.addFilter(REDACT_SECRETS)

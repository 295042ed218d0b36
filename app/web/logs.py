"""No secret of a URL in the logs.

A private calendar feed is a URL whose path is its only key
(``/calendar/experts/<token>.ics``, ``/calendar/me/<token>.ics``, app/calendar/views.py):
a log that keeps it hands the feed to whoever reads the log. ``redact`` takes the token
out of any text. It is applied to every atom of gunicorn's access log (gunicorn.conf.py)
and to every log record the process makes — the development server's request lines,
the app's "Exception on /calendar/me/… [GET]", any module's logger — as the record is
made (the log record factory, below), so no logger or handler can miss it. No other
URL of the site carries a secret: passwords are reset with an SMS code typed into a
form, API tokens travel in the Authorization header.
"""

import logging
import re
from collections.abc import Callable

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


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A log record factory that makes records with ``make``, then redacts each one's
    message in place, so every handler writes the redacted text. A logger's filter
    would not do: it sees only the records made on that very logger, not its
    children's (``app.web.views`` under ``app``)."""

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: logging reports it when it is written
            return record
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return record

    factory.xq_redacts = True
    return factory


def init_app(_app: Flask) -> None:
    make = logging.getLogRecordFactory()
    if not getattr(make, "xq_redacts", False):  # once per process, however many apps
        logging.setLogRecordFactory(_redacting(make))

"""Send a request's messages as soon as it has committed, with the sweep as fallback.

A confirmation, a waitlist offer or a verification code should not wait for the next
scheduled sweep. Once a successful response has gone out (``call_on_close``: the
resident does not wait for the SMS gateway), the messages the request's unit of work
queued are swept at once — only those, and only the ones already due (a reminder for
tomorrow stays queued). The sweep only sees committed rows, so a request that rolled
back sends nothing; if this pass fails, the scheduler's sweep sends them later.
"""

import logging

from flask import Flask, Response, current_app

from app.core.clock import request_now
from app.extensions import db
from app.notifications.services import take_queued_ids
from app.notifications.sweep import sweep

log = logging.getLogger(__name__)


def send_queued_messages(response: Response) -> Response:
    ids = take_queued_ids(db.session())
    if not ids or response.status_code >= 400:
        return response
    app, now = current_app._get_current_object(), request_now()
    response.call_on_close(lambda: _send(app, ids, now))
    return response


def _send(app: Flask, ids: list[int], now) -> None:
    with app.app_context():
        try:
            sweep(now=now, ids=ids, limit=len(ids))
        except Exception:
            db.session.rollback()
            log.exception("sending messages %s after the request failed; the sweep will",
                          ids)
        finally:
            db.session.remove()


def init_app(app: Flask) -> None:
    app.after_request(send_queued_messages)

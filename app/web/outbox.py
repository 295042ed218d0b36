"""Send a request's messages as soon as it has committed, with the sweep as fallback.

A confirmation, a waitlist offer or a verification code should not wait for the next
scheduled sweep. Each request gives its unit of work a claim token
(``SEND_AFTER_COMMIT``): the due SMS and e-mails it queues are written already claimed
by it, in the same transaction. Once the response has gone out (``call_on_close``: the
resident does not wait for the gateway) those rows are sent and stamped — no claim
transaction of their own. A request that rolled back left no rows to send; if this
pass fails or the worker dies first, the claim goes stale and the scheduler's sweep
sends them.
"""

import logging
import uuid

from flask import Flask, Response, current_app

from app.core.clock import request_now
from app.extensions import db
from app.notifications.services import SEND_AFTER_COMMIT, take_queued_ids
from app.notifications.sweep import send_claimed

log = logging.getLogger(__name__)


def claim_for_request() -> None:
    db.session.info[SEND_AFTER_COMMIT] = uuid.uuid4().hex


def send_queued_messages(response: Response) -> Response:
    session = db.session()
    token = session.info.pop(SEND_AFTER_COMMIT, None)
    ids = take_queued_ids(session)
    if token and ids:
        app, now = current_app._get_current_object(), request_now()
        response.call_on_close(lambda: _send(app, token, ids, now))
    return response


def _forget(_exc=None) -> None:
    """A request that ended in an error still leaves no claim token behind."""
    db.session.info.pop(SEND_AFTER_COMMIT, None)


def _send(app: Flask, token: str, ids: list[int], now) -> None:
    with app.app_context():
        try:
            send_claimed(token, ids, now=now)
        except Exception:
            db.session.rollback()
            log.exception("sending messages %s after the request failed; the sweep will",
                          ids)
        finally:
            db.session.remove()


def init_app(app: Flask) -> None:
    app.before_request(claim_for_request)
    app.after_request(send_queued_messages)
    app.teardown_request(_forget)

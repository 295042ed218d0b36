"""Send a request's messages as soon as it has committed, with the sweep as fallback.

A confirmation, a waitlist offer or a verification code should not wait for the next
scheduled sweep. Each request gives its unit of work a claim token
(``SEND_AFTER_COMMIT``): the due SMS and e-mails it queues are written already claimed
by it, in the same transaction. Once the response has gone out (``call_on_close``: the
resident does not wait for the gateway) those rows are sent and stamped — no claim
transaction of their own. A request that rolled back left no rows to send; if sending
fails or the worker dies first, the claim goes stale and the scheduler's sweep sends
them.

Where they are sent (``OUTBOX_SENDER``):

- ``thread`` (the default): each worker process has one sender thread. Requests hand
  it their claims and it sends what has gathered within ``LINGER_S`` as one batch —
  one read and one stamp for all of them, as the sweep does for its batches — so under
  a rush the stamps do not queue for SQLite's write lock one booking at a time;
- ``inline``: on the request's own thread, right after its response (tests use it so
  that a message has gone out when the test client returns).
"""

import logging
import os
import queue
import threading
import time
import uuid
from functools import partial

from flask import Flask, Response

from app.core.clock import request_now
from app.core.time import utcnow
from app.extensions import db
from app.notifications.services import SEND_AFTER_COMMIT, take_queued_ids
from app.notifications.sweep import send_claimed

log = logging.getLogger(__name__)
BATCH = 50  # claims sent together at most (the sweep's batch size)
# After the first claim arrives, the sender waits this long for more: under a rush a
# batch then holds a dozen requests' messages (one read and one stamp — two short
# transactions — for all), while a message still leaves well within a second.
LINGER_S = 0.25


def claim_for_request() -> None:
    db.session.info[SEND_AFTER_COMMIT] = uuid.uuid4().hex


def send_queued_messages(app: Flask, response: Response) -> Response:
    session = db.session()
    token = session.info.pop(SEND_AFTER_COMMIT, None)
    ids = take_queued_ids(session)
    if token and ids:
        if app.config["OUTBOX_SENDER"] == "thread":
            response.call_on_close(lambda: _sender.put(app, token, ids))
        else:
            now = request_now()
            response.call_on_close(lambda: _send(app, {token: ids}, now))
    return response


def _forget(_exc=None) -> None:
    """A request that ended in an error still leaves no claim token behind."""
    db.session.info.pop(SEND_AFTER_COMMIT, None)


def _send(app: Flask, claims: dict[str, list[int]], now) -> None:
    with app.app_context():
        try:
            send_claimed(claims, now=now)
        except Exception:
            db.session.rollback()
            log.exception("sending messages %s after their requests failed; the sweep will",
                          claims)
        finally:
            db.session.remove()


class _Sender:
    """The worker process's sender thread (started on first use, again after a fork)."""

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.pid: int | None = None
        self.lock = threading.Lock()

    def put(self, app: Flask, token: str, ids: list[int]) -> None:
        if self.pid != os.getpid():
            with self.lock:
                if self.pid != os.getpid():
                    self.queue = queue.SimpleQueue()  # a forked child's own
                    threading.Thread(target=self._run, args=(self.queue,),
                                     name="outbox-sender", daemon=True).start()
                    self.pid = os.getpid()
        self.queue.put((app, token, ids))

    @staticmethod
    def _run(claims: queue.SimpleQueue) -> None:
        while True:
            batch = [claims.get()]
            time.sleep(LINGER_S)
            while len(batch) < BATCH:
                try:
                    batch.append(claims.get_nowait())
                except queue.Empty:
                    break
            by_app: dict[Flask, dict[str, list[int]]] = {}
            for app, token, ids in batch:
                by_app.setdefault(app, {})[token] = ids
            for app, gathered in by_app.items():
                _send(app, gathered, utcnow())


_sender = _Sender()


def init_app(app: Flask) -> None:
    app.before_request(claim_for_request)
    app.after_request(partial(send_queued_messages, app))
    app.teardown_request(_forget)

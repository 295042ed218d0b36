"""Idempotency-Key: a repeated request gets the first one's response, never a second
booking.

Two layers. The booking engine books once per (account, key): the key is the booking's
``idempotency_key`` — the same one the booking page's hidden nonce fills — and a twin
that loses the race to the unique index gets the winner's booking back. This module
keeps the first *response* (a booking or a refusal) so that every repeat, even after
the booking changed, is answered with exactly the same status and body; a key sent
again with a different request is refused (422).
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, select

from app.api.models import IdempotencyRecord
from app.core.db import begin_write, insert_ignore
from app.extensions import db

REPLAYED_HEADER = "Idempotent-Replayed"
# How long a first response is kept for replay. A repeat after that still books once
# (the booking keeps its key: the engine returns it), with a fresh rendering of it.
KEPT = timedelta(hours=24)


def fingerprint(method: str, path: str, payload: dict) -> str:
    canonical = json.dumps([method, path, payload], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Answer:
    """A key's first response."""

    fingerprint: str
    status: int
    body: str


class AnsweredBefore(Exception):  # noqa: N818 (a signal, not a failure)
    """A twin request kept its answer for the key first: undo this one, give that."""

    def __init__(self, answer: Answer):
        super().__init__(answer.status)
        self.answer = answer


_FIND = select(IdempotencyRecord.fingerprint, IdempotencyRecord.status,
               IdempotencyRecord.body).where(IdempotencyRecord.user_id == bindparam("user_id"),
                                             IdempotencyRecord.key == bindparam("key"))


def find(user_id: int, key: str) -> Answer | None:
    row = db.session.connection().execute(_FIND, {"user_id": user_id, "key": key}).first()
    return Answer(*row) if row else None


def keep(user_id: int, key: str, fingerprint_: str, status: int, body: dict, *,
         now: datetime) -> None:
    """Keep this response for the key in the current unit of work (a booking keeps its
    201 in the transaction that made it); AnsweredBefore when a twin kept one first."""
    if insert_ignore(db.session, IdempotencyRecord, {
            "user_id": user_id, "key": key, "fingerprint": fingerprint_, "status": status,
            "body": json.dumps(body, ensure_ascii=False), "created_dt": now}) is None:
        raise AnsweredBefore(find(user_id, key))


def remember(user_id: int, key: str, fingerprint_: str, status: int, body: dict, *,
             now: datetime) -> Answer | None:
    """``keep`` a refusal's answer in a write of its own (the refusal wrote nothing and
    was rolled back); the caller commits. The answer a twin kept first, if one did."""
    begin_write(db.session)
    try:
        keep(user_id, key, fingerprint_, status, body, now=now)
    except AnsweredBefore as answered:
        return answered.answer
    return None


def replay(answer: Answer, fingerprint_: str) -> Response:
    """A key's first response again — unless the key came with another request."""
    if answer.fingerprint != fingerprint_:
        body = {"error": {"code": "idempotency_key_reused",
                          "message": _("这个 Idempotency-Key 已用于另一个请求")}}
        return Response(json.dumps(body, ensure_ascii=False), status=422,
                        mimetype="application/json")
    response = Response(answer.body, status=answer.status, mimetype="application/json")
    response.headers[REPLAYED_HEADER] = "true"
    return response


def purge_old_responses(*, now: datetime) -> int:
    """Scheduler job: forget first responses older than ``KEPT``; returns how many."""
    return db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_dt < now - KEPT)
    ).rowcount

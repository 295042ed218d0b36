"""The delivery sweep: claim due outbox rows, send them, stamp them.

Safe with more than one sweep at once (a second scheduler started by mistake, an
operator's ``flask notifications sweep``): a row is claimed by one conditional UPDATE
(``pending`` → ``sending`` with a claim token; on PostgreSQL the ids are picked with
``FOR UPDATE SKIP LOCKED`` so sweeps do not queue behind each other), and stamped sent
only by the batch whose token it carries. This is the named exception to "one commit
per job" (STYLE.md habit 4): each claim is committed *before* its messages are sent, so
no write lock is held while a gateway answers, and the stamps are committed after.

What that guarantees:

- never twice once stamped: the stamp is conditional on the claim;
- never for a cancelled booking: cancelling cancels ``pending`` and ``sending`` rows in
  the booking's own transaction, and each claimed row is read again just before it is
  sent (the one window left is between that read and the gateway's answer);
- a sweep killed after claiming loses nothing: its claims go stale after
  ``STALE_CLAIM`` and the next sweep takes them back;
- a crash between a gateway's acceptance and the stamp may resend that one message; the
  row id goes to the gateway as its de-duplication key;
- a row past its ``expires_dt`` is marked expired, never sent late.

SMS and e-mail rows are claimed (inbox rows are stamped sent when they are queued); an
e-mail's attachment is built just before it goes out (app.notifications.attachments).
Every query starts from the ``(status, due_dt)`` index, so a sweep's cost follows what
is due, not what is stored.
"""

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, or_, select, update

from app.core.db import restart_as_write
from app.extensions import db
from app.notifications import attachments
from app.notifications.channels import DeliveryError, Sms, SmsDriver, sms_driver
from app.notifications.mail import Email, MailDriver, mail_driver
from app.notifications.models import Channel, Message, MessageStatus
from app.notifications.services import SENT_BY_SWEEP

STALE_CLAIM = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=2)
ERROR_LENGTH = 500
NO_OPTIONS = {"synchronize_session": False}


@dataclass
class SweepStats:
    reclaimed: int = 0  # stale claims taken back
    expired: int = 0
    claimed: int = 0
    sent: int = 0
    retried: int = 0  # failed this time, due again later
    failed: int = 0  # failed for good (MAX_ATTEMPTS)
    skipped: int = 0  # cancelled (or reclaimed) between claim and send


@dataclass(frozen=True)
class _Claimed:
    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    attachment: str | None
    attempts: int


@dataclass(frozen=True)
class _Drivers:
    sms: SmsDriver
    mail: MailDriver


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, capped."""
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


def sweep(*, now: datetime, batch: int = 50, limit: int | None = None,
          driver: SmsDriver | None = None, mail: MailDriver | None = None,
          ids: Iterable[int] | None = None) -> SweepStats:
    """One pass over the outbox: take back stale claims, expire what missed its window,
    then claim, send and stamp due SMS and e-mails ``batch`` rows at a time (at most
    ``limit``) through ``driver`` (SMS) and ``mail`` (both from the settings by default).
    With ``ids`` (a request's own messages, sent right after its commit) only those
    rows are claimed and the outbox-wide upkeep is left to the scheduled sweep.
    Commits its own units of work."""
    drivers = _Drivers(driver or sms_driver(current_app.config),
                       mail or mail_driver(current_app.config))
    only = list(ids) if ids is not None else None
    stats = SweepStats()
    try:
        if only is None:
            _unit(_reclaim_and_expire, now, stats)
        while limit is None or stats.claimed < limit:
            size = batch if limit is None else min(batch, limit - stats.claimed)
            token = uuid.uuid4().hex
            claimed = _unit(_claim, now, size=size, token=token, only=only)
            if not claimed:
                break
            stats.claimed += len(claimed)
            outcomes = [(row, _deliver(row, token, drivers, now=now)) for row in claimed]
            _unit(_stamp, outcomes, tokens=[token], now=now, stats=stats)
    finally:
        drivers.mail.close()
    return stats


def send_claimed(claims: dict[str, list[int]], *, now: datetime,
                 driver: SmsDriver | None = None, mail: MailDriver | None = None) -> SweepStats:
    """Send the rows that units of work queued already claimed (``claims``: claim token
    → row ids; requests' own confirmations and codes, sent as soon as they committed):
    no claim transaction, one read and one stamp for them all, the same re-check, stamp
    and retry rules as the sweep. Rows that were never committed, or are no longer
    claimed by their token, are simply not found."""
    drivers = _Drivers(driver or sms_driver(current_app.config),
                       mail or mail_driver(current_app.config))
    stats = SweepStats()
    tokens = list(claims)
    try:
        token_of = {i: token for token, ids in claims.items() for i in ids}
        claimed = [row for row, token in _claimed_rows(tokens, list(token_of))
                   if token_of.get(row.id) == token]
        db.session.rollback()  # a read only: it ends before anything is sent
        if claimed:
            stats.claimed = len(claimed)
            # The read above is the re-check: a cancelled row is no longer claimed.
            outcomes = [(row, _deliver(row, "", drivers, now=now, recheck=False))
                        for row in claimed]
            _unit(_stamp, outcomes, tokens=tokens, now=now, stats=stats)
    finally:
        drivers.mail.close()
    return stats


def _unit(work: Callable, *args, **kwargs):
    """Run ``work(*args, **kwargs)`` as one committed write transaction (what was read
    before it ends first: each of the sweep's units of work stands alone)."""
    restart_as_write(db.session)
    try:
        result = work(*args, **kwargs)
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


def _reclaim_and_expire(now: datetime, stats: SweepStats) -> None:
    stats.reclaimed += db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.SENDING, Message.claimed_dt < now - STALE_CLAIM)
        .values(status=MessageStatus.PENDING, claim_token=None),
        execution_options=NO_OPTIONS,
    ).rowcount
    stats.expired += db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.PENDING, Message.due_dt <= now,
               Message.expires_dt <= now)
        .values(status=MessageStatus.EXPIRED),
        execution_options=NO_OPTIONS,
    ).rowcount


def _claim(now: datetime, *, size: int, token: str, only: list[int] | None) -> list[_Claimed]:
    due = (
        select(Message.id)
        .where(Message.status == MessageStatus.PENDING, Message.due_dt <= now,
               Message.channel.in_(SENT_BY_SWEEP),
               or_(Message.expires_dt.is_(None), Message.expires_dt > now))
        .order_by(Message.due_dt)
        .limit(size)
    )
    if only is not None:
        due = due.where(Message.id.in_(only))
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    picked = db.session.scalars(due).all()
    if not picked:
        return []
    db.session.execute(
        update(Message)
        .where(Message.id.in_(picked), Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SENDING, claimed_dt=now, claim_token=token),
        execution_options=NO_OPTIONS,
    )
    return [row for row, _token in _claimed_rows([token], picked)]


_CLAIMED_ROWS = (
    select(Message.id, Message.channel, Message.recipient, Message.subject, Message.body,
           Message.attachment, Message.attempts, Message.claim_token)
    .where(Message.id.in_(bindparam("ids", expanding=True)),
           Message.claim_token.in_(bindparam("tokens", expanding=True)),
           Message.status == MessageStatus.SENDING)
    .order_by(Message.id)
)


def _claimed_rows(tokens: list[str], ids: list[int]) -> list[tuple[_Claimed, str]]:
    """The rows ``ids`` still claimed under one of ``tokens``, each with its token."""
    rows = db.session.connection().execute(_CLAIMED_ROWS, {"ids": ids, "tokens": tokens})
    return [(_Claimed(*row[:-1]), row[-1]) for row in rows]


def _still_ours(message_id: int, token: str) -> bool:
    """Read the row again, in a transaction of its own, just before it goes out."""
    try:
        return db.session.scalar(
            select(Message.id).where(Message.id == message_id, Message.claim_token == token,
                                     Message.status == MessageStatus.SENDING)
        ) is not None
    finally:
        db.session.commit()


def _deliver(row: _Claimed, token: str, drivers: _Drivers, *, now: datetime,
             recheck: bool = True) -> str | None:
    """Send one row: None when the gateway accepted it, else the reason ("" = skipped)."""
    if recheck and not _still_ours(row.id, token):
        return ""
    try:
        if row.channel == Channel.EMAIL:
            drivers.mail.send(_email(row, now=now))
        else:
            drivers.sms.send(Sms(id=row.id, phone=row.recipient, text=row.body))
    except (DeliveryError, attachments.AttachmentMissing) as exc:
        return str(exc)[:ERROR_LENGTH] or "refused"
    return None


def _email(row: _Claimed, *, now: datetime) -> Email:
    """The e-mail of a row, its attachment built now (in a read of its own)."""
    extra = ()
    if row.attachment:
        try:
            extra = (attachments.render(row.attachment, now=now),)
        finally:
            db.session.commit()
    return Email(id=row.id, to=row.recipient, subject=row.subject, text=row.body,
                 attachments=extra)


_STAMP_SENT = (
    update(Message)
    .where(Message.id.in_(bindparam("ids", expanding=True)),
           Message.claim_token.in_(bindparam("tokens", expanding=True)),
           Message.status == MessageStatus.SENDING)
    .values(status=MessageStatus.SENT, sent_dt=bindparam("now"), attempts=Message.attempts + 1,
            claim_token=None, last_error="")
)


def _stamp(outcomes: list[tuple[_Claimed, str | None]], *, tokens: list[str], now: datetime,
           stats: SweepStats) -> None:
    """Stamp rows still claimed by one of ``tokens`` (each row's own: tokens are
    unique per claim, so a row reclaimed by another sweep is never stamped)."""
    ours = (Message.claim_token.in_(tokens), Message.status == MessageStatus.SENDING)
    sent = [row.id for row, error in outcomes if error is None]
    if sent:
        stats.sent += db.session.connection().execute(
            _STAMP_SENT, {"ids": sent, "tokens": tokens, "now": now}).rowcount
    for row, error in outcomes:
        if error == "":
            stats.skipped += 1
        elif error is not None:
            _record_failure(row, error, ours=ours, now=now, stats=stats)


def _record_failure(row: _Claimed, error: str, *, ours, now: datetime,
                    stats: SweepStats) -> None:
    attempts = row.attempts + 1
    values = {"attempts": attempts, "last_error": error, "claim_token": None}
    if attempts >= MAX_ATTEMPTS:
        values["status"] = MessageStatus.FAILED
    else:
        values.update(status=MessageStatus.PENDING, due_dt=now + backoff(attempts))
    changed = db.session.execute(
        update(Message).where(Message.id == row.id, *ours).values(**values),
        execution_options=NO_OPTIONS,
    ).rowcount
    if changed and attempts >= MAX_ATTEMPTS:
        stats.failed += 1
    elif changed:
        stats.retried += 1

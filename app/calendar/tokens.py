"""Private feed links: ``<link id>-<HMAC of id and secret under the app's key>``.

Unguessable (192 bits), shown again to the owner whenever they ask (it is recomputed,
never stored), and dead the moment the owner resets it (a new secret). A database dump
alone gives no working link: the HMAC key lives in the environment.
"""

import base64
import hmac
import secrets
from datetime import datetime, timedelta
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.models import User
from app.calendar.models import FeedLink, FeedOwner
from app.core.coerce import id_or_none
from app.core.crypto import keyed_hash
from app.core.db import restart_as_write
from app.core.formatting import short_datetime
from app.directory.models import Expert
from app.extensions import db
from app.notifications import compose

TOUCH_EVERY = timedelta(hours=1)


def _signature(link_id: int, secret: str) -> str:
    digest = bytes.fromhex(keyed_hash(f"{link_id}:{secret}", purpose="feed-links"))
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def token_of(link: FeedLink) -> str:
    return f"{link.id}-{_signature(link.id, link.secret)}"


def find_link(owner: FeedOwner, owner_id: int) -> FeedLink | None:
    return db.session.scalar(
        select(FeedLink).where(FeedLink.owner_kind == owner, FeedLink.owner_id == owner_id))


def ensure_link(owner: FeedOwner, owner_id: int, *, by_id: int | None,
                now: datetime) -> FeedLink:
    """The owner's link, made on first use (a write service: the caller commits)."""
    link = find_link(owner, owner_id)
    if link is not None:
        return link
    restart_as_write(db.session)
    link = find_link(owner, owner_id)
    if link is None:
        link = FeedLink(owner_kind=owner, owner_id=owner_id, secret=secrets.token_hex(16),
                        created_dt=now, created_by_id=by_id)
        db.session.add(link)
        db.session.flush()
    return link


def rotate(owner: FeedOwner, owner_id: int, *, by_id: int | None, now: datetime) -> FeedLink:
    """重置链接: a new secret; the old link stops working at once."""
    link = ensure_link(owner, owner_id, by_id=by_id, now=now)
    link_id = link.id
    restart_as_write(db.session)
    link = db.session.get(FeedLink, link_id)
    link.secret, link.rotated_dt, link.last_fetched_dt = secrets.token_hex(16), now, None
    _tell_link_users(owner, owner_id, now=now)
    db.session.flush()
    return link


def _tell_link_users(owner: FeedOwner, owner_id: int, *, now: datetime) -> None:
    """Everyone who may be subscribed to the old link hears it was reset (inbox, and
    e-mail where they take it): the owner, and for an expert's feed their assistants."""
    if owner == FeedOwner.RESIDENT:
        users, label = [db.session.get(User, owner_id)], None
    else:
        expert = db.session.get(Expert, owner_id)
        users, label = [expert.user, *expert.assistants], expert.name
    compose.tell_accounts(users, "feed_link_reset", now=now,
                          label=label or (lambda: _("我的预约")),
                          when=partial(short_datetime, now), link=compose.site_link("/calendar"))


def resolve(token: str, owner: FeedOwner) -> FeedLink | None:
    """The live link a token names, or None (unknown, malformed, reset or another kind)."""
    link_id, _, signature = token.partition("-")
    if (number := id_or_none(link_id)) is None or not signature or len(token) > 100:
        return None
    link = db.session.get(FeedLink, number)
    if link is None or link.owner_kind != owner:
        return None
    if not hmac.compare_digest(signature, _signature(link.id, link.secret)):
        return None
    return link


def touch(link: FeedLink, *, now: datetime) -> None:
    """Record a fetch at most once an hour, so polling clients rarely take the write
    lock (the caller commits)."""
    if link.last_fetched_dt is not None and now - link.last_fetched_dt < TOUCH_EVERY:
        return
    link_id = link.id
    restart_as_write(db.session)
    db.session.execute(
        update(FeedLink).where(FeedLink.id == link_id).values(last_fetched_dt=now))

"""Calendar feeds over HTTP, and the page to subscribe to them.

The view only adds headers: which events and how they look is app.calendar.feeds and
app.calendar.ical. Conditional requests are answered from the feed's version, so a
calendar client polling unchanged data never makes us serialise the feed again.
Absolute links (in feeds, on the subscribe pages) come from SITE_URL only, never from
the request's Host header: a forged Host would otherwise get a feed built and cached
for it, carrying its links. Feeds are rate-limited per address.
"""

from datetime import datetime, time

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from app.calendar import feeds, queries, tokens
from app.calendar.forms import LinkForm
from app.calendar.models import FeedOwner
from app.core.clock import request_now
from app.core.coerce import optional_int
from app.core.time import local_to_utc, local_today
from app.core.urls import site_url
from app.directory.models import Expert, Township, Venue
from app.extensions import db, limiter
from app.scheduling.models import SessionKind

bp = Blueprint("calendar", __name__)

FEED_MAX_AGE = 300
# Per address, all feeds together. A calendar app polls each feed hourly or less
# often (every few minutes at most), but many polls share an address: a mobile
# carrier's NAT puts a township's residents behind a handful of addresses, a calendar
# server (Google, Outlook) fetches for all its users from a few. 1200 an hour is 1200
# hourly subscriptions behind one address — several times what a county's subscribers
# on one carrier address could make — and 120 a minute lets them bunch up. One address
# crawling feeds or guessing private links is held to one request every three seconds.
FEED_LIMIT = "120 per minute;1200 per hour"


def _by_address() -> str:
    # Calendar clients send no session cookie: the address is all there is to count by.
    return f"ip:{get_remote_address()}"


feed_limit = limiter.shared_limit(FEED_LIMIT, scope="feeds", key_func=_by_address)


def _respond(version: tuple, newest: datetime | None, name: str, events, *,
             filename: str, private: bool, attachment: bool = False) -> Response:
    now = request_now()
    # The window moves daily: nothing in a feed is older than today's start.
    day_start = local_to_utc(local_today(now), time.min)
    last_modified = max(filter(None, (newest, day_start)))
    version = (*version, site_url())
    cached = feeds.cache.get(version)
    if cached is not None and request.if_none_match.contains(cached.etag.strip('"')):
        return _not_modified(cached.etag, last_modified, private)
    if (not request.if_none_match and request.if_modified_since
            and last_modified.replace(microsecond=0) <= request.if_modified_since):
        return _not_modified(cached.etag if cached else None, last_modified, private)
    rendered = feeds.rendered(version, last_modified, name, events)
    if request.if_none_match.contains(rendered.etag.strip('"')):
        return _not_modified(rendered.etag, last_modified, private)
    response = Response(rendered.body, mimetype="text/calendar")
    response.content_type = "text/calendar; charset=utf-8"
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    _validators(response, rendered.etag, last_modified, private)
    return response


def _not_modified(etag: str | None, last_modified: datetime, private: bool) -> Response:
    response = Response(status=304)
    _validators(response, etag, last_modified, private)
    return response


def _validators(response: Response, etag: str | None, last_modified: datetime,
                private: bool) -> None:
    if etag:
        response.headers["ETag"] = etag
    response.last_modified = last_modified
    scope = "private" if private else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={FEED_MAX_AGE}"


def _session_feed(spec: feeds.FeedSpec, *, filename: str, private: bool = False):
    now = request_now()
    version, newest = feeds.session_version(spec, now)
    return _respond(version, newest, spec.name,
                    lambda: feeds.session_events(spec, now, base_url=site_url()),
                    filename=filename, private=private)


@bp.get("/calendar/venues/<int:venue_id>.ics")
@feed_limit
def venue_feed(venue_id: int):
    venue = db.session.get(Venue, venue_id) or abort(404)
    return _session_feed(feeds.venue_feed(venue), filename=f"venue-{venue_id}.ics")


@bp.get("/calendar/institutions/<int:institution_id>.ics")
@feed_limit
def institution_feed(institution_id: int):
    found = queries.institution(institution_id) or abort(404)
    return _session_feed(feeds.institution_feed(found.id, found.name),
                         filename=f"institution-{institution_id}.ics")


@bp.get("/calendar/programme.ics")
@feed_limit
def programme_feed():
    kind = request.args.get("kind") or None
    if kind is not None and kind not in {k.value for k in SessionKind}:
        return _bad_request("kind")
    try:
        township_id = optional_int(request.args.get("township"))
    except ValueError:
        return _bad_request("township")
    township = db.session.get(Township, township_id) if township_id else None
    if township_id and township is None:
        abort(404)
    spec = feeds.programme_feed(kind=SessionKind(kind) if kind else None,
                                township_id=township_id,
                                township_name=township.name if township else "")
    return _session_feed(spec, filename="programme.ics")


def _bad_request(field: str) -> Response:
    return Response(f"invalid {field}\n", status=400, mimetype="text/plain")


@bp.get("/calendar/experts/<token>.ics")
@feed_limit
def expert_feed(token: str):
    link = tokens.resolve(token, FeedOwner.EXPERT) or abort(404)
    expert = db.session.get(Expert, link.owner_id) or abort(404)
    spec = feeds.expert_feed(expert)
    tokens.touch(link, now=request_now())
    db.session.commit()  # the hourly stamp of the link's last fetch, if any
    return _session_feed(spec, filename=f"expert-{expert.id}.ics", private=True)


@bp.get("/calendar/me/<token>.ics")
@feed_limit
def resident_feed(token: str):
    link = tokens.resolve(token, FeedOwner.RESIDENT) or abort(404)
    account_id = link.owner_id
    now = request_now()
    tokens.touch(link, now=now)
    db.session.commit()  # the hourly stamp of the link's last fetch, if any
    version, newest = feeds.booking_version(account_id, now)
    return _respond(version, newest, "我的预约 · 乡情专家行",
                    lambda: feeds.booking_events(account_id, now, base_url=site_url()),
                    filename="my-bookings.ics", private=True)


@bp.get("/bookings/<int:booking_id>.ics")
@feed_limit
@login_required
def booking_ics(booking_id: int):
    now = request_now()
    events = feeds.booking_events(current_user.id, now, base_url=site_url(),
                                  booking_id=booking_id, alarm_before=feeds.BOOKING_ALARM)
    if not events:
        abort(404)
    event = events[0]
    version = (f"booking:{booking_id}", event.sequence, event.last_modified)
    return _respond(version, event.last_modified, "乡情专家行", lambda: events,
                    filename=f"booking-{booking_id}.ics", private=True, attachment=True)


# --- subscribing -------------------------------------------------------------------------


@bp.app_template_global("feed_links")
def feed_links(path: str) -> dict:
    """https and webcal forms of the feed at ``path`` on the site's address (SITE_URL),
    and its QR code (an SVG data URI)."""
    url = site_url() + path
    return {"https": url, "webcal": "webcal://" + url.split("://", 1)[1],
            "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2)}


@bp.get("/calendar")
def subscribe():
    public = {
        "programme": feed_links(url_for("calendar.programme_feed")),
        "lectures": feed_links(url_for("calendar.programme_feed", kind="lecture")),
    }
    private = []
    if current_user.is_authenticated:
        mine = tokens.find_link(FeedOwner.RESIDENT, current_user.id)
        private.append(_private_entry(FeedOwner.RESIDENT, current_user.id, _("我的预约"),
                                      mine))
        for expert in queries.experts_of(current_user):
            link = tokens.find_link(FeedOwner.EXPERT, expert.id)
            private.append(_private_entry(FeedOwner.EXPERT, expert.id,
                                          _("%(name)s的排班", name=expert.name), link))
    return render_template("calendar/subscribe.html", public=public, private=private,
                           form=LinkForm())


def _private_entry(owner, owner_id, label, link) -> dict:
    endpoint = "calendar.expert_feed" if owner == FeedOwner.EXPERT else "calendar.resident_feed"
    entry = {"owner": owner.value, "owner_id": owner_id, "label": label, "link": link}
    if link is not None:
        entry["urls"] = feed_links(url_for(endpoint, token=tokens.token_of(link)))
    return entry


def _may_manage(owner: FeedOwner, owner_id: int) -> bool:
    if owner == FeedOwner.RESIDENT:
        return owner_id == current_user.id
    return owner_id in {e.id for e in queries.experts_of(current_user)}


@bp.post("/calendar/links/<owner>/<int:owner_id>")
@login_required
def make_or_reset_link(owner: str, owner_id: int):
    """Create the private link, or reset it (重置链接): the old one stops at once."""
    if owner not in {o.value for o in FeedOwner}:
        abort(404)
    kind = FeedOwner(owner)
    if not _may_manage(kind, owner_id) or not LinkForm().validate_on_submit():
        abort(404)
    now, by_id = request_now(), current_user.id
    if tokens.find_link(kind, owner_id) is None:
        tokens.ensure_link(kind, owner_id, by_id=by_id, now=now)
        done = _("已生成日历链接：点下面的按钮订阅，或复制链接加到日历里。")
    else:
        tokens.rotate(kind, owner_id, by_id=by_id, now=now)
        done = _("链接已重置，旧链接已失效。请在日历里删除旧订阅，用下面的新链接重新订阅。")
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("calendar.subscribe"))


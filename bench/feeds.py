"""Benchmark: a venue feed of 5,000 events, cold and repeated, against bare icalendar.

    .venv/bin/python -m bench.feeds [--events 5000] [--rounds 5]

In one run, on a SQLite database built from empty with the migrations:

- *bare*: the same 5,000 events serialised with plain icalendar code (events built from
  plain values, ``Calendar.to_ical()``) — the floor any feed pays once;
- *cold*: GET /calendar/venues/<id>.ics through the app (WSGI, in process) with the
  render cache emptied: queries, events, serialisation, headers;
- *repeat 200*: the same GET again (unchanged data: the cached render is served);
- *repeat 304*: the same GET with the ETag (If-None-Match): answered from the version.

It prints the medians and the two ratios the calendar issue sets targets for: cold ÷
bare (≤ 1.3) and cold ÷ repeat (≥ 20 for both kinds of repeat). Timing is wall time of
the median round; the machine is shared, so only the ratios are compared.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import flask_migrate
from icalendar import Calendar, Event
from sqlalchemy import insert

from app import create_app
from app.calendar import feeds
from app.directory.models import (
    Expert,
    Institution,
    InstitutionKind,
    Specialty,
    Township,
    TownshipKind,
    Venue,
    VenueKind,
)
from app.extensions import db
from app.scheduling.models import Session, SessionExpert, SessionKind, SessionStatus

ZONE = ZoneInfo("Asia/Shanghai")


def build(events: int, folder: str):
    app = create_app({"ENV_NAME": "development", "SECRET_KEY": "b" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/feeds.sqlite3",
                      "RATELIMIT_ENABLED": False})
    now = datetime.now(UTC)
    app.config["CLOCK"] = lambda: now
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add_all([
            Township(id=1, name="浦口镇", kind=TownshipKind.TOWN),
            Institution(id=1, name="中南大学湘雅医院", kind=InstitutionKind.HOSPITAL),
            Specialty(id=1, name="心血管内科"),
        ])
        db.session.flush()
        db.session.add_all([
            Venue(id=1, name="浦口镇卫生院", kind=VenueKind.TOWNSHIP_CENTRE, township_id=1,
                  address="醴陵市浦口镇健康路1号"),
            Expert(id=1, name="张建国", title="主任医师", institution_id=1, specialty_id=1),
        ])
        db.session.flush()
        start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=20)
        rows = [{"id": i + 1, "kind": SessionKind.CLINIC, "status": SessionStatus.PUBLISHED,
                 "venue_id": 1, "specialty_id": 1,
                 "start_dt": start + timedelta(hours=3 * i),
                 "end_dt": start + timedelta(hours=3 * i + 2),
                 "created_dt": start, "updated_dt": start} for i in range(events)]
        db.session.execute(insert(Session), rows)
        db.session.execute(insert(SessionExpert),
                           [{"session_id": r["id"], "expert_id": 1} for r in rows])
        db.session.commit()
        plain = [(f"session-{r['id']}@xiangqing", "专家门诊 张建国 心血管内科", r["start_dt"],
                  r["end_dt"], r["updated_dt"], "浦口镇卫生院 醴陵市浦口镇健康路1号",
                  f"专家门诊：张建国 心血管内科\nhttp://localhost/sessions/{r['id']}")
                 for r in rows]
    return app, plain


def bare(plain) -> float:
    """The same events, property for property, with icalendar alone."""
    started = time.perf_counter()
    calendar = Calendar()
    calendar.add("prodid", "-//bench//")
    calendar.add("version", "2.0")
    for uid, summary, start, end, changed, location, description in plain:
        event = Event()
        event.add("uid", uid)
        event.add("dtstamp", changed)
        event.add("last-modified", changed)
        event.add("sequence", 0)
        event.add("dtstart", start.astimezone(ZONE))
        event.add("dtend", end.astimezone(ZONE))
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        event.add("summary", summary)
        event.add("location", location)
        event.add("description", description)
        event.add("url", description.rsplit("\n", 1)[1])
        calendar.add_component(event)
    calendar.to_ical()
    return time.perf_counter() - started


def timed(client, url, headers=None) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = client.get(url, headers=headers or {})
    elapsed = time.perf_counter() - started
    return elapsed, response.status_code, response.headers.get("ETag", "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        app, plain = build(args.events, folder)
        client = app.test_client()
        url = "/calendar/venues/1.ics"
        results = {"bare": [], "cold": [], "repeat_200": [], "repeat_304": []}
        for _ in range(args.rounds):
            results["bare"].append(bare(plain))
            feeds.cache._items.clear()
            cold, status, etag = timed(client, url)
            assert status == 200, status
            results["cold"].append(cold)
            again, status, _etag = timed(client, url)
            assert status == 200
            results["repeat_200"].append(again)
            conditional, status, _etag = timed(client, url, {"If-None-Match": etag})
            assert status == 304, status
            results["repeat_304"].append(conditional)
    median = {k: statistics.median(v) for k, v in results.items()}
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"SQLite, {args.events} events, {args.rounds} rounds")
    for key, value in median.items():
        print(f"  {key:<11} {value * 1000:9.1f} ms  ({value / args.events * 1e6:7.1f} µs/event)")
    cold_vs_bare = median["cold"] / median["bare"]
    cold_vs_200 = median["cold"] / median["repeat_200"]
    cold_vs_304 = median["cold"] / median["repeat_304"]
    print(f"cold ÷ bare        {cold_vs_bare:6.2f}   (target ≤ 1.3)")
    print(f"cold ÷ repeat 200  {cold_vs_200:6.1f}   (target ≥ 20)")
    print(f"cold ÷ repeat 304  {cold_vs_304:6.1f}   (target ≥ 20)")
    ok = cold_vs_bare <= 1.3 and cold_vs_200 >= 20 and cold_vs_304 >= 20
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

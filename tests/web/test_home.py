import re
from datetime import time, timedelta

from app.core.time import utcnow
from app.scheduler import write_heartbeat
from app.scheduling.models import SessionKind, SessionStatus
from tests.factories import NOW, TODAY, create_session, create_township, create_venue


def test_home_shows_this_weeks_sessions_by_township_in_chinese(db, client):
    pukou, baitutan = create_township(name="浦口镇"), create_township(name="白兔潭镇")
    in_pukou = create_session(venue=create_venue(township=pukou), day=TODAY + timedelta(days=6))
    in_baitutan = create_session(venue=create_venue(township=baitutan))
    create_session(venue=create_venue(township=pukou), day=TODAY + timedelta(days=7))
    create_session(venue=create_venue(township=pukou), kind=SessionKind.SURGERY, slots=0)
    create_session(venue=create_venue(township=pukou), status=SessionStatus.DRAFT)

    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="zh-CN">' in response.text
    assert "本周专家排班" in response.text
    sections = re.findall(r'<h2 id="t(\d+)">', response.text)
    assert sorted(int(s) for s in sections) == sorted([pukou.id, baitutan.id])
    assert sorted(int(m) for m in re.findall(r'href="/sessions/(\d+)"', response.text)) == sorted(
        [in_pukou.id, in_baitutan.id]
    )


def test_home_caps_each_township_and_links_to_the_rest(db, client):
    town = create_township()
    venue = create_venue(township=town)
    for hour in range(8, 15):
        create_session(venue=venue, start=time(hour, 0), hours=0.5, slots=1)

    response = client.get("/")

    assert len(re.findall(r'href="/sessions/\d+"', response.text)) == 5
    assert f"township={town.id}" in response.text
    assert "7 场" in response.text
    # At 09:00 the 08:00, 09:00 and 10:00 sessions have closed online (an hour before).
    assert re.findall(r'<span class="state state-\w+">([^<]+)</span>', response.text) == [
        "已截止 · 请到现场挂号"] * 3 + ["余 5"] * 2


def test_healthz_reports_database_and_heartbeat_age(db, client):
    assert client.get("/healthz").get_json() == {
        "status": "ok", "database": "ok", "scheduler_heartbeat_age_s": None
    }

    write_heartbeat(now=NOW - timedelta(seconds=42))
    db.session.commit()

    assert client.get("/healthz").get_json()["scheduler_heartbeat_age_s"] == 42


def test_write_heartbeat_updates_the_one_row(db):
    write_heartbeat(now=utcnow())
    write_heartbeat(now=NOW)

    from app.core.models import SchedulerHeartbeat

    beats = db.session.query(SchedulerHeartbeat).all()
    assert [(b.name, b.beat_dt) for b in beats] == [("main", NOW)]


def test_scheduler_registers_every_job_in_one_place(app):
    from app.scheduler import build_scheduler

    scheduler = build_scheduler(app)

    assert sorted(job.id for job in scheduler.get_jobs()) == [
        "close_past_sessions", "expire_offers", "heartbeat", "offer_free_places",
        "purge_dead", "purge_expired", "purge_old_responses", "sweep_outbox"]


def test_every_scheduler_job_runs_against_a_real_database(scratch_url):
    """Each job as the scheduler runs it: its own app context, write lock, one commit."""
    import flask_migrate

    from app.core.models import SchedulerHeartbeat
    from app.extensions import db as _db
    from app.scheduler import build_scheduler
    from tests.conftest import make_app

    app = make_app(scratch_url)
    with app.app_context():
        flask_migrate.upgrade()
    for job in build_scheduler(app).get_jobs():
        job.func()
    with app.app_context():
        assert _db.session.get(SchedulerHeartbeat, "main") is not None
        _db.session.remove()
        _db.engine.dispose()


def test_my_township_next_week_at_once(db, client):
    """Issue #16, item 5: a chip picks the resident's township, remembered on this
    device; a 7-day date strip marks the days with sessions; a day shows only its own."""
    mine, other = create_township(), create_township()
    venue = create_venue(township=mine)
    first = create_session(venue=venue, day=TODAY + timedelta(days=1))
    second = create_session(venue=venue, day=TODAY + timedelta(days=3))
    elsewhere = create_session(venue=create_venue(township=other),
                               day=TODAY + timedelta(days=1))
    db.session.commit()

    overview = client.get("/").text
    assert f'href="/?township={mine.id}"' in overview  # the chips
    picked = client.get(f"/?township={mine.id}")
    assert "xq_township" in picked.headers["Set-Cookie"]
    for page in (picked.text, client.get("/").text):  # remembered
        assert f"{mine.name}近7天排班" in page
        assert len(re.findall(r'<a class="date', page)) == 7
        assert len(re.findall(r'<a class="date has-sessions"', page)) == 2
        links = re.findall(r'href="/sessions/(\d+)"', page)
        assert links == [str(first.id), str(second.id)] and str(elsewhere.id) not in links

    day = (TODAY + timedelta(days=3)).isoformat()
    one_day = client.get(f"/?township={mine.id}&day={day}").text
    assert re.findall(r'href="/sessions/(\d+)"', one_day) == [str(second.id)]
    assert 'aria-current="date"' in one_day

    forgot = client.get("/?township=all")
    assert "xq_township=;" in forgot.headers["Set-Cookie"]
    assert "近7天排班" not in client.get("/").text
    for bad in ("/?township=abc", "/?township=99999", f"/?township={mine.id}&day=x"):
        assert client.get(bad).status_code == 200

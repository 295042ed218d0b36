"""Review item 2 (issue #14): an import must not hold the database's write lock while it
reads, expands and checks its file, so a resident's booking never waits for it.

These tests commit for real on a database of the tier's kind of their own (a SQLite
file, or a scratch PostgreSQL database), beside a real threaded server: the ``db``
fixture's rolled-back outer transaction is one connection and could show no lock wait.
"""

import sys
import threading
from datetime import date, time, timedelta

import dateutil.rrule
import pytest
from sqlalchemy import event, func, select

from app.calendar.importing import import_busy_ics, import_ics
from app.core.time import utcnow
from app.directory.models import Expert
from app.extensions import db
from app.scheduling.models import ExpertBusy, Session, Slot
from tests.bookings.test_concurrency import Browser, _booked, _field, _residents, served
from tests.factories import TODAY, create_admin, create_expert, create_session, create_venue

RRULE_SOURCE = dateutil.rrule.__file__
GIVE_UP_S = 120  # only so that a broken build fails instead of hanging; never asserted
CAL = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//xq review 2//EN\r\n{events}END:VCALENDAR\r\n"
EVENT = ("BEGIN:VEVENT\r\nUID:{uid}@review-2\r\nDTSTAMP:20261101T000000Z\r\n"
         "DTSTART;TZID=Asia/Shanghai:20270104T080000\r\n"
         "DTEND;TZID=Asia/Shanghai:20270104T113000\r\n"
         "RRULE:FREQ=DAILY;COUNT={count}\r\nSUMMARY:门诊\r\nEND:VEVENT\r\n")


def _calendar(count: int, events: int) -> bytes:
    return CAL.format(events="".join(EVENT.format(uid=i, count=count)
                                     for i in range(events))).encode()


# Like the 710-byte file: five daily rules of 19,999 occurrences each.
OVER_CAP = _calendar(19999, 5)
# The largest file the schedule import accepts: 2,000 clinics of 7 slots each.
LARGEST = _calendar(2000, 1)
FAILED = "导入失败，没有导入任何内容：发现 1 个问题。"


class PauseInExpansion:
    """Holds the thread that installs it at its first call into python-dateutil's rrule
    module — the expansion of the file's recurrence rules, in the middle of reading the
    file — until ``release`` is set. A profile hook (``sys.setprofile``, this thread
    only) sees the call; nothing of the application is patched."""

    def __init__(self):
        self.entered, self.release = threading.Event(), threading.Event()

    def install(self) -> None:
        sys.setprofile(self._profile)

    def _profile(self, frame, event, _arg) -> None:
        if event == "call" and frame.f_code.co_filename == RRULE_SOURCE:
            sys.setprofile(None)
            self.entered.set()
            self.release.wait(GIVE_UP_S)


def _schedule_import(raw: bytes):
    """``flask import ics`` with the file: the command reads it, imports, commits."""
    def run(app, world, tmp_path):
        path = tmp_path / "schedule.ics"
        path.write_bytes(raw)
        result = app.test_cli_runner().invoke(args=[
            "import", "ics", str(path), "--venue", str(world["venue"]),
            "--expert", str(world["expert"]), "--as", world["admin_phone"]])
        return result.exit_code, result.output.splitlines()
    return run


def _busy_upload(app, world, _tmp_path):
    """The busy-time page's transaction: the service, then commit or roll back."""
    with app.app_context():
        result = import_busy_ics(OVER_CAP, expert_id=world["expert"], by=None, now=utcnow())
        if result.ok:
            db.session.commit()
        else:
            db.session.rollback()
        return [p.reason for p in result.errors]


CASES = {
    "over-cap schedule": (_schedule_import(OVER_CAP), (1, [
        FAILED, "file: 一次最多导入 2000 场，这个文件超过了 2000 场，请分批导入"])),
    "2,000 sessions": (_schedule_import(LARGEST), (0, [
        "已导入 2000 个草稿场次（其中 0 个为停诊），请在工作台核对后发布。"])),
    "over-cap busy times": (_busy_upload, [
        "一次最多上传 5000 段忙碌时间，这个文件超过了 5000 段，请缩短日历的时间范围后再上传"]),
}


def _world(app) -> dict:
    """A venue, the importing expert, an admin, and another expert's published clinic."""
    with app.app_context():
        venue = create_venue()
        expert = create_expert(name="张医生")
        admin = create_admin()
        clinic = create_session(day=TODAY + timedelta(days=2), start=time(9, 0), slots=1)
        db.session.commit()
        world = {"venue": venue.id, "venue_name": venue.name, "expert": expert.id,
                 "admin_phone": admin.phone, "slot": clinic.slots[0].id}
        db.session.remove()
    return world


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in (Session, Slot, ExpertBusy))
        db.session.remove()
    return counts


@pytest.mark.parametrize("case", CASES)
def test_review_2_booking_commits_while_an_import_reads_its_file(scratch_url, tmp_path, case):
    """A booking started while an import is reading its file commits before the import
    returns — shown by order, not by time.

    The import runs in a thread of its own, on production's transaction path (the
    ``flask import ics`` command, or the busy-time page's service-then-commit), against
    the served app's database. ``PauseInExpansion`` stops that thread inside the
    expansion of the file's RRULEs, where the old code spent 27 s holding SQLite's write
    lock (it took the lock before reading the file), and keeps it there. Only then does
    a resident post the booking form to the real server. The booking must commit while
    the import is still held; then the import is let go, finishes as usual (the over-cap
    files refused, the 2,000 sessions written), and the order in which the two finished
    is booking, then import. Had the import held the write lock while reading, the
    booking would have waited for a lock that cannot be released until the booking is
    done: it gives up ("database is locked") and the test fails, however fast or slow
    the machine. On PostgreSQL no import takes a table or database lock, so the same
    test shows that nothing in the read phase blocks a booking there either."""
    run_import, expected = CASES[case]
    with served(scratch_url, 4) as (app, base):
        world = _world(app)
        before = _counts(app)
        browser = Browser(base)
        browser.login(_residents(app, 1)[0])
        _, page, _ = browser.request(f"/slots/{world['slot']}/book")
        form = {name: _field(page, name) for name in ("csrf_token", "nonce")}
        form["patient"] = _field(page, "patient")
        pause, finished, outcome = PauseInExpansion(), [], {}

        def import_thread():
            pause.install()
            try:
                outcome["import"] = run_import(app, world, tmp_path)
            except Exception as exc:  # reported by the assertions below
                outcome["import"] = exc
            finally:
                sys.setprofile(None)
                finished.append("import")
                pause.entered.set()  # never leave the test waiting for a pause that missed

        importer = threading.Thread(target=import_thread)
        importer.start()
        try:
            assert pause.entered.wait(GIVE_UP_S)
            assert finished == [], f"the import never reached its expansion: {outcome}"
            status, _, location = browser.request(f"/slots/{world['slot']}/book", form)
            finished.append("booking")
        finally:
            pause.release.set()
            importer.join(GIVE_UP_S)

        assert (status, location.startswith("/bookings/")) == (302, True)
        assert finished == ["booking", "import"]
        assert outcome["import"] == expected
        assert _booked(app, world["slot"]) == (1, 1)
        created = 2000 if case == "2,000 sessions" else 0
        assert _counts(app) == (before[0] + created, before[1] + 7 * created, before[2])


SINGLE = ("BEGIN:VEVENT\r\nUID:{day}@review-2\r\nDTSTAMP:20261101T000000Z\r\n"
          "DTSTART;TZID=Asia/Shanghai:{day}T080000\r\nDTEND;TZID=Asia/Shanghai:{day}T113000\r\n"
          "SUMMARY:门诊\r\nEND:VEVENT\r\n")


class PauseAfterStatement:
    """Holds one thread after the first statement it runs that mentions ``table``,
    until ``release`` is set: a SQLAlchemy event listener (``after_cursor_execute``, a
    public hook on the engine) that lets every other thread pass."""

    def __init__(self, engine, table: str):
        self.engine, self.table = engine, table
        self.thread: int | None = None
        self.entered, self.release = threading.Event(), threading.Event()

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "after_cursor_execute", self._after)
        self.release.set()

    def _after(self, _conn, _cursor, statement, *_args) -> None:
        if (threading.get_ident() == self.thread and not self.entered.is_set()
                and self.table in statement):
            self.entered.set()
            self.release.wait(GIVE_UP_S)


def test_review_2_clash_committed_after_the_checks_is_refused_by_the_write(scratch_url):
    """What can be committed between the read phase and the write is checked again
    inside the write. The import is held right after its read phase's last check (its
    read of the expert's busy times, seen by ``PauseAfterStatement``); meanwhile
    another thread plans a session for the same expert at the time of one of the
    file's events and commits it — which it can, since the import holds no write
    lock. Let go, the import's write finds the clash and refuses the whole file. (On
    the old code that commit waited for the lock the import took before anything
    else, and failed.)"""
    days = [date(2027, 1, 4) + timedelta(days=i) for i in range(3)]
    raw = CAL.format(events="".join(SINGLE.format(day=f"{d:%Y%m%d}") for d in days)).encode()
    with served(scratch_url, 4) as (app, _base):
        world = _world(app)
        outcome = {}
        with app.app_context():
            pause = PauseAfterStatement(db.engine, "expert_busy")

        def import_thread():
            pause.thread = threading.get_ident()
            try:
                with app.app_context():
                    result = import_ics(raw, venue_id=world["venue"],
                                        default_expert_id=world["expert"], by=None,
                                        now=utcnow())
                    if result.ok:
                        db.session.commit()
                    else:
                        db.session.rollback()
                    outcome["import"] = [p.reason for p in result.errors]
            finally:
                pause.entered.set()

        with pause:
            importer = threading.Thread(target=import_thread)
            importer.start()
            assert pause.entered.wait(GIVE_UP_S)
            assert "import" not in outcome, f"the import never read busy times: {outcome}"
            try:
                with app.app_context():
                    create_session(day=days[1], start=time(9, 0), hours=2,
                                   venue_id=world["venue"],
                                   experts=[db.session.get(Expert, world["expert"])],
                                   title="加诊")
                    db.session.commit()
                    outcome["planner"] = "committed"
            except Exception as exc:  # reported by the assertions below
                outcome["planner"] = repr(exc)
            pause.release.set()
            importer.join(GIVE_UP_S)
        counts = _counts(app)

    assert outcome["planner"] == "committed"
    assert outcome["import"] == [
        "张医生 1月5日 09:00–11:00 已有安排：加诊 · " + world["venue_name"] + "（时间重叠）"]
    assert counts == (2, 8, 0)  # the other expert's clinic and the planned session

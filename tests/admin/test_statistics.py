"""Issue #18, item 2: the statistics — a small programme with a known answer for every
row of the definitions table; the page, the CSV and the API agree with it for the same
range and grouping; each role sees its own scope."""

import csv
import io
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import update

from app.admin import statistics
from app.bookings.models import Booking, BookingSource, BookingStatus, WaitlistEntry
from app.bookings.models import WaitlistStatus as WS
from app.core.time import local_to_utc
from app.extensions import db
from app.patients.models import Person
from app.scheduling.models import (
    Audience,
    Session,
    SessionKind,
    SessionOutcome,
    SessionStatus,
)
from tests.api.helpers import bearer
from tests.factories import (
    TODAY,
    book_slot,
    create_admin,
    create_coordinator,
    create_expert,
    create_institution,
    create_institution_admin,
    create_patient,
    create_session,
    create_township,
    create_user,
    create_venue,
    make_id_number,
)
from tests.helpers import login_as

FIRST, LAST = TODAY - timedelta(days=20), TODAY
# The expected figures (README's definitions) for the world below.
TOTAL = {"sessions_held": 5, "sessions_stopped": 1, "clinic_visits": 3,
         "residents_served": 2, "no_show_rate": 0.375, "offer_take_rate": 0.5,
         "surgeries": 6, "ward_round_patients": 12, "attendance": 7, "doctors_trained": 2,
         "expert_days": 6, "savings": 900}
BY_TOWNSHIP = {
    "东镇": {"sessions_held": 3, "sessions_stopped": 0, "clinic_visits": 2,
             "residents_served": 2, "no_show_rate": 0.3333, "offer_take_rate": 0.5,
             "surgeries": 6, "ward_round_patients": 0, "attendance": 7, "doctors_trained": 2,
             "expert_days": 4, "savings": 600},
    "西镇": {"sessions_held": 2, "sessions_stopped": 1, "clinic_visits": 1,
             "residents_served": 1, "no_show_rate": 0.5, "offer_take_rate": None,
             "surgeries": 0, "ward_round_patients": 12, "attendance": 0, "doctors_trained": 0,
             "expert_days": 2, "savings": 300},
}
FIELDS = [name for name, _label, _d in statistics.DEFINITIONS]


@pytest.fixture
def world(db):
    east, west = create_township(name="东镇"), create_township(name="西镇")
    v1, v2 = create_venue(township=east, name="东镇卫生院"), create_venue(township=west,
                                                                       name="西镇卫生院")
    i1, i2 = create_institution(name="甲医院"), create_institution(name="乙医院")
    e1, e2 = create_expert(name="甲专家", institution=i1), create_expert(name="乙专家",
                                                                      institution=i2)
    clerk = create_user()
    people = {n: create_patient(id_number=make_id_number(seq=800 + i), name=n)
              for i, n in enumerate("ABCDEF")}
    doctors = [create_patient(id_number=make_id_number(seq=900 + i)) for i in range(3)]

    def held(days_ago, kind, venue, experts, status=SessionStatus.COMPLETED,
             bookings=(), outcome=None, audience=Audience.PUBLIC, start=time(8, 0)):
        session = create_session(day=TODAY - timedelta(days=days_ago), start=start,
                                 kind=kind, venue=venue, experts=experts, audience=audience,
                                 slots=1 if kind.has_public_slots else 0, capacity=10,
                                 title="讲座" if kind == SessionKind.LECTURE else "")
        db.session.commit()
        before = session.start_dt - timedelta(hours=1)
        for patient, booking_status in bookings:
            booking = book_slot(session.slots[0].id, patient, by=clerk, now=before,
                                source=BookingSource.FRONT_DESK)
            db.session.commit()
            db.session.execute(update(Booking).where(Booking.id == booking.id)
                               .values(status=booking_status))
            db.session.commit()
        db.session.execute(update(Session).where(Session.id == session.id)
                           .values(status=status))
        if outcome is not None:
            db.session.add(SessionOutcome(session_id=session.id, count=outcome,
                                          recorded_dt=before, updated_dt=before))
        db.session.commit()
        return session

    s = BookingStatus
    s1 = held(10, SessionKind.CLINIC, v1, [e1], bookings=[
        (people["A"], s.CHECKED_IN), (people["B"], s.COMPLETED), (people["C"], s.NO_SHOW),
        (people["D"], s.CANCELLED)])
    held(9, SessionKind.CLINIC, v2, [e2], bookings=[(people["A"], s.COMPLETED),
                                                    (people["E"], s.NO_SHOW)])
    held(9, SessionKind.CLINIC, v2, [e1], status=SessionStatus.STOPPED, start=time(14, 0),
         bookings=[(people["F"], s.STOPPED)])
    held(8, SessionKind.SURGERY, v1, [e1], outcome=6)
    held(8, SessionKind.WARD_ROUND, v2, [e2], outcome=12)
    held(7, SessionKind.LECTURE, v1, [e1, e2], audience=Audience.PROFESSIONAL, outcome=5,
         bookings=[(doctors[0], s.CHECKED_IN), (doctors[1], s.COMPLETED),
                   (doctors[2], s.NO_SHOW)])
    held(40, SessionKind.CLINIC, v1, [e2], bookings=[(people["B"], s.COMPLETED)])  # out of range
    # Waitlist offers at S1: one taken, one expired, one never offered.
    offered = local_to_utc(TODAY - timedelta(days=11), time(9, 0))
    for person, status, when in ((people["E"], WS.ACCEPTED, offered),
                                 (people["F"], WS.EXPIRED, offered),
                                 (people["C"], WS.WAITING, None)):
        db.session.merge(Person(key=person.id_number_hash, active_count=0))
        db.session.add(WaitlistEntry(slot_id=s1.slots[0].id, patient_id=person.id,
                                     person_key=person.id_number_hash,
                                     account_id=person.account_id, status=status,
                                     offered_dt=when, created_dt=offered))
    statistics.set_saving(300, by_id=None, now=datetime.now().astimezone())
    db.session.commit()
    return {"v1": v1, "v2": v2, "i1": i1, "e1": e1}


def _figures(row: dict) -> dict:
    return {name: row[name] for name in FIELDS}


def test_every_definition_has_its_known_answer(world):
    admin = create_admin()
    rows, total, saving = statistics.report(admin, first=FIRST, last=LAST, group="township")

    assert saving == 300
    assert _figures(total.as_dict()) == TOTAL
    assert {r.name: _figures(r.as_dict()) for r in rows} == BY_TOWNSHIP


def test_the_page_the_csv_and_the_api_agree(world, client):
    admin = create_admin()
    login_as(client, admin)
    query = f"start={FIRST.isoformat()}&end={LAST.isoformat()}&group=township"

    page = client.get(f"/admin/statistics?{query}").text
    download = client.get(f"/admin/statistics?{query}&format=csv")
    api = client.get(f"/api/v1/statistics?{query}", headers=bearer(admin)).json

    assert "37.5%" in page and "门诊人次 × 每人次节省金额" in page
    assert download.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert table[0][0] == "乡镇" and table[0][1:] == [
        str(label) for _n, label, _d in statistics.DEFINITIONS]
    by_name = {line[0]: line[1:] for line in table[1:]}
    for name, expected in [*BY_TOWNSHIP.items(), ("合计", TOTAL)]:
        assert by_name[name] == ["" if v is None else str(v) for v in expected.values()], name
        api_row = api["total"] if name == "合计" else next(
            r for r in api["rows"] if r["name"] == name)
        assert _figures(api_row) == expected, name
    assert api["saving_per_visit"] == 300 and "clinic_visits" in api["definitions"]


def test_grouped_by_expert_a_two_expert_session_counts_under_each(world):
    rows, total, _s = statistics.report(create_admin(), first=FIRST, last=LAST,
                                        group="expert")
    held = {r.name: r.sessions_held for r in rows}

    assert held == {"甲专家": 3, "乙专家": 3} and total.sessions_held == 5


def test_each_role_sees_its_scope(world, client):
    coordinator = create_coordinator(world["v2"])
    keeper = create_institution_admin(world["i1"])
    db.session.commit()

    by_venue = statistics.report(coordinator, first=FIRST, last=LAST, group="venue")[0]
    by_expert = statistics.report(keeper, first=FIRST, last=LAST, group="expert")[0]

    assert [r.name for r in by_venue] == ["西镇卫生院"]
    # The institution admin sees their expert's sessions, not a co-expert of another
    # hospital (the lecture both gave counts under theirs only).
    assert {r.name: r.sessions_held for r in by_expert} == {"甲专家": 3}
    login_as(client, create_user())
    assert client.get("/admin/statistics").status_code == 403
    bad = client.get("/api/v1/statistics?group=nonsense", headers=bearer(create_admin()))
    assert bad.status_code == 422


def test_the_statement_count_does_not_grow_with_the_sessions(world):
    from sqlalchemy import event

    admin = create_admin()
    db.session.commit()

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            statistics.report(admin, first=FIRST, last=LAST, group="expert")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    for days_ago in range(1, 15):
        create_session(day=TODAY - timedelta(days=days_ago), venue=world["v1"],
                       experts=[world["e1"]], status=SessionStatus.COMPLETED)
    db.session.commit()
    assert statements() == before


def test_charts_are_svg_with_a_title_and_nothing_from_another_host(world, client):
    import xml.etree.ElementTree as ET

    login_as(client, create_admin())
    query = f"start={FIRST.isoformat()}&end={LAST.isoformat()}"
    for name in statistics.CHARTS:
        response = client.get(f"/admin/statistics/{name}.svg?{query}")
        assert response.mimetype == "image/svg+xml"
        root = ET.fromstring(response.data)
        ns = "{http://www.w3.org/2000/svg}"
        assert root.find(f"{ns}title").text
        text = response.data.decode()
        assert "<script" not in text and "style=" not in text and "<style" not in text
        assert "href" not in text and text.count("http") == 1  # the SVG namespace only
        table = client.get(f"/admin/statistics/{name}.csv?{query}").data
        assert table.startswith(b"\xef\xbb\xbf")  # the BOM
    townships = client.get(f"/admin/statistics/townships.csv?{query}").data.decode("utf-8-sig")
    assert townships.splitlines()[1:] == ["东镇,2", "西镇,1"]  # largest first
    kinds = statistics.chart(create_admin(), "kinds", first=FIRST, last=LAST)
    assert dict(zip(kinds.categories, kinds.series[0][1], strict=True)) == {
        "专家门诊": 0.4, "手术": 0.2, "查房": 0.2, "讲座": 0.2}


def test_cumulative_figures_add_the_years_entered_to_those_counted(world, client):
    admin = create_admin()
    login_as(client, admin)
    for year, visits in ((2024, 1000), (2025, 2000)):
        response = client.post("/admin/statistics/year", data={
            "csrf_token": _token(client), "year": year, "clinic_sessions": 10,
            "clinic_visits": visits, "surgeries": 5, "lectures_forums": 2,
            "attendance": 300, "savings": visits * 300})
        assert response.status_code == 302
    bad = client.post("/admin/statistics/year", data={
        "csrf_token": _token(client), "year": 1999, "clinic_sessions": -1,
        "clinic_visits": 0, "surgeries": 0, "lectures_forums": 0, "attendance": 0,
        "savings": 0}, follow_redirects=True)
    assert "请填写 2000 到 2100 之间的年份" in bad.text

    years, since = statistics.cumulative(admin, today=TODAY)
    # 2026 is counted: S1, S2 and October's clinic; the surgery, the lecture.
    assert [(y.year, y.entered, y.values["clinic_visits"]) for y in years] == [
        (2024, True, 1000), (2025, True, 2000), (2026, False, 4)]
    assert years[-1].values == {"clinic_sessions": 3, "clinic_visits": 4, "surgeries": 6,
                                "lectures_forums": 1, "attendance": 7, "savings": 1200}
    assert since == {"clinic_sessions": 23, "clinic_visits": 3004, "surgeries": 16,
                     "lectures_forums": 5, "attendance": 607, "savings": 901200}
    api = client.get("/api/v1/statistics", headers=bearer(admin)).json
    assert api["since"] == since and [y["year"] for y in api["years"]] == [2024, 2025, 2026]
    table = client.get("/admin/statistics?format=csv&table=years").data.decode("utf-8-sig")
    assert table.splitlines()[-1] == "累计,23,3004,16,5,607,901200"
    # A coordinator sees no programme-wide totals.
    coordinator = create_coordinator(world["v1"])
    db.session.commit()
    assert client.get("/api/v1/statistics", headers=bearer(coordinator)).json["since"] == {}


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client.get("/admin/statistics").text)


def test_a_range_of_centuries_is_refused_not_a_500(world, client):
    admin = create_admin()
    login_as(client, admin)

    for start, end, message in (("0001-01-01", "9999-12-31", "请填写 2000 年到 2100 年之间的日期"),
                                ("2001-01-01", "2099-12-31", "一次最多统计 20 年")):
        query = f"start={start}&end={end}"
        page = client.get(f"/admin/statistics?{query}")
        assert page.status_code == 200 and message in page.text, message
        assert client.get(f"/admin/statistics/months.svg?{query}").status_code == 200
        assert client.get(f"/api/v1/statistics?{query}",
                          headers=bearer(admin)).status_code == 422


def test_a_name_excel_would_run_is_written_as_text(db, client):
    from app.core.csv_export import csv_response

    response = csv_response([["=HYPERLINK(\"http://x\")", "-2", 3]], "x.csv")

    assert list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == [
        ["'=HYPERLINK(\"http://x\")", "'-2", "3"]]

"""Issue #17, items 2 and 3: the directory imported from CSV (UTF-8 with or without BOM,
GB18030 as Excel in China writes it), all or nothing with every problem listed by line —
and a programme started from an empty database up to a resident's first booking."""

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.core.models import AuditEntry
from app.directory.models import Expert, Venue, VenueKind
from app.scheduling.models import Session, SessionStatus
from tests.factories import (
    TODAY,
    create_admin,
    create_institution,
    create_specialty,
    create_township,
)
from tests.helpers import PASSWORD, csrf_token, login, login_as, register

DATA = Path(__file__).resolve().parents[1] / "data" / "directory"
EXPERTS = DATA / "experts-utf8-bom.csv"
VENUES = DATA / "venues-gb18030.csv"


def _directory_basics():
    for name in ("官庄镇", "浦口镇"):
        create_township(name=name)
    for name in ("中南大学湘雅医院", "中南大学湘雅二医院"):
        create_institution(name=name)
    for name in ("心血管内科", "眼科", "骨科"):
        create_specialty(name=name)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, slug: str, path: Path):
    page = f"/admin/directory/{slug}/import"
    token = csrf_token(client.get(page).text)
    return client.post(page, data={"csrf_token": token,
                                   "file": (BytesIO(path.read_bytes()), path.name)},
                       content_type="multipart/form-data")


def test_the_cli_imports_experts_from_utf8_and_venues_from_gb18030(app, db):
    _directory_basics()
    db.session.commit()
    runner = app.test_cli_runner()

    experts = runner.invoke(args=["directory", "import", "experts", str(EXPERTS)])
    venues = runner.invoke(args=["directory", "import", "venues", str(VENUES)])

    assert (experts.exit_code, experts.output) == (0, "imported 20 experts\n")
    assert (venues.exit_code, venues.output) == (0, "imported 5 venues\n")
    db.session.expire_all()
    first = db.session.scalars(select(Expert).order_by(Expert.id)).first()
    assert (first.name, first.title, first.institution.name, first.specialty.name,
            first.native_township.name, first.title_en) == (
        "易建华", "主任医师", "中南大学湘雅医院", "心血管内科", "官庄镇", "Chief Physician")
    kinds = dict(db.session.execute(select(Venue.name, Venue.kind)).all())
    assert kinds["醴陵市中医院"] == VenueKind.CITY_HOSPITAL
    assert kinds["官庄镇东片卫生室"] == VenueKind.TOWNSHIP_CENTRE
    assert kinds["浦口讲堂"] == VenueKind.LECTURE_HALL
    assert _count(db, AuditEntry) == 25  # each row audited


def test_every_problem_is_listed_by_line_and_nothing_is_written(app, db, client):
    _directory_basics()
    login_as(client, create_admin())

    page = _upload(client, "experts", DATA / "experts-with-problems.csv")

    assert page.status_code == 200
    problems = re.findall(r'<li class="error">([^<]+)</li>', page.text)
    assert problems == [
        "第3行：“姓名”不能为空",
        "第4行：找不到医院“不存在的医院”（或已停用）",
        "第5行：找不到专科“牙科”（或已停用）",
        "第5行：找不到乡镇“火星镇”（或已停用）",
    ]
    assert "文件有 4 处问题，没有导入任何一行" in page.text
    assert _count(db, Expert) == 0

    db.session.commit()  # the command opens its own unit of work
    result = app.test_cli_runner().invoke(
        args=["directory", "import", "experts", str(DATA / "experts-with-problems.csv")])
    assert result.exit_code == 1
    assert "第4行：找不到医院“不存在的医院”" in result.output
    assert _count(db, Expert) == 0


def test_the_shape_of_a_bad_file_is_refused_clearly(db, client, tmp_path):
    _directory_basics()
    login_as(client, create_admin())
    cases = {
        "utf16.csv": ("名称,类型,乡镇\n某院,讲堂,官庄镇\n".encode("utf-16"),
                      "文件不是 UTF-8 或 GB18030 编码的 CSV"),
        "columns.csv": ("名称,地址\n某院,某路\n".encode(), "第1行：缺少“类型”这一列"),
        "empty.csv": (b"", "文件是空的"),
        "header-only.csv": ("名称,类型,乡镇\n".encode(), "文件里没有数据行"),
        "twice.csv": ("名称,类型,乡镇\n甲院,讲堂,官庄镇\n甲院,讲堂,官庄镇\n".encode("gb18030"),
                      "第3行：与第2行重名"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        page = _upload(client, "venues", path)
        assert page.status_code == 200, name
        assert message in page.text, (name, re.findall(r'class="error"[^>]*>([^<]+)<', page.text))
    assert _count(db, Venue) == 0


def test_from_an_empty_database_to_the_first_booking(app, db, client):
    """Issue #17, item 3: the admin from the command line, the directory through the
    pages and a CSV import, a session planned and published, a resident's booking."""
    assert _count(db, Expert) == _count(db, Venue) == 0
    created = app.test_cli_runner().invoke(args=[
        "users", "create", "--phone", "13800000000", "--name", "张主任", "--role", "admin",
        "--password", PASSWORD])
    assert created.exit_code == 0, created.output
    assert login(client, "13800000000").status_code == 302

    def post(path: str, data: dict):
        response = client.post(path, data={"csrf_token": csrf_token(client.get(path).text),
                                           **data})
        assert response.status_code == 302, path
        return response

    for name in ("官庄镇", "浦口镇"):
        post("/admin/directory/townships/new", {"name": name, "kind": "town"})
    for name in ("中南大学湘雅医院", "中南大学湘雅二医院"):
        post("/admin/directory/institutions/new", {"name": name, "kind": "hospital",
                                                    "city": "长沙"})
    for name in ("心血管内科", "眼科", "骨科"):
        post("/admin/directory/specialties/new", {"name": name})
    assert _upload(client, "experts", EXPERTS).status_code == 302
    assert _upload(client, "venues", VENUES).status_code == 302
    assert (_count(db, Expert), _count(db, Venue)) == (20, 5)

    venue = db.session.scalars(select(Venue).where(Venue.name == "官庄镇卫生院")).one()
    expert = db.session.scalars(select(Expert).order_by(Expert.id)).first()
    day = TODAY + timedelta(days=2)
    post("/console/sessions/new", {
        "venue": venue.id, "experts": [expert.id], "kind": "clinic", "day": day.isoformat(),
        "start": "08:00", "end": "11:30", "audience": "public", "slot_minutes": "30",
        "per_slot": "5", "status": "published"})
    session = db.session.scalars(select(Session)).one()
    assert session.status == SessionStatus.PUBLISHED

    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})
    resident = app.test_client()
    assert register(resident, "13912345678", name="易秋菊").status_code == 302
    form = resident.get(f"/slots/{session.slots[0].id}/book").text
    patient = re.search(r'name="patient"[^>]*value="(\d+)"', form).group(1)
    booked = resident.post(f"/slots/{session.slots[0].id}/book", data={
        "csrf_token": csrf_token(form), "patient": patient,
        "nonce": re.search(r'name="nonce"[^>]*value="([^"]+)"', form).group(1)})
    assert booked.status_code == 302
    db.session.expire_all()
    booking = db.session.scalars(select(Booking)).one()
    assert (booking.status, booking.queue_number) == (BookingStatus.CONFIRMED, 1)

"""Issue #17, item 1 (pages): the programme office keeps the directory — creates and
edits townships, institutions, specialties, venues and experts, retires and restores
them (refused while future published sessions use them), every change audited."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.models import AuditEntry
from app.directory.models import (
    Expert,
    Institution,
    Specialty,
    Township,
    TownshipKind,
    Venue,
    VenueKind,
)
from tests.factories import (
    TODAY,
    create_admin,
    create_coordinator,
    create_expert,
    create_session,
    create_township,
    create_venue,
)
from tests.helpers import csrf_token, login_as


def _post(client, path: str, data: dict, *, page: str | None = None):
    token = csrf_token(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **data})


def _errors(html: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]+)<', html)


@pytest.fixture
def admin(db, client):
    user = create_admin()
    login_as(client, user)
    return user


def test_the_office_builds_the_directory_from_nothing(db, client, admin):
    steps = [
        ("townships", {"name": "官庄镇", "kind": "town"}),
        ("institutions", {"name": "中南大学湘雅二医院", "name_en": "Second Xiangya Hospital",
                          "kind": "hospital", "city": "长沙"}),
        ("specialties", {"name": "心血管内科", "name_en": "Cardiology"}),
    ]
    for slug, data in steps:
        response = _post(client, f"/admin/directory/{slug}/new", data)
        assert response.status_code == 302, _errors(response.text)
    township = db.session.scalars(select(Township)).one()
    institution = db.session.scalars(select(Institution)).one()
    specialty = db.session.scalars(select(Specialty)).one()
    assert (township.kind, institution.name_en, specialty.name_en) == (
        TownshipKind.TOWN, "Second Xiangya Hospital", "Cardiology")

    response = _post(client, "/admin/directory/venues/new", {
        "name": "官庄镇卫生院", "kind": "township_centre", "township_id": township.id,
        "address": "官庄镇人民路 8 号", "phone": "0731-23456789",
        "directions": "醴陵汽车站坐 12 路到官庄站，下车往北 200 米"})
    assert response.status_code == 302, _errors(response.text)
    response = _post(client, "/admin/directory/experts/new", {
        "name": "易建华", "title": "主任医师", "title_en": "Chief Physician",
        "institution_id": institution.id, "specialty_id": specialty.id,
        "native_township_id": township.id, "expertise": "冠心病、高血压", "bio": "官庄人。"})
    assert response.status_code == 302, _errors(response.text)

    venue = db.session.scalars(select(Venue)).one()
    expert = db.session.scalars(select(Expert)).one()
    assert (venue.kind, venue.township_id, venue.directions.startswith("醴陵汽车站")) == (
        VenueKind.TOWNSHIP_CENTRE, township.id, True)
    assert (expert.native_township_id, expert.expertise) == (township.id, "冠心病、高血压")
    # Every change is in the audit log, by whom.
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.actor_id == admin.id).order_by(AuditEntry.id)).all()
    assert actions == ["townships.create", "institutions.create", "specialties.create",
                       "venues.create", "experts.create"]
    # The public pages show the new doctor at once.
    assert "易建华" in client.get(f"/experts/{expert.id}").text


def test_editing_records_what_changed(db, client, admin):
    expert = create_expert(name="刘明", title="副主任医师")

    response = _post(client, f"/admin/directory/experts/{expert.id}", {
        "name": "刘明", "title": "主任医师", "institution_id": expert.institution_id,
        "specialty_id": expert.specialty_id, "expertise": "糖尿病"})

    assert response.status_code == 302, _errors(response.text)
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "experts.update")).one()
    assert entry.before == {"title": "副主任医师", "expertise": ""}
    assert entry.after == {"title": "主任医师", "expertise": "糖尿病"}


def test_bad_input_gets_a_clear_message_and_changes_nothing(db, client, admin):
    create_township(name="官庄镇")

    taken = _post(client, "/admin/directory/townships/new", {"name": "官庄镇", "kind": "town"})
    empty = _post(client, "/admin/directory/townships/new", {"name": " ", "kind": "town"})
    odd = _post(client, "/admin/directory/townships/new", {"name": "新镇", "kind": "city"})
    long = _post(client, "/admin/directory/specialties/new", {"name": "科" * 41})
    ghost = _post(client, "/admin/directory/venues/new", {
        "name": "某卫生院", "kind": "township_centre", "township_id": 999999})

    assert [r.status_code for r in (taken, empty, odd, long, ghost)] == [200] * 5
    assert _errors(taken.text) == ["已经有叫“官庄镇”的了"]
    assert _errors(empty.text) == ["请填写名称"]
    assert _errors(odd.text) and _errors(long.text) and _errors(ghost.text)
    assert db.session.scalars(select(Township.name)).all() == ["官庄镇"]
    assert db.session.scalars(select(Venue)).all() == []
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_retiring_keeps_history_and_is_refused_while_sessions_are_to_come(db, client, admin):
    venue = create_venue(name="官庄镇卫生院")
    session = create_session(venue=venue, day=TODAY + timedelta(days=3))
    past = create_session(venue=create_venue(), day=TODAY - timedelta(days=3),
                          experts=session.experts)
    expert = session.experts[0]

    refused = _post(client, f"/admin/directory/venues/{venue.id}/enabled", {"enabled": "0"},
                    page="/admin/directory/venues")
    follow = client.get(refused.headers["Location"]).text
    assert "还有 1 场已发布、尚未开始的场次用到它" in follow
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).is_enabled is True

    session.status = session.status.STOPPED
    db.session.commit()
    for slug, thing in (("venues", venue), ("experts", expert)):
        done = _post(client, f"/admin/directory/{slug}/{thing.id}/enabled", {"enabled": "0"},
                     page=f"/admin/directory/{slug}")
        assert done.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Venue, venue.id).is_enabled,
            db.session.get(Expert, expert.id).is_enabled) == (False, False)
    # Out of lists and new plans; the past session keeps its expert and venue.
    assert "官庄镇卫生院" not in client.get("/venues").text
    assert client.get(f"/experts/{expert.id}").status_code == 404
    assert db.session.get(type(past), past.id).experts[0].id == expert.id
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            ] == ["venues.retire", "experts.retire"]

    back = _post(client, f"/admin/directory/venues/{venue.id}/enabled", {"enabled": "1"},
                 page="/admin/directory/venues")
    assert back.status_code == 302
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).is_enabled is True


def test_a_retired_township_is_not_offered_for_a_new_venue(db, client, admin):
    create_township(name="旧镇", is_enabled=False)
    kept = create_township(name="新镇")

    form = client.get("/admin/directory/venues/new").text

    assert "旧镇" not in form and f'value="{kept.id}"' in form


def test_only_admins_keep_the_directory(db, client):
    login_as(client, create_coordinator(create_venue()))

    assert client.get("/admin/directory").status_code == 403
    assert client.get("/admin/directory/experts/new").status_code == 403
    assert client.get("/admin/directory/nonsense").status_code == 403


def test_the_directory_pages_in_english(db, client, admin):
    client.set_cookie("lang", "en")
    page = client.get("/admin/directory").text
    assert "Directory" in page and "Hospitals and institutions" in page
    assert "Name" in client.get("/admin/directory/experts/new").text


def test_experts_who_share_a_name_are_told_apart_by_title_specialty_and_hospital(
        db, client, admin):
    first, second = create_expert(name="唐斌"), create_expert(name="唐斌")
    db.session.commit()

    page = client.get("/admin/directory/experts?q=唐斌").text

    for expert in (first, second):
        assert (f"{expert.title} · {expert.specialty.name} · {expert.institution.name}"
                in page)


def test_the_audit_log_names_directory_changes_in_words(db, client, admin):
    township = create_township(name="沩山乡")
    db.session.commit()
    path = f"/admin/directory/townships/{township.id}"
    _post(client, path, {"name": "沩山镇", "kind": "town"})
    specialty = Specialty(name="眼科")
    db.session.add(specialty)
    db.session.commit()
    _post(client, "/admin/directory/experts/new", {
        "name": "唐斌", "title": "副主任医师", "institution_id": create_expert().institution_id,
        "specialty_id": specialty.id, "native_township_id": township.id,
    }, page="/admin/directory/experts/new")

    page = client.get("/admin/audit").text

    for words in ("修改乡镇", "乡镇 #", "名称: 沩山乡 → 沩山镇", "新建专家", "姓名: 唐斌",
                  "职称: 副主任医师", "科室: ", "家乡: "):
        assert words in page
    for code in ("townships.update", "experts.create", "specialty_id", "native_township_id"):
        assert code not in page


def test_retiring_from_the_list_is_a_confirm_step(db, client, admin):
    township = create_township(name="沩山乡")
    db.session.commit()

    page = client.get("/admin/directory/townships").text

    assert "停用“沩山乡”：不再出现在公开页面和排班的选项里" in page
    assert re.search(r'<summary class="button">停用</summary>', page)
    assert page.count('name="enabled" value="0"') == 1  # only the confirm step's button
    assert db.session.get(Township, township.id).is_enabled

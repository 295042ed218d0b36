"""/admin/users: only the programme admin creates, changes, enables and disables staff
accounts."""

import re

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.core.models import AuditEntry
from app.directory.models import (
    Expert,
    ExpertAssistant,
    InstitutionAdmin,
    TownshipDoctor,
    VenueCoordinator,
    VenueKind,
)
from tests.factories import (
    NOW,
    create_expert,
    create_expert_user,
    create_institution,
    create_user,
    create_venue,
)
from tests.helpers import PASSWORD, login, login_as, post_form


def _admin(db):
    admin = create_user(phone="13800000000", name="管理员", roles=(Role.ADMIN,))
    db.session.commit()
    return admin


def _create(client, **overrides):
    data = {"phone": "13810000001", "name": "刘排班", "password": "first-password",
            "roles": ["coordinator"], **overrides}
    return post_form(client, "/admin/users/new", data)


def test_admin_pages_send_visitors_to_the_login(db, client):
    response = client.get("/admin/users")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fadmin%2Fusers"


def test_admin_pages_are_forbidden_to_residents_and_other_staff(db, client):
    for roles in ((Role.RESIDENT,), (Role.COORDINATOR, Role.EXPERT)):
        login_as(client, create_user(roles=roles))

        assert client.get("/admin/users").status_code == 403
        assert "没有权限查看这个页面" in client.get("/admin/users/new").text
        assert post_form(client, "/admin/users/1/enabled", {"enabled": "0"},
                         page="/").status_code == 403


def test_admin_creates_a_coordinator_with_venues(db, client):
    admin = _admin(db)
    first, second, _other = create_venue(), create_venue(), create_venue()
    db.session.commit()
    login_as(client, admin)

    response = _create(client, venues=[str(first.id), str(second.id)])

    assert response.headers["Location"] == "/admin/users"
    user = db.session.scalar(select(User).where(User.phone == "13810000001"))
    assert (user.name, user.roles, user.is_enabled) == ("刘排班", {Role.COORDINATOR}, True)
    assert sorted(db.session.scalars(
        select(VenueCoordinator.venue_id).where(VenueCoordinator.user_id == user.id))) == [
        first.id, second.id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create"))
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.created_dt) == (
        admin.id, "users", user.id, NOW)
    assert entry.after == {"phone": "13810000001", "name": "刘排班", "roles": ["coordinator"],
                           "venue_ids": sorted([first.id, second.id]), "expert_ids": []}
    html = client.get("/admin/users").text
    assert f"地点：{first.name}、{second.name}" in html
    assert login(client.application.test_client(), "13810000001",
                 "first-password").status_code == 302


def test_admin_creates_an_expert_and_an_assistant(db, client):
    admin = _admin(db)
    expert = create_expert()
    db.session.commit()
    login_as(client, admin)

    _create(client, phone="13700000001", name=expert.name, roles=["expert"],
            experts=[str(expert.id)])
    _create(client, phone="13820000001", name="助手小李", roles=["assistant"],
            experts=[str(expert.id)])

    db.session.expire_all()
    expert_user = db.session.scalar(select(User).where(User.phone == "13700000001"))
    assistant = db.session.scalar(select(User).where(User.phone == "13820000001"))
    assert db.session.get(Expert, expert.id).user_id == expert_user.id
    assert list(db.session.scalars(select(ExpertAssistant.user_id).where(
        ExpertAssistant.expert_id == expert.id))) == [assistant.id]


def test_staff_form_refusals_are_form_errors_and_create_nothing(db, client):
    admin = _admin(db)
    venue, expert = create_venue(), create_expert()
    db.session.commit()
    login_as(client, admin)
    cases = [
        ({"roles": []}, "请至少选择一个工作人员角色"),
        ({"roles": ["coordinator"]}, "排班员要选择负责的地点"),
        ({"roles": ["admin"], "venues": [str(venue.id)]}, "只有排班员需要选择地点"),
        ({"roles": ["expert"]}, "专家账号要选择对应的一位专家"),
        ({"roles": ["assistant"]}, "助手要选择协助的专家"),
        ({"roles": ["expert", "assistant"], "experts": [str(expert.id)]},
         "专家和助手请分别建账号"),
        ({"phone": "13800000000", "roles": ["admin"]}, "这个手机号已经有账号了"),
        ({"password": "short", "roles": ["admin"]}, "密码要8到128位"),
    ]
    for overrides, message in cases:
        response = _create(client, **overrides)

        assert response.status_code == 200, overrides
        assert message in response.text, (overrides, re.findall(r"error[^>]*>[^<]+", response.text))
    assert db.session.scalar(select(User.id).where(User.phone == "13810000001")) is None


def test_disable_and_enable_a_staff_account(app, db, client):
    admin = _admin(db)
    staff = create_user(phone="13810000009", roles=(Role.COORDINATOR,), password=PASSWORD)
    db.session.commit()
    staff_browser = app.test_client()
    login(staff_browser, staff.phone)
    login_as(client, admin)

    # A confirm step says what it does.
    assert "停用测试用户的账号：本人马上退出登录" in client.get("/admin/users").text
    response = post_form(client, f"/admin/users/{staff.id}/enabled", {"enabled": "0"},
                         page="/admin/users")

    assert response.headers["Location"] == f"/admin/users#user-{staff.id}"
    assert "已停用测试用户的账号" in client.get("/admin/users").text
    db.session.expire_all()
    assert db.session.get(User, staff.id).is_enabled is False
    assert staff_browser.get("/account").status_code == 302  # its session ended
    assert "这个账号已停用，请联系管理员" in login(app.test_client(), staff.phone).text
    post_form(client, f"/admin/users/{staff.id}/enabled", {"enabled": "1"}, page="/admin/users")
    db.session.expire_all()
    assert db.session.get(User, staff.id).is_enabled is True
    assert [(e.action, e.before, e.after) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == staff.id).order_by(AuditEntry.id))] == [
        ("user.disable", {"is_enabled": True}, {"is_enabled": False}),
        ("user.enable", {"is_enabled": False}, {"is_enabled": True}),
    ]


def test_admin_cannot_disable_themself(db, client):
    admin = _admin(db)
    login_as(client, admin)

    post_form(client, f"/admin/users/{admin.id}/enabled", {"enabled": "0"}, page="/admin/users")

    assert "不能停用自己的账号" in client.get("/admin/users").text
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_enabled is True


def test_staff_list_shows_staff_with_roles_not_residents(db, client):
    admin = _admin(db)
    create_user(name="居民甲")
    create_user(name="排班乙", roles=(Role.COORDINATOR, Role.ADMIN))
    db.session.commit()
    login_as(client, admin)

    html = client.get("/admin/users").text

    assert re.findall(r"<strong>(\S+) <span", html) == ["管理员", "排班乙"]
    assert "居民甲" not in html


def test_admin_creates_an_institution_admin_and_a_township_doctor(db, client):
    admin = _admin(db)
    institution = create_institution(name="中南大学湘雅医院")
    centre = create_venue(name="官庄镇卫生院")
    db.session.commit()
    login_as(client, admin)

    first = _create(client, phone="13830000001", name="湘雅小周",
                    roles=["institution_admin"], institution=str(institution.id))
    second = _create(client, phone="13840000001", name="官庄刘医生",
                     roles=["township_doctor"], centre=str(centre.id))

    assert (first.status_code, second.status_code) == (302, 302)
    keeper = db.session.scalar(select(User).where(User.phone == "13830000001"))
    doctor = db.session.scalar(select(User).where(User.phone == "13840000001"))
    assert keeper.roles == {Role.INSTITUTION_ADMIN} and doctor.roles == {Role.TOWNSHIP_DOCTOR}
    assert db.session.scalars(select(InstitutionAdmin.institution_id).where(
        InstitutionAdmin.user_id == keeper.id)).all() == [institution.id]
    assert db.session.get(TownshipDoctor, doctor.id).venue_id == centre.id
    html = client.get("/admin/users").text
    assert "医院：中南大学湘雅医院" in html and "卫生院：官庄镇卫生院" in html


def test_the_new_roles_need_their_place_and_only_they_take_one(db, client):
    admin = _admin(db)
    institution = create_institution()
    hospital = create_venue(kind=VenueKind.CITY_HOSPITAL)
    db.session.commit()
    login_as(client, admin)
    cases = [
        ({"roles": ["institution_admin"]}, "医院管理员要选择一家医院，其他角色不选"),
        ({"roles": ["admin"], "institution": str(institution.id)},
         "医院管理员要选择一家医院，其他角色不选"),
        ({"roles": ["township_doctor"]}, "乡镇医生要选择所在的卫生院，其他角色不选"),
        ({"roles": ["township_doctor"], "centre": str(hospital.id)}, "不是有效的选择"),
    ]
    for overrides, message in cases:
        response = _create(client, **overrides)

        assert response.status_code == 200, overrides
        assert message in response.text, (overrides, re.findall(r"error[^>]*>[^<]+", response.text))
    assert db.session.scalar(select(User.id).where(User.phone == "13810000001")) is None


def test_a_township_doctor_works_at_a_township_health_centre(db):
    from app.admin.services import create_staff
    from app.core.errors import DomainError

    hospital = create_venue(kind=VenueKind.CITY_HOSPITAL)
    db.session.commit()

    with pytest.raises(DomainError, match="乡镇医生要选择一家乡镇卫生院"):
        create_staff(phone="13840000002", name="某医生", password="first-password",
                     roles=[Role.TOWNSHIP_DOCTOR], centre_id=hospital.id, by_id=None, now=NOW)


# --- changing an account -------------------------------------------------------------


def _edit(client, user, **data):
    return post_form(client, f"/admin/users/{user.id}", data)


def _links(db, user_id):
    return (sorted(db.session.scalars(select(VenueCoordinator.venue_id)
                                      .where(VenueCoordinator.user_id == user_id))),
            sorted(db.session.scalars(select(ExpertAssistant.expert_id)
                                      .where(ExpertAssistant.user_id == user_id))))


def test_the_change_page_shows_what_the_account_holds(db, client):
    admin = _admin(db)
    first, second = create_venue(name="浦口镇卫生院"), create_venue(name="官庄镇卫生院")
    staff = create_user(name="刘排班", phone="13810000009", roles=(Role.COORDINATOR,))
    db.session.add(VenueCoordinator(venue_id=second.id, user_id=staff.id))
    login_as(client, admin)

    assert f'href="/admin/users/{staff.id}"' in client.get("/admin/users").text
    html = client.get(f"/admin/users/{staff.id}").text

    assert "修改工作人员账号" in html and "13810000009" in html and 'value="刘排班"' in html
    assert re.search(r'<input checked[^>]*value="coordinator"', html)
    assert re.search(rf'<option selected value="{second.id}">官庄镇卫生院', html)
    assert re.search(rf'<option value="{first.id}">浦口镇卫生院', html)
    assert 'name="phone"' not in html  # the login stays


def test_a_coordinator_moves_to_another_venue_and_becomes_an_admin(app, db, client):
    admin = _admin(db)
    first, second = create_venue(), create_venue()
    staff = create_user(name="刘排班", roles=(Role.COORDINATOR, Role.RESIDENT),
                        password=PASSWORD)
    db.session.add(VenueCoordinator(venue_id=first.id, user_id=staff.id))
    login_as(client, admin)
    staff_browser = app.test_client()
    login(staff_browser, staff.phone)

    response = _edit(client, staff, name="刘排班长", roles=["coordinator", "admin"],
                     venues=[str(second.id)])

    assert response.headers["Location"] == f"/admin/users#user-{staff.id}"
    db.session.expire_all()
    user = db.session.get(User, staff.id)
    assert (user.name, user.roles) == ("刘排班长", {Role.COORDINATOR, Role.ADMIN, Role.RESIDENT})
    assert _links(db, staff.id) == ([second.id], [])
    assert staff_browser.get("/admin/users").status_code == 200  # at once, still signed in
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert (entry.actor_id, entry.object_id) == (admin.id, staff.id)
    assert (entry.before, entry.after) == (
        {"name": "刘排班", "roles": ["coordinator"], "venue_ids": [first.id]},
        {"name": "刘排班长", "roles": ["admin", "coordinator"], "venue_ids": [second.id]})
    assert "已保存刘排班长的账号" in client.get("/admin/users").text
    assert "修改工作人员账号" in client.get("/admin/audit").text


def test_an_assistant_takes_on_another_expert_and_an_expert_account_moves(db, client):
    admin = _admin(db)
    first, second, taken = create_expert(), create_expert(), create_expert()
    assistant = create_user(roles=(Role.ASSISTANT,))
    db.session.add(ExpertAssistant(expert_id=first.id, user_id=assistant.id))
    db.session.flush()
    own = create_expert_user(first)
    create_expert_user(taken)
    login_as(client, admin)

    _edit(client, assistant, name="助手", roles=["assistant"],
          experts=[str(first.id), str(second.id)])
    response = _edit(client, own, name="专家", roles=["expert"], experts=[str(taken.id)])

    assert response.status_code == 200 and "这位专家已经有账号了" in response.text
    _edit(client, own, name="专家", roles=["expert"], experts=[str(second.id)])

    db.session.expire_all()
    assert _links(db, assistant.id) == ([], sorted([first.id, second.id]))
    assert (db.session.get(Expert, first.id).user_id,
            db.session.get(Expert, second.id).user_id) == (None, own.id)


def test_a_new_password_ends_the_accounts_sessions(app, db, client):
    admin = _admin(db)
    venue = create_venue()
    staff = create_user(roles=(Role.COORDINATOR,), password=PASSWORD)
    db.session.add(VenueCoordinator(venue_id=venue.id, user_id=staff.id))
    login_as(client, admin)
    staff_browser = app.test_client()
    login(staff_browser, staff.phone)

    _edit(client, staff, name="测试用户", roles=["coordinator"], venues=[str(venue.id)],
          password="a-new-password")

    assert staff_browser.get("/account").status_code == 302
    assert login(app.test_client(), staff.phone).status_code == 200  # the old one fails
    assert login(app.test_client(), staff.phone, "a-new-password").status_code == 302
    assert [(e.action, e.before, e.after) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == staff.id))] == [
        ("user.password", None, None)]  # nothing changed but the password, never written


def test_change_refusals_are_form_errors_and_change_nothing(db, client):
    admin = _admin(db)
    venue = create_venue()
    staff = create_user(name="刘排班", roles=(Role.COORDINATOR,), password=PASSWORD)
    db.session.add(VenueCoordinator(venue_id=venue.id, user_id=staff.id))
    login_as(client, admin)
    cases = [
        (staff, {"roles": []}, "请至少选择一个工作人员角色"),
        (staff, {"roles": ["coordinator"], "venues": []}, "排班员要选择负责的地点"),
        (staff, {"roles": ["admin"]}, "只有排班员需要选择地点"),
        (staff, {"roles": ["assistant"], "venues": [], "experts": []}, "助手要选择协助的专家"),
        (staff, {"name": " "}, "请输入姓名"),
        (staff, {"password": "short"}, "密码要8到128位"),
        (staff, {"venues": ["99999"]}, "所选的项目不在列表里，请重新选择"),
        (admin, {"roles": ["coordinator"]}, "不能取消自己的管理员角色"),
    ]
    for user, overrides, message in cases:
        data = {"name": "新名字", "roles": ["coordinator"], "venues": [str(venue.id)],
                **overrides}
        response = _edit(client, user, **data)

        assert response.status_code == 200, overrides
        assert message in response.text, (overrides, re.findall(r"error[^>]*>[^<]+", response.text))
        assert "新名字" in response.text or overrides.get("name")  # what was typed is kept
    db.session.expire_all()
    assert (db.session.get(User, staff.id).name, db.session.get(User, admin.id).roles) == (
        "刘排班", {Role.ADMIN})
    assert _links(db, staff.id) == ([venue.id], [])
    assert db.session.scalar(select(AuditEntry.id)) is None


def test_a_retired_venue_can_be_kept_but_not_newly_given(db, client):
    admin = _admin(db)
    retired, other_retired = create_venue(is_enabled=False), create_venue(is_enabled=False)
    staff = create_user(roles=(Role.COORDINATOR,))
    db.session.add(VenueCoordinator(venue_id=retired.id, user_id=staff.id))
    login_as(client, admin)

    refused = _edit(client, staff, name="测试用户", roles=["coordinator"],
                    venues=[str(retired.id), str(other_retired.id)])
    kept = _edit(client, staff, name="改名", roles=["coordinator"], venues=[str(retired.id)])

    assert refused.status_code == 200 and "所选的项目不在列表里" in refused.text
    assert kept.status_code == 302
    assert _links(db, staff.id) == ([retired.id], [])


def test_only_staff_accounts_are_changed_here(db, client):
    admin = _admin(db)
    resident = create_user(roles=(Role.RESIDENT,))
    coordinator = create_user(roles=(Role.COORDINATOR,))
    login_as(client, admin)

    assert client.get(f"/admin/users/{resident.id}").status_code == 404
    assert client.get("/admin/users/999999").status_code == 404
    login_as(client, coordinator)
    assert client.get(f"/admin/users/{coordinator.id}").status_code == 403


def test_the_staff_list_finds_by_name_phone_or_role_and_pages(db, client):
    admin = _admin(db)
    create_user(name="排班甲", phone="13810000001", roles=(Role.COORDINATOR,))
    create_user(name="助手乙", phone="13820000002", roles=(Role.ASSISTANT,))
    for n in range(55):
        create_user(name=f"专家{n}", phone=f"137{n:08d}", roles=(Role.EXPERT,))
    login_as(client, admin)

    def names(path):
        return re.findall(r"<strong>(\S+) <span", client.get(path).text)

    assert names("/admin/users?q=排班") == ["排班甲"]
    assert names("/admin/users?q=13820000002") == ["助手乙"]
    assert names("/admin/users?role=coordinator") == ["排班甲"]
    assert names("/admin/users?role=assistant&q=排班") == []
    assert len(names("/admin/users")) == 50
    second = client.get("/admin/users?page=2").text
    assert "2 / 2" in second and "共 58 个账号" in second
    assert len(names("/admin/users?page=2")) == 8
    assert client.get("/admin/users?role=nonsense&page=999999999999").status_code == 200

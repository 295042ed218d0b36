"""An account's patients (就诊人): list, add, edit, remove — owners only, and the full ID
number shown in one place only."""

import logging
import re

import pytest
from sqlalchemy import select

from app.patients.models import Patient, Relation
from tests.factories import create_patient, create_user, make_id_number
from tests.helpers import login_as, post_form

HOLDER_ID = make_id_number(seq=11)
RELATIVE_ID = make_id_number(seq=22)


@pytest.fixture
def holder(db):
    user = create_user(phone="13900000001", name="王建国")
    create_patient(account=user, name="王建国", id_number=HOLDER_ID, phone=user.phone)
    db.session.commit()
    return user


def _add(client, **overrides):
    data = {"name": "王秀兰", "id_number": RELATIVE_ID, "phone": "13900000002",
            "relation": "parent", **overrides}
    return post_form(client, "/patients/new", data)


def _patients(db, account_id: int) -> list[tuple[str, Relation, bool]]:
    db.session.expire_all()
    return [(p.name, p.relation, p.is_enabled) for p in db.session.scalars(
        select(Patient).where(Patient.account_id == account_id).order_by(Patient.id))]


def test_list_shows_masked_id_numbers_only(db, client, holder):
    login_as(client, holder)
    _add(client)

    html = client.get("/patients").text

    assert re.findall(r'<span class="id-number">身份证 ([^<]+)</span>', html) == [
        f"{HOLDER_ID[:6]}********{HOLDER_ID[14:]}", f"{RELATIVE_ID[:6]}********{RELATIVE_ID[14:]}"]
    assert HOLDER_ID not in html
    assert RELATIVE_ID not in html


def test_owners_edit_form_is_the_one_place_with_the_full_number(db, client, holder):
    login_as(client, holder)
    patient_id = db.session.scalar(select(Patient.id).where(Patient.account_id == holder.id))

    response = client.get(f"/patients/{patient_id}/edit")

    assert f'value="{HOLDER_ID}"' in response.text
    assert response.headers["Cache-Control"] == "no-store"
    for page in ("/patients", "/account", f"/patients/{patient_id}/remove"):
        assert HOLDER_ID not in client.get(page).text


def test_add_a_family_member(db, client, holder):
    login_as(client, holder)

    response = _add(client, id_number=RELATIVE_ID.lower())

    assert response.headers["Location"] == "/patients"
    assert _patients(db, holder.id) == [("王建国", Relation.SELF, True),
                                        ("王秀兰", Relation.PARENT, True)]
    added = db.session.scalar(select(Patient).where(Patient.name == "王秀兰"))
    assert (added.reveal_id_number(), added.phone) == (RELATIVE_ID, "13900000002")
    assert "已添加就诊人王秀兰" in client.get("/patients").text


def test_add_form_offers_relatives_only_and_the_accounts_phone(db, client, holder):
    login_as(client, holder)

    html = client.get("/patients/new").text

    assert re.findall(r'<option value="(\w+)"', html) == ["spouse", "parent", "child", "other"]
    assert 'value="13900000001"' in html


@pytest.mark.parametrize(("overrides", "message"), [
    ({"id_number": HOLDER_ID}, "这位就诊人已经添加过了"),
    ({"id_number": "43028119560307"}, "身份证号应为18位"),
    ({"id_number": RELATIVE_ID[:-1] + ("0" if RELATIVE_ID[-1] != "0" else "1")},
     "身份证号不正确，请核对后重新输入"),
    ({"phone": "0731-2345678"}, "请输入11位手机号"),
    ({"relation": "self"}, "不是有效的选择。"),  # only by tampering
    ({"name": ""}, "请输入姓名"),
])
def test_bad_patient_is_a_form_error_and_adds_nobody(db, client, holder, overrides, message):
    login_as(client, holder)

    response = _add(client, **overrides)

    assert response.status_code == 200
    assert message in response.text
    assert len(_patients(db, holder.id)) == 1


def test_bad_id_number_is_not_repeated_in_errors_or_logs(db, client, holder, caplog):
    login_as(client, holder)
    wrong = RELATIVE_ID[:-1] + ("0" if RELATIVE_ID[-1] != "0" else "1")

    with caplog.at_level(logging.DEBUG):
        response = _add(client, id_number=wrong)

    errors = re.findall(r'<p class="error" role="alert">([^<]+)</p>', response.text)
    assert errors == ["身份证号不正确，请核对后重新输入"]
    assert wrong not in caplog.text
    assert RELATIVE_ID not in caplog.text


def test_at_most_the_configured_number_of_patients(app, db, client, holder):
    login_as(client, holder)
    for seq in range(1, 5):
        _add(client, name=f"亲属{seq}", id_number=make_id_number(seq=100 + seq))

    response = _add(client, name="亲属5", id_number=make_id_number(seq=105))

    assert app.config["MAX_PATIENTS_PER_ACCOUNT"] == 5
    assert "每个账号最多添加5位就诊人，请先删除不再需要的" in response.text
    assert len(_patients(db, holder.id)) == 5
    assert "已达到就诊人数量上限。" in client.get("/patients").text


def test_edit_a_patient(db, client, holder):
    login_as(client, holder)
    _add(client)
    relative = db.session.scalar(select(Patient).where(Patient.name == "王秀兰"))
    new_number = make_id_number(seq=33)

    response = post_form(client, f"/patients/{relative.id}/edit", {
        "name": "王秀英", "id_number": new_number, "phone": "13900000003", "relation": "other"})

    assert response.headers["Location"] == "/patients"
    db.session.expire_all()
    assert (relative.name, relative.relation, relative.phone) == (
        "王秀英", Relation.OTHER, "13900000003")
    assert relative.reveal_id_number() == new_number


def test_edit_to_the_number_of_another_patient_is_refused(db, client, holder):
    login_as(client, holder)
    _add(client)
    relative = db.session.scalar(select(Patient).where(Patient.name == "王秀兰"))

    response = post_form(client, f"/patients/{relative.id}/edit", {
        "name": "王秀兰", "id_number": HOLDER_ID, "phone": "13900000002", "relation": "parent"})

    assert "这个身份证号已经是另一位就诊人了" in response.text
    db.session.expire_all()
    assert relative.reveal_id_number() == RELATIVE_ID


def test_remove_a_family_member_and_add_them_back(db, client, holder):
    login_as(client, holder)
    _add(client)
    relative = db.session.scalar(select(Patient).where(Patient.name == "王秀兰"))

    response = post_form(client, f"/patients/{relative.id}/remove", {})

    assert response.headers["Location"] == "/patients"
    assert _patients(db, holder.id) == [("王建国", Relation.SELF, True),
                                        ("王秀兰", Relation.PARENT, False)]
    assert "王秀兰" not in client.get("/patients").text
    assert client.get(f"/patients/{relative.id}/edit").status_code == 404
    _add(client, relation="child")
    assert _patients(db, holder.id) == [("王建国", Relation.SELF, True),
                                        ("王秀兰", Relation.CHILD, True)]


def test_the_holder_cannot_be_removed(db, client, holder):
    login_as(client, holder)
    patient_id = db.session.scalar(select(Patient.id).where(Patient.account_id == holder.id))

    response = post_form(client, f"/patients/{patient_id}/remove", {})

    assert response.status_code == 200
    assert "不能删除账号本人" in response.text
    assert _patients(db, holder.id) == [("王建国", Relation.SELF, True)]


def test_remove_is_a_post(db, client, holder):
    login_as(client, holder)
    patient_id = db.session.scalar(select(Patient.id).where(Patient.account_id == holder.id))

    client.get(f"/patients/{patient_id}/remove")

    assert _patients(db, holder.id) == [("王建国", Relation.SELF, True)]
    assert client.post(f"/patients/{patient_id}/remove").status_code == 400  # no CSRF token


def test_another_accounts_patient_is_not_found(db, client, holder):
    stranger = create_patient(account=create_user(), id_number=make_id_number(seq=44))
    db.session.commit()
    login_as(client, holder)

    assert client.get(f"/patients/{stranger.id}/edit").status_code == 404
    assert client.get(f"/patients/{stranger.id}/remove").status_code == 404
    token_page = "/patients"
    assert post_form(client, f"/patients/{stranger.id}/remove", {},
                     page=token_page).status_code == 404
    assert post_form(client, f"/patients/{stranger.id}/edit", {
        "name": "x", "id_number": RELATIVE_ID, "phone": "13900000002", "relation": "parent"},
        page=token_page).status_code == 404
    db.session.expire_all()
    assert stranger.is_enabled is True
    assert stranger.name == "李秀英"


def test_patient_pages_need_a_login(db, client):
    assert client.get("/patients").headers["Location"] == "/login?next=%2Fpatients"
    assert client.get("/patients/new").status_code == 302

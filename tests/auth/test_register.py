"""Registering: a code by SMS, then the account with its holder as first patient."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import CodePurpose, Role, User, VerificationCode
from app.notifications.models import Message
from app.patients.models import Patient, Relation
from tests.factories import NOW, create_user, make_id_number
from tests.helpers import PASSWORD, csrf_token, post_form, register, request_code, sent_code

PHONE = "13912345678"


def _users(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_the_account_with_its_holder_as_patient(db, client):
    number = make_id_number(seq=101)

    response = register(client, PHONE, name="王建国", id_number=number)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = db.session.scalar(select(User).where(User.phone == PHONE))
    assert (user.name, user.roles) == ("王建国", {Role.RESIDENT})
    patient = db.session.scalar(select(Patient).where(Patient.account_id == user.id))
    assert (patient.name, patient.relation, patient.phone) == ("王建国", Relation.SELF, PHONE)
    assert patient.reveal_id_number() == number
    code = db.session.scalar(select(VerificationCode).where(VerificationCode.phone == PHONE))
    assert code.used_dt == NOW
    assert "王建国" in client.get("/account").text  # logged in


def test_code_request_queues_one_sms_and_stores_only_a_hash(db, client):
    response = request_code(client, PHONE)

    assert response.headers["Location"] == "/register"
    message = db.session.scalar(select(Message).where(Message.recipient == PHONE))
    code = sent_code(PHONE)
    assert message.kind == "verification_code"
    assert message.body == (f"【乡情专家行】验证码{code}，10分钟内有效。"
                            "请勿告诉他人，工作人员不会向您索要验证码。")
    assert message.expires_dt == NOW + timedelta(minutes=10)
    row = db.session.scalar(select(VerificationCode).where(VerificationCode.phone == PHONE))
    assert row.purpose == CodePurpose.REGISTER
    assert code not in row.code_hash
    page = client.get("/register").text
    assert "验证码已发送到139****5678，10分钟内有效" in page
    assert 'name="code"' in page


def test_step_two_without_a_code_request_goes_back_to_step_one(db, client):
    response = post_form(client, "/register", {"code": "123456", "name": "王建国",
                                               "id_number": make_id_number(),
                                               "password": PASSWORD, "confirm": PASSWORD})

    assert response.status_code == 200
    assert "请先获取验证码" in response.text
    assert 'name="code"' not in response.text
    assert _users(db) == 0


def _step_two(client, **overrides):
    """Ask for a code for PHONE, then post step 2 with ``overrides``."""
    request_code(client, PHONE)
    data = {"code": sent_code(PHONE), "name": "王建国", "id_number": make_id_number(),
            "password": PASSWORD, "confirm": PASSWORD}
    return post_form(client, "/register", {**data, **overrides})


@pytest.mark.parametrize(("overrides", "message"), [
    ({"code": "12345"}, "验证码是6位数字"),
    ({"id_number": "43028119560307123"}, "身份证号应为18位"),
    ({"id_number": "430281195603071231"}, "身份证号不正确，请核对后重新输入"),
    ({"password": "short1", "confirm": "short1"}, "密码要8到128位"),
    ({"confirm": "something-else"}, "两次输入的密码不一样"),
    ({"name": ""}, "请输入姓名"),
])
def test_register_bad_input_is_a_form_error_and_creates_nothing(db, client, overrides,
                                                                message):
    response = _step_two(client, **overrides)

    assert response.status_code == 200
    assert message in response.text
    assert _users(db) == 0
    code = db.session.scalar(select(VerificationCode).where(VerificationCode.phone == PHONE))
    assert (code.used_dt, code.attempts) == (None, 0)  # the code is not spent


def test_wrong_code_is_refused_and_counted(db, client):
    response = _step_two(client, code="000000" if sent_code(PHONE) != "000000" else "111111")

    assert "验证码不正确，还可以再试4次" in response.text
    assert _users(db) == 0
    code = db.session.scalar(select(VerificationCode).where(VerificationCode.phone == PHONE))
    assert code.attempts == 1


def test_used_code_cannot_register_again(db, client):
    register(client, PHONE)
    code = sent_code(PHONE)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/account").text)})

    response = post_form(client, "/register", {
        "code": code, "name": "王建国", "id_number": make_id_number(seq=7),
        "password": PASSWORD, "confirm": PASSWORD}, page="/register?change=1")

    assert "请先获取验证码" in response.text
    assert _users(db) == 1


def test_expired_code_is_refused(app, db, client):
    request_code(client, PHONE)
    app.config["CLOCK"] = lambda: NOW + timedelta(minutes=10)

    response = post_form(client, "/register", {
        "code": sent_code(PHONE), "name": "王建国", "id_number": make_id_number(),
        "password": PASSWORD, "confirm": PASSWORD})

    assert "验证码已过期，请重新获取" in response.text
    assert _users(db) == 0


@pytest.mark.parametrize("registered", [False, True])
def test_review_11_registration_answers_the_same_whether_the_phone_has_an_account(
        db, client, registered):
    if registered:
        create_user(phone=PHONE)

    response = request_code(client, PHONE)
    page = client.get("/register").text

    assert response.headers["Location"] == "/register"
    assert "验证码已发送到139****5678，10分钟内有效" in page
    assert "注册过" not in page
    assert 'name="code"' in page  # step 2, either way


def test_review_11_a_registered_phone_is_texted_to_log_in_instead_of_a_code(db, client):
    create_user(phone=PHONE)

    request_code(client, PHONE)

    texts = db.session.execute(select(Message.kind, Message.body)
                               .where(Message.recipient == PHONE)).all()
    assert texts == [("already_registered", "【乡情专家行】这个手机号已经注册过账号，请直接登录；"
                      "忘记密码可以在登录页用短信验证码找回。如非本人操作，请忽略。")]
    assert sent_code(PHONE) is None


def test_review_11_step_two_for_a_registered_phone_refuses_like_any_wrong_code(db, client):
    create_user(phone=PHONE)
    request_code(client, PHONE)

    response = post_form(client, "/register", {
        "code": "123456", "name": "王建国", "id_number": make_id_number(),
        "password": PASSWORD, "confirm": PASSWORD})

    assert "验证码不正确，还可以再试4次" in response.text
    assert "注册过" not in response.text


def test_registering_a_phone_that_got_an_account_meanwhile_creates_nothing(db, client):
    request_code(client, PHONE)
    create_user(phone=PHONE, name="先注册的人")

    response = post_form(client, "/register", {
        "code": sent_code(PHONE), "name": "王建国", "id_number": make_id_number(),
        "password": PASSWORD, "confirm": PASSWORD})

    assert response.status_code == 200
    assert "这个手机号已经注册过了，请直接登录；忘记密码可以找回" in response.text
    assert _users(db) == 1
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0


def test_bad_phone_for_a_code_is_a_clear_error(db, client):
    response = request_code(client, "1234567")

    assert response.headers["Location"] == "/register"
    assert "请输入11位手机号" in client.get("/register").text
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_phone_typed_with_spaces_and_country_code_is_understood(db, client):
    request_code(client, "+86 139-1234-5678")

    assert sent_code(PHONE) is not None


def test_register_pages_have_big_numeric_inputs_and_no_inline_script(db, client):
    step_one = client.get("/register").text
    request_code(client, PHONE)
    step_two = client.get("/register").text

    assert 'inputmode="numeric"' in step_one
    assert 'autocomplete="tel"' in step_one
    assert 'autocomplete="one-time-code"' in step_two
    assert 'autocomplete="new-password"' in step_two
    for html in (step_one, step_two):
        assert "<script" not in html
        assert " style=" not in html


def test_registering_keeps_the_page_it_was_for(db, client):
    """Issue #16, item 6: the login page's 注册 carries ``next``; after both steps of
    registering the new resident is back where she was going."""
    login_page = client.get("/login?next=/slots/7/book").text
    assert 'href="/register?next=/slots/7/book"' in login_page
    client.get("/register?next=/slots/7/book")
    response = register(client, PHONE)
    assert response.headers["Location"] == "/slots/7/book"
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    # Used once: a later registration in the same browser goes home.
    assert register(client, "13912340000", id_number=make_id_number(seq=44)).headers[
        "Location"] == "/"

"""SMS verification codes: 10 minutes, 5 guesses, one use; 1 a minute, 10 a day per phone."""

from datetime import timedelta

import pytest

from app.auth.models import CodePurpose
from app.auth.services import CodeRejected, issue_code, verify_code
from app.core.errors import DomainError
from tests.factories import NOW

PHONE = "13912345678"
REGISTER = CodePurpose.REGISTER


def _wrong(code: str) -> str:
    return "111111" if code != "111111" else "222222"


def test_code_is_six_digits_and_works_once(db):
    code = issue_code(PHONE, REGISTER, now=NOW)

    verify_code(PHONE, REGISTER, code, now=NOW + timedelta(minutes=9))

    assert len(code) == 6 and code.isdigit()
    with pytest.raises(CodeRejected, match="这个验证码已经用过了，请重新获取"):
        verify_code(PHONE, REGISTER, code, now=NOW + timedelta(minutes=9))


def test_code_expires_after_ten_minutes(db):
    code = issue_code(PHONE, REGISTER, now=NOW)

    with pytest.raises(CodeRejected, match="验证码已过期，请重新获取"):
        verify_code(PHONE, REGISTER, code, now=NOW + timedelta(minutes=10))


def test_five_wrong_guesses_use_the_code_up(db):
    code = issue_code(PHONE, REGISTER, now=NOW)
    messages = []
    for _ in range(5):
        with pytest.raises(CodeRejected) as refused:
            verify_code(PHONE, REGISTER, _wrong(code), now=NOW)
        messages.append(refused.value.message)

    assert messages == ["验证码不正确，还可以再试4次", "验证码不正确，还可以再试3次",
                        "验证码不正确，还可以再试2次", "验证码不正确，还可以再试1次",
                        "验证码输错次数太多，请重新获取"]
    with pytest.raises(CodeRejected, match="验证码输错次数太多，请重新获取"):
        verify_code(PHONE, REGISTER, code, now=NOW)


def test_only_the_newest_code_counts(db):
    old = issue_code(PHONE, REGISTER, now=NOW)
    new = issue_code(PHONE, REGISTER, now=NOW + timedelta(seconds=60))

    if old != new:
        with pytest.raises(CodeRejected):
            verify_code(PHONE, REGISTER, old, now=NOW + timedelta(seconds=61))
    verify_code(PHONE, REGISTER, new, now=NOW + timedelta(seconds=61))


def test_a_code_is_for_one_phone_and_one_purpose(db):
    code = issue_code(PHONE, REGISTER, now=NOW)

    with pytest.raises(CodeRejected, match="请先获取验证码"):
        verify_code(PHONE, CodePurpose.RESET_PASSWORD, code, now=NOW)
    with pytest.raises(CodeRejected, match="请先获取验证码"):
        verify_code("13912345679", REGISTER, code, now=NOW)


def test_one_code_a_minute_per_phone(db):
    issue_code(PHONE, REGISTER, now=NOW)

    with pytest.raises(DomainError, match="验证码已发送，15秒后才能重新获取"):
        issue_code(PHONE, CodePurpose.RESET_PASSWORD, now=NOW + timedelta(seconds=45))
    issue_code("13912345679", REGISTER, now=NOW + timedelta(seconds=45))
    issue_code(PHONE, REGISTER, now=NOW + timedelta(seconds=60))


def test_ten_codes_a_local_day_per_phone(db):
    for i in range(10):
        issue_code(PHONE, REGISTER, now=NOW + timedelta(minutes=i))

    with pytest.raises(DomainError, match="今天获取验证码的次数太多了，请明天再试"):
        issue_code(PHONE, REGISTER, now=NOW + timedelta(hours=2))
    # NOW is 09:00 in Liling: the local day turns 15 hours later.
    issue_code(PHONE, REGISTER, now=NOW + timedelta(hours=15))

"""Resident sign-up and the SMS codes behind it.

These steps join three packages that sit below this one: accounts and codes
(app.auth), the holder as first patient (app.patients) and the outbox
(app.notifications). Each is one unit of work; the caller commits.
"""

from datetime import datetime

from flask_babel import gettext as _

from app.auth import services as auth
from app.auth.models import CodePurpose, Role, User
from app.core.db import restart_as_write
from app.core.errors import Conflict
from app.extensions import db
from app.notifications import compose
from app.notifications.services import queue_sms
from app.patients import services as patients
from app.patients.models import Relation


def _phone_taken() -> Conflict:
    return Conflict(_("这个手机号已经注册过了，请直接登录；忘记密码可以找回"), code="phone_taken")


def send_code(phone: str, purpose: CodePurpose, *, now: datetime,
              locale: str = compose.DEFAULT_LOCALE) -> None:
    """Issue a verification code for ``phone`` and queue its SMS in the same unit of work.

    The page answers the same whether or not the phone has an account, so it tells
    strangers nothing: every request is throttled and stores a code alike, but only the
    phone's owner learns the truth — registering a phone that has an account sends it
    an SMS saying to log in or reset the password instead of the code, and a reset or
    a 验证码登录 for a phone without an account sends nothing."""
    restart_as_write(db.session)
    has_account = auth.find_user(phone) is not None
    code = auth.issue_code(phone, purpose, now=now)
    if purpose in (CodePurpose.RESET_PASSWORD, CodePurpose.LOGIN) and not has_account:
        return
    kind = ("already_registered" if purpose == CodePurpose.REGISTER and has_account
            else "verification_code")
    texts = compose.render(kind, locale=locale, code=code)
    queue_sms(phone, kind=kind, body=texts.sms, now=now, expires_dt=now + auth.CODE_TTL)


def register_resident(*, phone: str, code: str, name: str, id_number: str, password: str,
                      now: datetime) -> User:
    """A resident's account, proved by the SMS code sent to its phone, with the holder
    (本人, by their own ID number) as its first patient.

    Everything else is checked before the code is used, so a mistake elsewhere does
    not cost the resident their code — but whether the phone has an account is told
    only to whoever holds its code (the SMS to such a phone carries none)."""
    restart_as_write(db.session)
    auth.check_new_password(password)
    patients.parse_id_number(id_number)
    auth.verify_code(phone, CodePurpose.REGISTER, code, now=now)
    if auth.find_user(phone) is not None:
        raise _phone_taken()
    user = auth.create_account(phone=phone, name=name, password=password,
                               roles={Role.RESIDENT}, now=now)
    # The holder is the first patient, so any limit of one or more lets them in.
    patients.create_patient(user.id, name=name, id_number=id_number, phone=phone,
                            relation=Relation.SELF, max_patients=1, now=now)
    return user

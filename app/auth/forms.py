"""Form pieces every account form shares: the phone, code and password fields, and
the base form that shows a service's refusal on the field it is about."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.core.coerce import strip
from app.core.errors import DomainError
from app.core.phones import InvalidPhone, normalize_mobile

CODE = re.compile(r"\d{6}")



def mobile_phone(_form, field) -> None:
    """Accept spaces, dashes and +86; keep the bare 11 digits."""
    try:
        field.data = normalize_mobile(field.data)
    except InvalidPhone:
        raise ValidationError(_l("请输入11位手机号")) from None


def six_digits(_form, field) -> None:
    if not CODE.fullmatch(field.data or ""):
        raise ValidationError(_l("验证码是6位数字"))


def phone_field(label=None) -> StringField:
    return StringField(
        label or _l("手机号"), filters=[strip],
        validators=[DataRequired(_l("请输入手机号")), mobile_phone],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 20},
    )


def code_field() -> StringField:
    return StringField(
        _l("短信验证码"), filters=[strip],
        validators=[DataRequired(_l("请输入短信验证码")), six_digits],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )


def new_password_field(label=None) -> PasswordField:
    return PasswordField(
        label or _l("密码"),
        validators=[
            DataRequired(_l("请输入密码")),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                   message=_l("密码要%(min)d到%(max)d位")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ServiceForm(FlaskForm):
    """A form whose action a service may refuse. ``error_fields`` maps a DomainError's
    code to the field it is about; other refusals show above the form."""

    error_fields: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        name = self.error_fields.get(exc.code)
        if name:
            self[name].errors = [*self[name].errors, exc.message]
        else:
            self.form_errors.append(exc.message)

"""Forms of the account pages. Every field keeps to one column on a small phone."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, Regexp

from app.auth.forms import ServiceForm, code_field, new_password_field, phone_field
from app.auth.models import CodePurpose
from app.patients.forms import id_number_field, name_field


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("再输一次密码"),
        validators=[DataRequired(_l("请再输一次密码")),
                    EqualTo("password", message=_l("两次输入的密码不一样"))],
        render_kw={"autocomplete": "new-password"},
    )


class SmsCodeForm(FlaskForm):
    """Step 1 of registering, resetting the password or 验证码登录: where to send the code."""

    phone = phone_field()
    purpose = HiddenField(validators=[DataRequired(), AnyOf([p.value for p in CodePurpose])])


class RegisterForm(ServiceForm):
    """Step 2: the phone is the one the code went to (kept in the session)."""

    code = code_field()
    name = name_field(_l("姓名（与身份证一致）"))
    id_number = id_number_field()
    password = new_password_field(_l("设置密码（至少8位）"))
    confirm = _confirm_field()

    error_fields = {"code_rejected": "code",
                    "bad_id_number": "id_number", "weak_password": "password"}


class LoginForm(ServiceForm):
    phone = phone_field()
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class CodeLoginForm(ServiceForm):
    """验证码登录, step 2: the phone is the one the code went to (kept in the session)."""

    code = code_field()

    error_fields = {"code_rejected": "code"}


class ResetPasswordForm(ServiceForm):
    code = code_field()
    password = new_password_field(_l("新密码（至少8位）"))
    confirm = _confirm_field()

    error_fields = {"code_rejected": "code", "weak_password": "password"}


class ChangePasswordForm(ServiceForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))],
                            render_kw={"autocomplete": "current-password"})
    password = new_password_field(_l("新密码（至少8位）"))
    confirm = _confirm_field()

    error_fields = {"bad_credentials": "current", "weak_password": "password"}


class ConfirmForm(FlaskForm):
    """A button that needs nothing but its CSRF token (log out)."""


class PreferencesForm(FlaskForm):
    """通知设置: where the account hears from us, and in which language."""

    email = EmailField(
        _l("电子邮箱（选填）"),
        validators=[Optional(), Length(max=254, message=_l("邮箱地址太长")),
                    Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("请输入正确的邮箱地址"))],
        filters=[lambda v: (v or "").strip() or None],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    notify_sms = BooleanField(_l("短信通知（预约成功、提醒、停诊）"))
    notify_email = BooleanField(_l("邮件通知（附日历文件）"))
    locale = RadioField(_l("通知语言"), default="zh",
                        choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")],
                        validate_choice=False,
                        validators=[AnyOf(("zh", "en"), message=_l("请选择通知语言"))])

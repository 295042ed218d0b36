"""Forms of the API token page."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.auth.tokens import PERSONAL_TOKEN_DAYS


class NewTokenForm(FlaskForm):
    name = StringField(_l("用途（如：医院信息系统）"), filters=[lambda v: v.strip() if v else v],
                       validators=[DataRequired(message=_l("请填写令牌的用途")), Length(max=60)])
    days = SelectField(_l("有效期"), coerce=int, default=90, choices=[
        SelectChoice(days, _l("%(n)s 天", n=days)) for days in PERSONAL_TOKEN_DAYS])


class RevokeTokenForm(FlaskForm):
    """A button that needs nothing but its CSRF token."""

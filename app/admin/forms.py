"""The staff-account form and the enable/disable button."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.forms import ServiceForm, new_password_field, phone_field
from app.auth.labels import ROLE_LABELS, STAFF_ROLES
from app.patients.forms import name_field


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StaffForm(ServiceForm):
    phone = phone_field()
    name = name_field()
    password = new_password_field(_l("初始密码（至少8位，请告诉本人登录后修改）"))
    roles = CheckboxesField(
        _l("角色"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES],
        render_kw={"class": "checks"},
    )
    venues = SelectMultipleField(_l("负责的地点（排班员）"), coerce=int,
                                 render_kw={"size": 8})
    experts = SelectMultipleField(_l("专家（专家本人选一位；助手选协助的专家）"), coerce=int,
                                  render_kw={"size": 8})

    error_fields = {"phone_taken": "phone", "weak_password": "password", "bad_roles": "roles",
                    "bad_venues": "venues", "bad_experts": "experts"}

    def fill_choices(self, venues: list[tuple[int, str]], experts: list[tuple[int, str]]):
        self.venues.choices = [SelectChoice(i, name) for i, name in venues]
        self.experts.choices = [SelectChoice(i, label) for i, label in experts]
        return self


class EnabledForm(FlaskForm):
    enabled = HiddenField(validators=[AnyOf(["0", "1"])])

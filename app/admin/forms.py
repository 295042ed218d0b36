"""The staff-account forms (new, changed) and the enable/disable button."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.admin.statistics import GROUPS
from app.auth.forms import ServiceForm, new_password_field, phone_field
from app.auth.labels import ROLE_LABELS, STAFF_ROLES
from app.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.core.coerce import optional_int
from app.core.fields import ChoicesField, DayField
from app.patients.forms import name_field


class CheckboxesField(ChoicesField):
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
    venues = ChoicesField(_l("负责的地点（排班员）"), coerce=int,
                                 render_kw={"size": 8})
    experts = ChoicesField(_l("专家（专家本人选一位；助手选协助的专家）"), coerce=int,
                                  render_kw={"size": 8})
    institution = SelectField(_l("所在医院（医院管理员）"), coerce=optional_int)
    centre = SelectField(_l("所在卫生院（乡镇医生）"), coerce=optional_int)

    error_fields = {"phone_taken": "phone", "weak_password": "password", "bad_roles": "roles",
                    "bad_venues": "venues", "bad_experts": "experts",
                    "bad_institution": "institution", "bad_centre": "centre"}

    def fill_choices(self, venues: list[tuple[int, str]], experts: list[tuple[int, str]],
                     institutions: list[tuple[int, str]], centres: list[tuple[int, str]]):
        self.venues.choices = [SelectChoice(i, name) for i, name in venues]
        self.experts.choices = [SelectChoice(i, label) for i, label in experts]
        none = [SelectChoice("", _l("（不选）"))]
        self.institution.choices = none + [SelectChoice(i, n) for i, n in institutions]
        self.centre.choices = none + [SelectChoice(i, n) for i, n in centres]
        return self


class StaffEditForm(StaffForm):
    """Changing an account: the mobile number is its login and stays; a new password
    only when one is typed."""
    phone = None
    password = PasswordField(
        _l("新密码（不改就不填；改了，本人在所有设备上的登录都会退出）"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                                       message=_l("密码要%(min)d到%(max)d位"))],
        render_kw={"autocomplete": "new-password"})


class TravelForm(ServiceForm):
    """Set (or, with no minutes, clear) the minutes between two townships."""

    a = SelectField(_l("乡镇甲"), coerce=int)
    b = SelectField(_l("乡镇乙"), coerce=int)
    minutes = IntegerField(_l("分钟（不填：清除，按默认）"),
                           validators=[Optional(), NumberRange(
                               min=1, max=600, message=_l("请填写 1 到 600 之间的整数"))])

    error_fields = {"a": "a", "b": "b", "minutes": "minutes"}

    def fill(self, townships: list[tuple[int, str]]):
        self.a.choices = self.b.choices = [SelectChoice(i, n) for i, n in townships]
        return self


class EnabledForm(FlaskForm):
    enabled = HiddenField(validators=[AnyOf(["0", "1"])])


class StatisticsForm(FlaskForm):
    """The statistics page's range and grouping (a GET form)."""

    class Meta:
        csrf = False

    start = DayField(_l("从"), validators=[Optional()])
    end = DayField(_l("到"), validators=[Optional()])
    group = SelectField(_l("分组"), default="township", choices=[
        SelectChoice(key, label) for key, label in GROUPS.items()])


class SavingForm(ServiceForm):
    saving_per_visit = IntegerField(_l("每人次为居民节省（元）"), validators=[
        InputRequired(_l("请填写金额")),
        NumberRange(min=0, max=100_000, message=_l("请填写 0 到 100000 之间的整数"))])


def _count(label):
    return IntegerField(label, default=0, validators=[
        InputRequired(_l("请填写")),
        NumberRange(min=0, max=1_000_000_000, message=_l("请填写不小于 0 的整数"))])


class YearForm(ServiceForm):
    """An earlier year's programme-wide totals, as the office's reports give them."""

    year = IntegerField(_l("年份"), validators=[
        InputRequired(_l("请填写年份")),
        NumberRange(min=2000, max=2100, message=_l("请填写 2000 到 2100 之间的年份"))])
    clinic_sessions = _count(_l("门诊场次"))
    clinic_visits = _count(_l("门诊人次"))
    surgeries = _count(_l("手术台数"))
    lectures_forums = _count(_l("讲座、讲坛场次"))
    attendance = _count(_l("讲座到场人数"))
    savings = _count(_l("为居民节省（元）"))

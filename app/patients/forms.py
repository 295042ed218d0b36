"""The patient form (add and edit) and the remove confirmation."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from app.auth.forms import ServiceForm, phone_field
from app.core.coerce import strip
from app.patients import idnumbers
from app.patients.labels import RELATION_LABELS, id_number_problem
from app.patients.models import Relation


def resident_id_number(_form, field) -> None:
    """Check the number and keep it compact and upper-case (a final x becomes X)."""
    try:
        field.data = idnumbers.parse(field.data).number
    except idnumbers.InvalidIdNumber:
        raise ValidationError(id_number_problem(field.data)) from None


def name_field(label=None) -> StringField:
    return StringField(
        label or _l("姓名"), filters=[strip],
        validators=[DataRequired(_l("请输入姓名")), Length(max=30, message=_l("姓名太长了"))],
        render_kw={"autocomplete": "name", "maxlength": 30},
    )


def id_number_field() -> StringField:
    return StringField(
        _l("身份证号"), filters=[strip],
        validators=[DataRequired(_l("请输入身份证号")), resident_id_number],
        render_kw={"autocomplete": "off", "maxlength": 22, "spellcheck": "false",
                   "autocapitalize": "characters"},
    )


class PatientForm(ServiceForm):
    name = name_field()
    id_number = id_number_field()
    phone = phone_field(_l("手机号（接收就诊短信）"))
    relation = SelectField(_l("与本人的关系"), validators=[DataRequired(_l("请选择关系"))])

    error_fields = {"bad_id_number": "id_number", "duplicate_patient": "id_number",
                    "bad_relation": "relation"}

    def for_holder(self, is_holder: bool) -> "PatientForm":
        """The holder is 本人 and stays so; everyone else is a relative."""
        relations = [Relation.SELF] if is_holder else [r for r in Relation if r != Relation.SELF]
        self.relation.choices = [SelectChoice(r.value, RELATION_LABELS[r]) for r in relations]
        return self


class ConfirmForm(FlaskForm):
    """A button that needs nothing but its CSRF token."""

"""The experts directory's search form (GET, no CSRF)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from app.core.coerce import optional_int
from app.core.formatting import localized
from app.directory.models import Institution, Specialty


class ExpertSearchForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(_l("专家姓名"), validators=[Optional(), Length(max=20)])
    specialty = SelectField(_l("科室"), coerce=optional_int, validators=[Optional()])
    institution = SelectField(_l("所在医院"), coerce=optional_int, validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])

    def fill_choices(self, specialties: list[Specialty], institutions: list[Institution]):
        everything = [SelectChoice("", _l("全部"))]
        self.specialty.choices = everything + [
            SelectChoice(s.id, localized(s)) for s in specialties]
        self.institution.choices = everything + [
            SelectChoice(i.id, localized(i)) for i in institutions]

"""The directory's forms: one per kind, each field named as app.admin.directory.FIELDS
names it, so that ``values()`` is what the service takes."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.auth.forms import ServiceForm
from app.core.coerce import optional_int, strip
from app.directory.models import (
    Expert,
    Institution,
    InstitutionKind,
    Specialty,
    Township,
    TownshipKind,
    Venue,
    VenueKind,
)


def _text(label, max_length: int, *, required: bool = False):
    return StringField(label, filters=[strip], validators=[
        DataRequired(_l("请填写%(what)s", what=label)) if required else Optional(),
        Length(max=max_length)])


class DirectoryForm(ServiceForm):
    """A kind's form; ``fill`` gives the selects their choices (enabled rows only, plus
    the one a row already refers to)."""

    error_fields = {"name_taken": "name", "township_id": "township_id",
                    "institution_id": "institution_id", "specialty_id": "specialty_id",
                    "native_township_id": "native_township_id"}

    def fill(self, choices: dict[str, list[tuple[int, str]]]):
        for name, rows in choices.items():
            field = self[name]
            first = [SelectChoice("", _l("（不填）"))] if field.flags.optional else []
            field.choices = first + [SelectChoice(i, label) for i, label in rows]
        return self

    def values(self) -> dict:
        """The fields' data (text already stripped by the fields' filter)."""
        return {name: field.data for name, field in self._fields.items()
                if name != "csrf_token"}


class TownshipForm(DirectoryForm):
    name = _text(_l("名称"), 40, required=True)
    kind = SelectField(_l("类型"), coerce=TownshipKind, choices=[
        SelectChoice(TownshipKind.TOWN.value, _l("镇")),
                                          SelectChoice(TownshipKind.STREET.value, _l("街道"))])


class SpecialtyForm(DirectoryForm):
    name = _text(_l("名称"), 40, required=True)
    name_en = _text(_l("英文名称"), 80)


class InstitutionForm(DirectoryForm):
    name = _text(_l("名称"), 80, required=True)
    name_en = _text(_l("英文名称"), 160)
    kind = SelectField(_l("类型"), coerce=InstitutionKind, choices=[
        SelectChoice(InstitutionKind.HOSPITAL.value, _l("医院")),
        SelectChoice(InstitutionKind.UNIVERSITY.value, _l("大学"))])
    city = _text(_l("所在城市"), 40, required=True)


class VenueForm(DirectoryForm):
    name = _text(_l("名称"), 80, required=True)
    kind = SelectField(_l("类型"), coerce=VenueKind, choices=[
        SelectChoice(VenueKind.CITY_HOSPITAL.value, _l("市级医院")),
        SelectChoice(VenueKind.TOWNSHIP_CENTRE.value, _l("乡镇卫生院")),
        SelectChoice(VenueKind.LECTURE_HALL.value, _l("讲堂"))])
    township_id = SelectField(_l("所在乡镇"), coerce=int,
                              validators=[DataRequired(_l("请选择乡镇"))])
    address = _text(_l("地址"), 200)
    phone = _text(_l("电话"), 20)
    directions = TextAreaField(_l("怎么去（公交、停车等）"), filters=[strip],
                               validators=[Optional(), Length(max=300)])


class ExpertForm(DirectoryForm):
    name = _text(_l("姓名"), 50, required=True)
    title = _text(_l("职称（如 主任医师）"), 40, required=True)
    title_en = _text(_l("英文职称"), 60)
    institution_id = SelectField(_l("所在医院"), coerce=int,
                                 validators=[DataRequired(_l("请选择医院"))])
    specialty_id = SelectField(_l("专科"), coerce=int,
                               validators=[DataRequired(_l("请选择专科"))])
    department = _text(_l("科室（可不填）"), 60)
    native_township_id = SelectField(_l("家乡（乡镇）"), coerce=optional_int,
                                     validators=[Optional()])
    expertise = _text(_l("擅长（用“、”分开）"), 200)
    bio = TextAreaField(_l("简介"), filters=[strip], validators=[Optional(), Length(max=2000)])


FORMS = {Township: TownshipForm, Specialty: SpecialtyForm, Institution: InstitutionForm,
         Venue: VenueForm, Expert: ExpertForm}

"""The schedule's filter form (a GET form: it changes nothing, so it needs no CSRF token)."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from app.core.coerce import MAX_ID, optional_int
from app.core.fields import DayField
from app.core.formatting import localized, short_date
from app.scheduling.labels import KIND_LABELS
from app.scheduling.models import SessionKind
from app.scheduling.queries import MAX_RANGE_DAYS, FilterChoices, ScheduleFilter


class ScheduleFilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DayField(_l("开始日期"), validators=[Optional()])
    end = DayField(_l("结束日期"), validators=[Optional()])
    township = SelectField(_l("乡镇"), coerce=optional_int, validators=[Optional()])
    venue = SelectField(_l("地点"), coerce=optional_int, validators=[Optional()])
    specialty = SelectField(_l("科室"), coerce=optional_int, validators=[Optional()])
    kind = SelectField(_l("类型"), validators=[Optional()])
    expert = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])

    def fill_choices(self, choices: FilterChoices) -> None:
        def options(rows):
            return [SelectChoice("", _l("全部"))] + [SelectChoice(r.id, localized(r))
                                                   for r in rows]

        self.township.choices = options(choices.townships)
        self.venue.choices = options(choices.venues)
        self.specialty.choices = options(choices.specialties)
        self.kind.choices = [SelectChoice("", _l("全部"))] + [
            SelectChoice(k.value, KIND_LABELS[k]) for k in SessionKind
        ]

    def chosen(self) -> list[str]:
        """What the search asked for, in words (its filters fold away once it ran):
        the chosen township, venue, specialty and kind, and the dates."""
        words = [str(label) for select in (self.township, self.venue, self.specialty, self.kind)
                 for value, label, selected, _render in select.iter_choices()
                 if selected and value not in ("", None)]
        if self.start.data or self.end.data:
            words.append("–".join(short_date(d) if d else "" for d in (
                self.start.data, self.end.data)))
        return words

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("结束日期不能早于开始日期"))
            if field.data - self.start.data > timedelta(days=MAX_RANGE_DAYS):
                raise ValidationError(_l("日期范围不能超过一年"))

    def to_filter(self) -> ScheduleFilter:
        return ScheduleFilter(
            start=self.start.data,
            end=self.end.data,
            township_id=self.township.data or None,
            venue_id=self.venue.data or None,
            specialty_id=self.specialty.data or None,
            expert_id=self.expert.data or None,
            kind=SessionKind(self.kind.data) if self.kind.data else None,
        )

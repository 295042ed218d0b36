"""The series planner's form: the session fields, plus the pattern, the end and the
per-date overrides (typed as dates, one per line or separated by spaces or commas)."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.console.forms import SessionForm, _between
from app.core.fields import ChoicesField, DayField
from app.scheduling.models import Audience, SessionKind, SessionStatus
from app.scheduling.series import RRULE_DAYS, SeriesPlan

WEEKDAY_LABELS = (_l("星期一"), _l("星期二"), _l("星期三"), _l("星期四"), _l("星期五"),
                  _l("星期六"), _l("星期日"))
_DAY_CODE = "(?:MO|TU|WE|TH|FR|SA|SU)"
_SIMPLE_WEEKLY = re.compile(rf"FREQ=WEEKLY;BYDAY=({_DAY_CODE}(?:,{_DAY_CODE})*)")
_DATE_SPLIT = re.compile(r"[\s,，、;；]+")


def _dates(text: str | None) -> tuple[date, ...]:
    words = [w for w in _DATE_SPLIT.split(text or "") if w]
    try:
        return tuple(sorted({date.fromisoformat(w) for w in words}))
    except ValueError as error:
        raise ValidationError(_l("日期应写成 2026-12-08 这样，每行一个")) from error


class SeriesForm(SessionForm):
    """Everything a one-off session has, except its day and description."""

    day = None
    description = None
    first_day = DayField(_l("第一天"), validators=[InputRequired(_l("请填写第一天"))])
    last_day = DayField(_l("最后一天"), validators=[Optional()])
    count = IntegerField(_l("或：一共几次（不填最后一天时）"),
                         validators=[Optional(), _between(1, 200)])
    weekdays = ChoicesField(
        _l("每周哪几天"), coerce=int, validators=[Optional()],
        choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAY_LABELS)],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        render_kw={"class": "checks days"})
    rule = StringField(_l("或：重复规则（RRULE，如 FREQ=WEEKLY;INTERVAL=2;BYDAY=TU）"),
                       validators=[Optional(), Length(max=300)])
    skip_holidays = BooleanField(_l("法定节假日不排班，调休上班日照常排班"), default=True)
    skip_dates = TextAreaField(_l("跳过的日期（每行一个，如 2026-12-08）"),
                               validators=[Optional(), Length(max=4000)])
    hold_dates = TextAreaField(_l("照常保留的日期（即使是节假日）"),
                               validators=[Optional(), Length(max=4000)])

    def validate_skip_dates(self, field):
        _dates(field.data)

    def validate_hold_dates(self, field):
        _dates(field.data)

    def load(self, plan: SeriesPlan) -> None:
        """Fill the form from a series (the edit page)."""
        for name in ("venue_id", "kind", "expert_ids", "specialty_id", "title", "audience",
                     "first_day", "last_day", "start", "end", "rule", "slot_minutes",
                     "per_slot", "seats", "skip_holidays"):
            value = getattr(plan, name)
            target = {"venue_id": "venue", "expert_ids": "experts",
                      "specialty_id": "specialty"}.get(name, name)
            self[target].data = value.value if hasattr(value, "value") else value
        if simple := _SIMPLE_WEEKLY.fullmatch(plan.rule):
            self.rule.data = ""
            self.weekdays.data = [RRULE_DAYS.index(d) for d in simple.group(1).split(",")]
        self.skip_dates.data = "\n".join(d.isoformat() for d in plan.skip_dates)
        self.hold_dates.data = "\n".join(d.isoformat() for d in plan.hold_dates)

    def to_plan(self) -> SeriesPlan:
        return SeriesPlan(
            venue_id=self.venue.data, kind=SessionKind(self.kind.data),
            expert_ids=list(self.experts.data), specialty_id=self.specialty.data,
            title=self.title.data or "", first_day=self.first_day.data,
            last_day=self.last_day.data, count=self.count.data,
            weekdays=tuple(self.weekdays.data or ()), rule=self.rule.data or "",
            start=self.start.data, end=self.end.data, audience=Audience(self.audience.data),
            slot_minutes=self.slot_minutes.data or 30, per_slot=self.per_slot.data or 5,
            seats=self.seats.data, skip_holidays=bool(self.skip_holidays.data),
            skip_dates=_dates(self.skip_dates.data), hold_dates=_dates(self.hold_dates.data),
            status=SessionStatus(self.status.data),
        )

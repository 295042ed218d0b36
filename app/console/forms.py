"""The console's forms. Every POST form carries a CSRF token; filters are GET forms."""

import re
import uuid
from datetime import time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from app.bookings.models import KEY_PATTERN
from app.core.coerce import MAX_ID, optional_int, strip
from app.core.fields import ChoicesField, DayField
from app.core.phones import InvalidPhone, normalize_desk_phone
from app.directory.models import Expert, Venue
from app.patients import idnumbers
from app.scheduling.labels import AUDIENCE_LABELS, KIND_LABELS, STATUS_LABELS
from app.scheduling.models import Audience, SessionKind, SessionStatus, Slot
from app.scheduling.services import SessionPlan

MAX_RANGE_DAYS = 62
SEPARATORS = re.compile(r"[\s\-]")


def _compact(value):
    """'139 0000-0001' → '13900000001'; what staff type at a busy desk."""
    return SEPARATORS.sub("", value) if isinstance(value, str) else value



def _between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, message=_l("请填写 %(min)s 到 %(max)s 之间的整数"))


class DateRangeForm(FlaskForm):
    class Meta:
        csrf = False

    start = DayField(_l("从"), validators=[Optional()])
    end = DayField(_l("到"), validators=[Optional()])

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("结束日期不能早于开始日期"))
            if field.data - self.start.data > timedelta(days=MAX_RANGE_DAYS):
                raise ValidationError(_l("一次最多查看两个月"))


class CheckInForm(FlaskForm):
    q = StringField(_l("预约码、手机号或手机后4位"), filters=[_compact], validators=[
        InputRequired(message=_l("请输入预约码或手机号")), Length(max=20)])


class CancelForm(FlaskForm):
    reason = StringField(_l("取消原因"), filters=[strip], validators=[
        DataRequired(message=_l("请填写取消原因")), Length(max=200)])


class StopForm(FlaskForm):
    reason = StringField(_l("停诊原因（会发给每位已预约的患者）"), filters=[strip], validators=[
        DataRequired(message=_l("请填写停诊原因")), Length(max=200)])


class WalkInForm(FlaskForm):
    """A resident without an account, booked at the desk or on the phone."""

    slot = SelectField(_l("时段"), coerce=int, validators=[InputRequired(_l("请选择时段"))])
    name = StringField(_l("姓名"), filters=[strip], validators=[
        DataRequired(message=_l("请填写姓名")), Length(max=50)])
    id_number = StringField(_l("身份证号码（18位）"), filters=[_compact], validators=[
        DataRequired(message=_l("请填写身份证号码"))])
    phone = StringField(_l("电话（手机或座机；没有可不填）"), validators=[Length(max=20)])
    # Generated when the form is shown: a double submit books once.
    nonce = HiddenField(validators=[DataRequired(), Regexp(KEY_PATTERN)])

    def fill(self, slots: list[Slot], label) -> None:
        self.slot.choices = [SelectChoice(s.id, label(s)) for s in slots]
        if not self.nonce.data:
            self.nonce.data = uuid.uuid4().hex

    def validate_phone(self, field):
        try:
            field.data = normalize_desk_phone(field.data)
        except InvalidPhone:
            raise ValidationError(_l("请填写11位手机号，或带区号的座机号（如0733-2345678）；"
                                     "没有电话可以不填")) from None

    def validate_id_number(self, field):
        try:
            idnumbers.parse(field.data)
        except idnumbers.InvalidIdNumber as exc:
            raise ValidationError(_l("身份证号码不正确，请核对18位号码")) from exc


class SessionForm(FlaskForm):
    venue = SelectField(_l("地点"), coerce=int, validators=[InputRequired(_l("请选择地点"))])
    kind = SelectField(_l("类型"), choices=[SelectChoice(k.value, KIND_LABELS[k])
                                            for k in SessionKind])
    experts = ChoicesField(_l("专家（可多选）"), coerce=int,
                                  validators=[DataRequired(message=_l("请至少选择一位专家"))])
    specialty = SelectField(_l("科室"), coerce=optional_int, validators=[Optional()])
    title = StringField(_l("标题（讲座、讲坛必填）"), filters=[strip],
                        validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("说明（可不填）"), validators=[Optional(), Length(max=2000)])
    day = DayField(_l("日期"), validators=[InputRequired(_l("请填写日期"))])
    start = TimeField(_l("开始时间"), default=time(8, 0),
                      validators=[InputRequired(_l("请填写开始时间"))])
    end = TimeField(_l("结束时间"), default=time(11, 30),
                    validators=[InputRequired(_l("请填写结束时间"))])
    audience = SelectField(_l("面向"), default=Audience.PUBLIC.value,
                           choices=[SelectChoice(a.value, AUDIENCE_LABELS[a]) for a in Audience])
    slot_minutes = IntegerField(_l("门诊：每个时段几分钟"), default=30,
                                validators=[Optional(), _between(5, 240)])
    per_slot = IntegerField(_l("门诊：每个时段几人"), default=5,
                            validators=[Optional(), _between(1, 100)])
    seats = IntegerField(_l("讲座、讲坛、送教：座位数"), validators=[Optional(), _between(1, 5000)])
    referral_places = IntegerField(_l("门诊：每个时段留几个转诊号（给乡镇医生转诊的病人）"),
                                   default=0, validators=[Optional(), _between(0, 100)])
    referral_hours = IntegerField(_l("转诊号没用完的，开诊前几小时放给大家"), default=24,
                                  validators=[Optional(), _between(1, 14 * 24)])
    # Planned from an expert's proposal (app.console.proposals): marked planned on save.
    proposal = IntegerField(widget=HiddenInput(),
                            validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    status = SelectField(_l("保存为"), default=SessionStatus.DRAFT.value, choices=[
        SelectChoice(SessionStatus.DRAFT.value, STATUS_LABELS[SessionStatus.DRAFT]),
        SelectChoice(SessionStatus.PUBLISHED.value, _l("立即发布")),
    ])

    def fill(self, venues: list[Venue], experts: list[Expert], specialties) -> None:
        self.venue.choices = [SelectChoice(v.id, v.name) for v in venues]
        self._venues, self._experts = venues, experts
        self.experts.choices = [self._expert_choice(e) for e in experts]
        self.specialty.choices = [SelectChoice("", _l("按第一位专家的科室"))] + [
            SelectChoice(s.id, s.name) for s in specialties
        ]

    @staticmethod
    def _expert_choice(expert: Expert, hometown: str = "") -> SelectChoice:
        label = (f"{expert.name} {expert.title} · {expert.specialty.name} · "
                 f"{expert.institution.name}")
        return SelectChoice(expert.id, f"{label}（{hometown}）" if hometown else label)

    def hometown_experts_first(self) -> None:
        """乡情, the programme's point: when the venue is known (chosen, or the planner's
        only one), the experts born in its township come first, marked so."""
        venue = next((v for v in self._venues if v.id == self.venue.data), None) or (
            self._venues[0] if len(self._venues) == 1 else None)
        if venue is None:
            return
        home = [e for e in self._experts if e.native_township_id == venue.township_id]
        others = [e for e in self._experts if e.native_township_id != venue.township_id]
        marker = str(_l("%(town)s人", town=venue.township.name))
        self.experts.choices = ([self._expert_choice(e, marker) for e in home]
                                + [self._expert_choice(e) for e in others])

    def load(self, plan: SessionPlan) -> None:
        """Fill the form from a session as it is (the edit page)."""
        self.venue.data, self.kind.data = plan.venue_id, plan.kind.value
        self.experts.data, self.specialty.data = list(plan.expert_ids), plan.specialty_id
        self.title.data, self.description.data = plan.title, plan.description
        self.day.data, self.start.data, self.end.data = plan.day, plan.start, plan.end
        self.audience.data = plan.audience.value
        self.slot_minutes.data, self.per_slot.data = plan.slot_minutes, plan.per_slot
        self.seats.data = plan.seats
        self.referral_places.data = plan.referral_places
        self.referral_hours.data = plan.referral_hours

    def to_plan(self, status: SessionStatus | None = None) -> SessionPlan:
        """The plan typed; ``status``: the session's own (the edit form has none)."""
        return SessionPlan(
            venue_id=self.venue.data, kind=SessionKind(self.kind.data),
            expert_ids=list(self.experts.data), specialty_id=self.specialty.data,
            title=self.title.data or "", description=self.description.data or "",
            day=self.day.data, start=self.start.data, end=self.end.data,
            audience=Audience(self.audience.data),
            slot_minutes=self.slot_minutes.data or 30, per_slot=self.per_slot.data or 5,
            seats=self.seats.data, status=status or SessionStatus(self.status.data),
            referral_places=self.referral_places.data or 0,
            referral_hours=self.referral_hours.data or 24,
        )


class SessionEditForm(SessionForm):
    """Changing a session: its status is not edited here (发布 and 停诊 are their own
    buttons), nor is a proposal planned."""

    status = None
    proposal = None


class PolicyForm(FlaskForm):
    """The booking policy (SPEC §4); the release time is typed as HH:MM."""

    release_days = IntegerField(_l("提前几天放号"), validators=[
        InputRequired(_l("请填写")), _between(0, 90)])
    release_time = TimeField(_l("放号时间（如 08:00）"), validators=[
        InputRequired(_l("请填写时间，如 08:00"))])
    booking_cutoff_minutes = IntegerField(_l("开始前多少分钟停止网上预约"), validators=[
        InputRequired(_l("请填写")), _between(0, 7 * 24 * 60)])
    cancel_cutoff_minutes = IntegerField(_l("开始前多少分钟起不能取消或改约"), validators=[
        InputRequired(_l("请填写")), _between(0, 7 * 24 * 60)])
    one_per_session = BooleanField(_l("同一场次每人只能预约一个号"))
    max_active_per_person = IntegerField(_l("每人最多几个未就诊的预约"), validators=[
        InputRequired(_l("请填写")), _between(1, 50)])
    max_per_day = IntegerField(_l("每人每天最多几个门诊预约（不填：不限）"), validators=[
        Optional(), _between(1, 50)])
    max_per_week = IntegerField(_l("每人每周（周一至周日）最多几个门诊预约（不填：不限）"),
                                validators=[Optional(), _between(1, 50)])
    max_per_month = IntegerField(_l("每人每月最多几个门诊预约（不填：不限）"), validators=[
        Optional(), _between(1, 200)])
    noshow_limit = IntegerField(_l("爽约几次暂停网上预约"), validators=[
        InputRequired(_l("请填写")), _between(1, 50)])
    noshow_window_days = IntegerField(_l("统计最近几天的爽约"), validators=[
        InputRequired(_l("请填写")), _between(1, 3650)])
    suspension_days = IntegerField(_l("暂停网上预约几天"), validators=[
        InputRequired(_l("请填写")), _between(0, 3650)])
    waitlist_offer_minutes = IntegerField(_l("候补空位保留几分钟"), validators=[
        InputRequired(_l("请填写")), _between(1, 24 * 60)])
    waitlist_auto_confirm = BooleanField(_l("有空位时直接为第一位候补者确认预约"))

    NUMBERS = ("release_days", "booking_cutoff_minutes", "cancel_cutoff_minutes",
               "max_active_per_person", "noshow_limit", "noshow_window_days",
               "suspension_days", "waitlist_offer_minutes")
    SWITCHES = ("one_per_session", "waitlist_auto_confirm")
    OPTIONAL = ("max_per_day", "max_per_week", "max_per_month")  # blank: no limit

    def load(self, policy) -> None:
        for name in self.NUMBERS + self.SWITCHES + self.OPTIONAL:
            self[name].data = getattr(policy, name)
        self.release_time.data = time(policy.release_minute // 60, policy.release_minute % 60)

    def values(self) -> dict:
        values = {name: self[name].data for name in self.NUMBERS + self.OPTIONAL}
        values.update({name: bool(self[name].data) for name in self.SWITCHES})
        values["release_minute"] = self.release_time.data.hour * 60 + self.release_time.data.minute
        return values


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    object_type = SelectField(_l("对象"), validators=[Optional()])
    actor = StringField(_l("操作人手机号"), filters=[_compact],
                        validators=[Optional(), Length(max=20)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])

    def fill(self, object_types: list[str], labels: dict) -> None:
        self.object_type.choices = [SelectChoice("", _l("全部"))] + [
            SelectChoice(t, labels.get(t, t)) for t in object_types
        ]


class ReferralForm(WalkInForm):
    """A township doctor refers a patient into one of a session's referral places."""

    note = TextAreaField(_l("转诊说明（病情、为什么转诊；专家会看到，200字以内）"), filters=[strip],
                         validators=[DataRequired(message=_l("请写一句转诊说明")),
                                     Length(max=200, message=_l("转诊说明请写在200字以内"))])


class DeclineForm(FlaskForm):
    """Why a proposal cannot be met; the expert reads it."""

    answer = TextAreaField(_l("原因（专家会看到，200字以内）"), filters=[strip], validators=[
        DataRequired(message=_l("请写一句原因，专家会看到")),
        Length(max=200, message=_l("原因请写在200字以内"))])


WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))


class ProposalForm(FlaskForm):
    """An expert offers time: a day, or some weekdays between two dates; a half-day;
    the townships they would like to serve."""

    expert = SelectField(_l("专家"), coerce=int, validators=[InputRequired(_l("请选择专家"))])
    first_day = DayField(_l("日期（或从哪天起）"), validators=[InputRequired(_l("请填写日期"))])
    last_day = DayField(_l("到哪天（只提一天可不填）"), validators=[Optional()])
    weekdays = ChoicesField(
        _l("每周哪几天（提一段时间时选）"), coerce=int, validators=[Optional()],
        choices=[SelectChoice(i, label) for i, label in enumerate(WEEKDAYS)],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        render_kw={"class": "checks days"})
    half = SelectField(_l("上午还是下午"), choices=[SelectChoice("morning", _l("上午")),
                                                  SelectChoice("afternoon", _l("下午"))])
    townships = ChoicesField(_l("想去的乡镇（可多选；不选：哪里都可以）"), coerce=int,
                                    validators=[Optional()], render_kw={"size": 8})
    note = StringField(_l("备注（可不填）"), filters=[strip], validators=[Length(max=300)])

    def fill(self, experts, townships) -> None:
        # Name, title, specialty and hospital: two experts may share a name.
        self.expert.choices = [SessionForm._expert_choice(e) for e in experts]
        self.townships.choices = [SelectChoice(t.id, t.name) for t in townships]


class OutcomeForm(FlaskForm):
    """A held session's outcome: one count, its label set by the session's kind."""

    count = IntegerField(_l("人数或台数"), validators=[
        InputRequired(_l("请填写一个整数")), _between(0, 100_000)])

"""The filters of the delivery log (GET, no CSRF) and the resend button's form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from app.console.labels import CHANNEL_LABELS, MESSAGE_STATUS_LABELS
from app.notifications.models import Channel, MessageStatus

ALL = SelectChoice("", _l("全部"))


def _compact(value):
    """A phone typed with spaces or dashes as its digits; an e-mail address as typed."""
    if not isinstance(value, str):
        return value
    value = "".join(value.split())
    return value if "@" in value else value.replace("-", "")


class MessageFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("状态"), validators=[Optional()], choices=[ALL] + [
        SelectChoice(s.value, MESSAGE_STATUS_LABELS[s]) for s in MessageStatus])
    channel = SelectField(_l("渠道"), validators=[Optional()], choices=[ALL] + [
        SelectChoice(c.value, CHANNEL_LABELS[c]) for c in Channel])
    kind = SelectField(_l("消息类型"), validators=[Optional()])
    recipient = StringField(_l("收件手机号或邮箱"), filters=[_compact],
                            validators=[Optional(), Length(max=254)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])

    def fill(self, kinds: list[str], label) -> None:
        self.kind.choices = [ALL] + [SelectChoice(k, label(k)) for k in kinds]


class ResendForm(FlaskForm):
    """Only the CSRF token."""

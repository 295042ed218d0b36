"""The upload forms: a schedule (.ics or CSV) for a venue, an expert's busy times (.ics)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from app.core.coerce import optional_int
from app.directory.models import Expert, Venue

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
TOO_BIG = _l("文件太大：最大 5 MB。请把排班表分成几个文件，分批上传。")


def _expert_label(expert: Expert) -> str:
    return f"{expert.name} {expert.title} · {expert.institution.name}"


class ScheduleImportForm(FlaskForm):
    venue = SelectField(_l("导入到哪个地点"), coerce=int,
                        validators=[InputRequired(_l("请选择地点"))])
    expert = SelectField(_l("默认专家（文件里没写专家的场次）"), coerce=optional_int)
    file = FileField(_l("排班表文件（.ics 或 .csv）"), validators=[
        FileRequired(_l("请选择要上传的文件")),
        FileAllowed(["ics", "csv"], _l("只能上传 .ics 或 .csv 文件")),
        FileSize(MAX_UPLOAD_BYTES, message=TOO_BIG),
    ])

    def fill(self, venues: list[Venue], experts: list[Expert]) -> None:
        self.venue.choices = [SelectChoice(v.id, v.name) for v in venues]
        self.expert.choices = [SelectChoice("", _l("不指定（每个场次都要在文件里写明专家）"))] + [
            SelectChoice(e.id, _expert_label(e)) for e in experts]


class BusyImportForm(FlaskForm):
    expert = SelectField(_l("哪位专家"), coerce=int,
                         validators=[InputRequired(_l("请选择专家"))])
    file = FileField(_l("日历文件（.ics）"), validators=[
        FileRequired(_l("请选择要上传的文件")),
        FileAllowed(["ics"], _l("只能上传 .ics 文件")),
        FileSize(MAX_UPLOAD_BYTES, message=TOO_BIG),
    ])

    def fill(self, experts: list[Expert]) -> None:
        self.expert.choices = [SelectChoice(e.id, _expert_label(e)) for e in experts]

"""The programme's figures through the API (app.admin.statistics): the same range,
grouping, definitions and scope as the statistics page."""

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.admin import statistics
from app.api.auth import api_user, roles_required
from app.api.core import api_blueprint
from app.auth.models import Role
from app.core.clock import request_now
from app.core.time import local_today

blp = api_blueprint("statistics", __name__, "The programme's figures for a range of "
                                            "session dates (admins, coordinators, "
                                            "institution admins)")


class StatisticsArgsSchema(Schema):
    start = fields.Date(load_default=None, metadata={
        "description": "first local day (default: 1 January of this year)"})
    end = fields.Date(load_default=None, metadata={"description": "last local day "
                                                                  "(default: today)"})
    group = fields.String(load_default="township",
                          validate=validate.OneOf(list(statistics.GROUPS)))

    @validates_schema
    def _in_order(self, data, **_kwargs):
        for key in ("start", "end"):
            if data[key] and not statistics.EARLIEST <= data[key] <= statistics.LATEST:
                raise ValidationError("a date from 2000 to 2100", key)
        if data["start"] and data["end"] and data["end"] < data["start"]:
            raise ValidationError("end is before start", "end")
        first = data["start"] or date(2000, 1, 1)
        if data["end"] and data["end"] > statistics.longest_range_end(first):
            raise ValidationError(f"at most {statistics.MAX_YEARS} years at a time", "end")


_FIGURES = {name: (fields.Float(allow_none=True) if name.endswith("_rate")
                   else fields.Integer()) for name, _label, _d in statistics.DEFINITIONS}
_FIGURES.update(key=fields.Raw(), name=fields.String(), no_shows=fields.Integer(),
                attended=fields.Integer(), offers_made=fields.Integer(),
                offers_taken=fields.Integer())
FiguresSchema = Schema.from_dict(_FIGURES, name="Figures")


class StatisticsSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    group = fields.String()
    saving_per_visit = fields.Integer(metadata={"description": "yuan per clinic visit"})
    definitions = fields.Dict(keys=fields.String(), values=fields.String())
    rows = fields.List(fields.Nested(FiguresSchema))
    total = fields.Nested(FiguresSchema)
    years = fields.List(fields.Dict(), metadata={
        "description": "admins: each year since the programme began (entered: typed in "
                       "from the office's reports, else counted here)"})
    since = fields.Dict(metadata={"description": "admins: the sum of ``years``"})


@blp.get("/statistics")
@roles_required(Role.ADMIN, Role.COORDINATOR, Role.INSTITUTION_ADMIN)
@blp.arguments(StatisticsArgsSchema, location="query")
@blp.response(200, StatisticsSchema)
def figures(args):
    """The figures of each group and the total (each session counted once) for the
    sessions you may see: an admin's all, a coordinator's venues', an institution
    admin's experts'. ``definitions`` says what each figure counts."""
    today = local_today(request_now())
    first = args["start"] or date(today.year, 1, 1)
    last = args["end"] or max(today, first)
    rows, total, saving = statistics.report(api_user(), first=first, last=last,
                                            group=args["group"])
    for row in rows:  # a kind's key is its code
        row.key = getattr(row.key, "value", row.key)
    years, since = ([], {})
    if api_user().has_role(Role.ADMIN):
        years, since = statistics.cumulative(api_user(), today=today)
    return {"start": first, "end": last, "group": args["group"], "saving_per_visit": saving,
            "definitions": {name: str(text) for name, _l, text in statistics.DEFINITIONS},
            "rows": [r.as_dict() for r in rows], "total": total.as_dict(),
            "years": [{"year": y.year, "entered": y.entered, **y.values} for y in years],
            "since": since}

"""Console pages for uploading a hospital's schedule (.ics or CSV, as draft sessions) and
an expert's busy times (.ics). Routes on the console blueprint; the rules are in
``app.calendar.importing``: all or nothing, every problem reported."""

from flask import render_template, request

from app.auth.models import Role
from app.auth.views import role_required
from app.calendar.importing import ImportResult, import_busy_ics, import_csv, import_ics
from app.console import access
from app.console.import_forms import (
    MAX_UPLOAD_BYTES,
    TOO_BIG,
    BusyImportForm,
    ScheduleImportForm,
)
from app.console.views import _me, bp
from app.core.clock import request_now
from app.extensions import db

importer_required = role_required(Role.ADMIN, Role.COORDINATOR)
busy_uploader_required = role_required(Role.ADMIN, Role.ASSISTANT, Role.EXPERT)
FORM_OVERHEAD = 64 * 1024  # the other fields and the multipart framing


def _too_big() -> bool:
    """Refuse an over-size upload before reading it (the file field checks the rest)."""
    return (request.content_length or 0) > MAX_UPLOAD_BYTES + FORM_OVERHEAD


def _finish(result: ImportResult) -> ImportResult:
    """Keep everything or nothing: commit a clean import, roll back a refused one."""
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return result


@bp.route("/console/import", methods=["GET", "POST"])
@importer_required
def import_schedule():
    form = ScheduleImportForm()
    form.fill(access.import_venues(_me()), access.planning_experts(_me()))
    if request.method == "POST" and _too_big():
        form.file.errors = [TOO_BIG]
        return render_template("console/import.html", form=form, result=None), 413
    result = None
    if form.validate_on_submit():
        upload = form.file.data
        importer = import_csv if upload.filename.lower().endswith(".csv") else import_ics
        result = _finish(importer(upload.read(), venue_id=form.venue.data,
                                  default_expert_id=form.expert.data, by=_me(),
                                  now=request_now()))
    return render_template("console/import.html", form=form, result=result)


@bp.route("/console/busy", methods=["GET", "POST"])
@busy_uploader_required
def import_busy():
    form = BusyImportForm()
    form.fill(access.busy_experts(_me()))
    if request.method == "POST" and _too_big():
        form.file.errors = [TOO_BIG]
        return render_template("console/busy.html", form=form, result=None), 413
    result = None
    if form.validate_on_submit():
        result = _finish(import_busy_ics(form.file.data.read(), expert_id=form.expert.data,
                                         by=_me(), now=request_now()))
    return render_template("console/busy.html", form=form, result=result)

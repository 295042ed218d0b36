"""The account's patients (就诊人): list, add, edit, remove. Owners only; another
account's patient is a 404."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.clock import request_now
from app.core.errors import DomainError, NotFound
from app.extensions import db, limiter
from app.patients import queries, services
from app.patients.forms import ConfirmForm, PatientForm
from app.patients.labels import RELATION_LABELS
from app.patients.models import Patient, Relation

bp = Blueprint("patients", __name__, url_prefix="/patients")

WRITE_LIMIT = "20 per minute"  # per account


def _max_patients() -> int:
    return current_app.config["MAX_PATIENTS_PER_ACCOUNT"]


@bp.get("")
@login_required
def index():
    patients = queries.account_patients(current_user.id)
    return render_template("patients/list.html", patients=patients,
                           relation_labels=RELATION_LABELS, max_patients=_max_patients())


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@login_required
def add():
    """Add a patient; from the booking form (``?slot=``), back to it with them chosen."""
    slot_id = request.args.get("slot", type=int)
    form = PatientForm(data={"phone": current_user.phone}).for_holder(False)
    if form.validate_on_submit():
        try:
            patient = services.add_patient(current_user.id, **_details(form),
                                           max_patients=_max_patients(), now=request_now())
        except DomainError as exc:
            db.session.rollback()
            form.add_domain_error(exc)
        else:
            name, patient_id = patient.name, patient.id
            db.session.commit()
            flash(_("已添加就诊人%(name)s", name=name), "success")
            if slot_id:
                return redirect(url_for("bookings.book", slot_id=slot_id, patient=patient_id))
            return redirect(url_for(".index"))
    back = url_for("bookings.book", slot_id=slot_id) if slot_id else url_for(".index")
    return render_template("patients/form.html", form=form, patient=None, back=back)


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@login_required
def edit(patient_id: int):
    patient = queries.account_patient(current_user.id, patient_id) or abort(404)
    # The owner's edit form is the one place the full ID number is shown.
    form = PatientForm(data=None if request.method == "POST" else _prefill(patient))
    form.for_holder(patient.relation == Relation.SELF)
    if form.validate_on_submit():
        try:
            services.update_patient(current_user.id, patient_id, **_details(form),
                                    now=request_now())
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            form.add_domain_error(exc)
        else:
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for(".index"))
    response = make_response(render_template("patients/form.html", form=form, patient=patient))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<int:patient_id>/remove", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@login_required
def remove(patient_id: int):
    patient = queries.account_patient(current_user.id, patient_id) or abort(404)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            services.remove_patient(current_user.id, patient_id, now=request_now())
        except NotFound:
            abort(404)
        except DomainError as exc:
            db.session.rollback()
            error = exc.message
        else:
            db.session.commit()
            flash(_("已删除就诊人"), "success")
            return redirect(url_for(".index"))
    return render_template("patients/remove.html", form=form, patient=patient, error=error)


def _prefill(patient: Patient) -> dict:
    return {"name": patient.name, "id_number": patient.reveal_id_number(),
            "phone": patient.phone, "relation": patient.relation.value}


def _details(form: PatientForm) -> dict:
    return {"name": form.name.data, "id_number": form.id_number.data,
            "phone": form.phone.data, "relation": Relation(form.relation.data)}

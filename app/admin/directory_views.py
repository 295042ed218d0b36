"""/admin/directory: the programme office keeps townships, institutions, specialties,
venues and experts — list, create, edit, retire and restore (admins); an institution
admin keeps their own institution's experts here (app.admin.directory.check_keeper)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.admin import directory, photos
from app.admin.directory_forms import FORMS
from app.admin.directory_import import COLUMNS, ImportRefused, import_file
from app.admin.forms import EnabledForm
from app.auth.models import Role, User
from app.auth.views import role_required
from app.core.clock import request_now
from app.core.coerce import page_number
from app.core.errors import DomainError, NotFound
from app.directory.models import Expert, Institution, Specialty, Township, Venue
from app.extensions import db, limiter

bp = Blueprint("directory_admin", __name__, url_prefix="/admin/directory")

WRITE_LIMIT = "60 per minute"  # per account
PER_PAGE = 50
# The kinds in the order the office sets them up, by the slug of their address.
KINDS = {
    "townships": (Township, _l("乡镇")),
    "institutions": (Institution, _l("医院和单位")),
    "specialties": (Specialty, _l("专科")),
    "venues": (Venue, _l("地点")),
    "experts": (Expert, _l("专家")),
}


IMPORTABLE = ("experts", "venues")
keeper_required = role_required(Role.ADMIN, Role.INSTITUTION_ADMIN)


def _me() -> User:
    return db.session.get(User, current_user.id)


def _kind(slug: str):
    if slug not in KINDS:
        abort(404)
    return KINDS[slug]


def _kept(slug: str, thing_id: int | None = None):
    """The kind and (with ``thing_id``) the row, when the signed-in account keeps it;
    else 404 — another institution's expert is not revealed."""
    model, label = _kind(slug)
    try:
        thing = directory.get(model, thing_id) if thing_id else None
        directory.check_keeper(_me(), model, thing)
    except NotFound:
        abort(404)
    return model, label, thing


def _form(model, thing=None):
    """The kind's form, its selects offering enabled rows only — and, editing, the
    retired row the thing refers to already, marked so. An institution admin is
    offered their own institutions only."""
    form = FORMS[model](obj=thing)
    choices = {}
    kept = directory.kept_institutions(_me())
    for key, ref_model in directory.REFERENCES.items():
        if key not in form._fields:
            continue
        query = select(ref_model.id, ref_model.name).where(ref_model.is_enabled)
        if key == "institution_id" and kept is not None:
            query = query.where(ref_model.id.in_(kept))
        options = list(db.session.execute(query.order_by(ref_model.id)))
        current = getattr(thing, key) if thing is not None else None
        if current is not None and current not in {i for i, _name in options}:
            retired = db.session.get(ref_model, current)
            options.append((current, _("%(name)s（已停用）", name=retired.name)))
        choices[key] = options
    return form.fill(choices)


@bp.get("")
@role_required(Role.ADMIN)
def index():
    counts = {slug: db.session.scalar(select(func.count()).select_from(model))
              for slug, (model, _label) in KINDS.items()}
    return render_template("admin/directory/index.html", kinds=KINDS, counts=counts)


@bp.get("/<slug>")
@keeper_required
def listing(slug: str):
    model, label, _thing = _kept(slug)
    name = request.args.get("q", "").strip()[:50]
    query = select(model).order_by(model.is_enabled.desc(), model.id)
    if (kept := directory.kept_institutions(_me())) is not None:
        query = query.where(Expert.institution_id.in_(kept))
    if name:
        query = query.where(model.name.contains(name))
    if model is Expert:  # each row names the expert's specialty and hospital
        query = query.options(selectinload(Expert.specialty), selectinload(Expert.institution))
    page = db.paginate(query, page=page_number(request.args.get("page", type=int)),
                       per_page=PER_PAGE, error_out=False)
    return render_template("admin/directory/list.html", slug=slug, label=label, page=page,
                           q=name, enabled_form=EnabledForm())


@bp.route("/<slug>/new", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@keeper_required
def new(slug: str):
    return _edit(slug, None)


@bp.route("/<slug>/<int:thing_id>", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@keeper_required
def edit(slug: str, thing_id: int):
    return _edit(slug, thing_id)


def _edit(slug: str, thing_id: int | None):
    model, label, thing = _kept(slug, thing_id)
    form = _form(model, thing)
    if form.validate_on_submit():
        try:
            directory.check_keeper(_me(), model, thing, form.values())
            saved = directory.save(model, form.values(), thing=thing, by_id=current_user.id,
                                   now=request_now())
        except DomainError as exc:
            db.session.rollback()
            form.add_domain_error(exc)
        else:
            name = saved.name
            db.session.commit()
            flash(_("已保存：%(name)s", name=name), "success")
            return redirect(url_for(".listing", slug=slug))
    return render_template("admin/directory/form.html", slug=slug, label=label, form=form,
                           thing=thing, photo_form=PhotoForm() if model is Expert else None)


@bp.post("/<slug>/<int:thing_id>/enabled")
@limiter.limit(WRITE_LIMIT)
@keeper_required
def set_enabled(slug: str, thing_id: int):
    _model, _label, thing = _kept(slug, thing_id)
    form = EnabledForm()
    if not form.validate_on_submit():
        abort(400)
    name = thing.name
    try:
        directory.set_enabled(thing, form.enabled.data == "1", by_id=current_user.id,
                              now=request_now())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("已恢复：%(name)s", name=name) if form.enabled.data == "1"
              else _("已停用：%(name)s", name=name), "success")
    return redirect(url_for(".listing", slug=slug))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV 文件（UTF-8 或 GB18030）"),
                     validators=[FileRequired(_l("请选择文件"))])


@bp.route("/<slug>/import", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@role_required(Role.ADMIN)
def import_csv(slug: str):
    """Experts or venues from a CSV file, all or nothing (app.admin.directory_import)."""
    if slug not in IMPORTABLE:
        abort(404)
    _model, label = _kind(slug)
    form, problems = ImportForm(), []
    if form.validate_on_submit():
        try:
            count = import_file(slug, form.file.data.read(), by_id=current_user.id,
                                now=request_now())
        except ImportRefused as exc:
            db.session.rollback()
            form.file.errors.append(exc.message)
            problems = exc.problems
        else:
            db.session.commit()
            flash(_("已导入 %(n)s 条", n=count), "success")
            return redirect(url_for(".listing", slug=slug))
    return render_template("admin/directory/import.html", slug=slug, label=label, form=form,
                           problems=problems, columns=COLUMNS[slug])


class PhotoForm(FlaskForm):
    photo = FileField(_l("照片（JPEG、PNG 或 WebP，不超过 2 MB）"))


@bp.post("/experts/<int:expert_id>/photo")
@limiter.limit(WRITE_LIMIT)
@keeper_required
def expert_photo(expert_id: int):
    """Upload (or, with ``remove``, take away) an expert's photo."""
    _model, _label, expert = _kept("experts", expert_id)
    form = PhotoForm()
    if not form.validate_on_submit():
        abort(400)
    upload = None if request.form.get("remove") else form.photo.data
    if upload is None and not request.form.get("remove"):
        flash(_("请选择照片"), "error")
        return redirect(url_for(".edit", slug="experts", thing_id=expert_id))
    try:
        photos.set_photo(expert, upload.read() if upload else None, by_id=current_user.id,
                         now=request_now())
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("照片已更新") if upload else _("照片已删除"), "success")
    return redirect(url_for(".edit", slug="experts", thing_id=expert_id))

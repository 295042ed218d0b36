"""Console pages for proposals (提议出诊): experts and assistants propose time and see
what became of it; coordinators and admins see the open ones for their townships and
open the planning form filled in from one. Rules: app.console.proposals."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.auth.models import Role
from app.auth.views import role_required
from app.console import proposals
from app.console.forms import DeclineForm, ProposalForm
from app.console.views import _me, bp, staff_required
from app.core.clock import request_now
from app.core.errors import DomainError, NotFound
from app.directory.models import Expert, Township
from app.extensions import db, limiter
from app.scheduling.models import HalfDay

proposer_required = role_required(Role.ADMIN, Role.EXPERT, Role.ASSISTANT)
WRITE_LIMIT = "30 per minute"  # per account


@bp.get("/console/proposals")
@staff_required
def proposal_list():
    me, now = _me(), request_now()
    to_plan = proposals.to_plan(me, now=now)
    return render_template(
        "console/proposals.html", to_plan=to_plan, own=proposals.own(me),
        may_propose=bool(proposals.proposable_experts(me)), describe=proposals.describe,
        venues=proposals.planning_venues(me, to_plan),
        form_args=proposals.form_args,
        townships=dict(db.session.execute(select(Township.id, Township.name)).all()))


@bp.route("/console/proposals/new", methods=["GET", "POST"])
@limiter.limit(WRITE_LIMIT, methods=["POST"])
@proposer_required
def propose():
    me = _me()
    form = ProposalForm()
    form.fill(proposals.proposable_experts(me), db.session.scalars(
        select(Township).where(Township.is_enabled).order_by(Township.id)).all())
    if form.validate_on_submit():
        try:
            proposals.propose(
                expert_id=form.expert.data, first_day=form.first_day.data,
                last_day=form.last_day.data, weekdays=form.weekdays.data or [],
                half=HalfDay(form.half.data), township_ids=form.townships.data or [],
                note=form.note.data or "", by=me, now=request_now())
        except DomainError as error:
            db.session.rollback()
            field = {"last_day": form.last_day, "weekdays": form.weekdays,
                     "townships": form.townships}.get(error.code, form.first_day)
            field.errors.append(error.message)
        else:
            db.session.commit()
            own = db.session.get(Expert, form.expert.data).user_id == me.id
            flash(_("已提交。排班员排定后，会用短信和站内消息通知您。") if own else
                  _("已提交。排班员排定后，会用短信和站内消息通知专家和助手。"), "success")
            return redirect(url_for("console.proposal_list"))
    return render_template("console/propose.html", form=form)


@bp.post("/console/proposals/<int:proposal_id>/withdraw")
@limiter.limit(WRITE_LIMIT)
@proposer_required
def withdraw_proposal(proposal_id: int):
    """The button posts only its CSRF token (checked by CSRFProtect, as every POST)."""
    try:
        proposals.withdraw(proposal_id, by=_me(), now=request_now())
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("已撤回"), "success")
    return redirect(url_for("console.proposal_list"))


@bp.post("/console/proposals/<int:proposal_id>/decline")
@limiter.limit(WRITE_LIMIT)
@staff_required
def decline_proposal(proposal_id: int):
    """A coordinator answers that an open proposal cannot be met, with a reason."""
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(form.answer.errors[0] if form.answer.errors else _("请写一句原因，专家会看到"),
              "error")
        return redirect(url_for("console.proposal_list", _anchor=f"proposal-{proposal_id}"))
    try:
        proposal = proposals.decline(proposal_id, form.answer.data, by=_me(), now=request_now())
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        name = proposal.expert.name
        db.session.commit()
        flash(_("已回复%(name)s：这次排不了。", name=name), "success")
    return redirect(url_for("console.proposal_list"))

"""Pages of transfers over the city's boundary: cross-province transfer approvals (list, form, detail with
what each code has left) and arrivals from other cities under another system's manifest number."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import auth
from ...accounts.models import Organisation, OrgStatus
from ...auth import login_required, regulator_required
from ...errors import DomainError, Forbidden
from ...extensions import db
from ..manifests.models import Manifest
from . import services
from .forms import LINES_HINT, ApprovalForm, IncomingForm, SearchForm

bp = Blueprint("transfers", __name__, url_prefix="/transfers")
PER_PAGE = 25


def _field_errors(form, exc: DomainError, default: str) -> None:
    for name, message in (exc.fields or {default: exc.message}).items():
        target = form[name] if name in form else form[default]
        target.errors = [*target.errors, str(message)]


# --- approvals -----------------------------------------------------------------------------------

@bp.get("/approvals")
@login_required
def approvals():
    page = db.paginate(services.approvals_visible_to(current_user), per_page=PER_PAGE)
    regulating = auth.is_admin(current_user) or bool(
        auth.regulator_of(current_user) and not auth.outside_regulator(current_user))
    return render_template("regulatory/transfers/approvals.html", page=page, regulating=regulating,
                           remaining={a.id: services.remaining(a) for a in page.items})


def _approval_choices(form: ApprovalForm) -> None:
    generators = db.session.scalars(auth.orgs_visible_to(current_user).where(
        Organisation.is_generator.is_(True), Organisation.status == OrgStatus.VERIFIED).order_by(Organisation.name))
    form.generator_id.choices = [(o.id, f"{o.name} ({o.uscc})") for o in generators]
    # the receiver is in another province, so outside any regulator's jurisdiction here: all verified receivers
    receivers = db.session.scalars(select(Organisation).where(
        Organisation.is_receiver.is_(True), Organisation.status == OrgStatus.VERIFIED).order_by(Organisation.name))
    form.receiver_id.choices = [(o.id, f"{o.name} ({o.uscc})") for o in receivers]


@bp.route("/approvals/new", methods=["GET", "POST"])
@regulator_required
def new_approval():
    form = ApprovalForm()
    _approval_choices(form)
    if form.validate_on_submit():
        try:
            approval = services.record_approval(
                current_user, generator=db.session.get(Organisation, form.generator_id.data),
                receiver=db.session.get(Organisation, form.receiver_id.data), number=form.number.data,
                approving_authority=form.approving_authority.data, valid_from=form.valid_from.data,
                valid_until=form.valid_until.data, notes=form.notes.data,
                lines=services.parse_quantity_lines(form.lines.data, "lines"))
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "number")
        else:
            db.session.commit()
            flash(_("Approval %(number)s recorded.", number=approval.number), "success")
            return redirect(url_for(".approval", approval_id=approval.id))
    return render_template("regulatory/transfers/approval_form.html", form=form,
                           lines_hint=LINES_HINT), 422 if form.errors else 200


@bp.get("/approvals/<int:approval_id>")
@login_required
def approval(approval_id: int):
    found = services.get_approval(current_user, approval_id)
    manifests = db.session.scalars(select(Manifest).where(Manifest.transfer_approval_id == found.id)
                                   .order_by(Manifest.submitted_at.desc()).limit(200))
    return render_template("regulatory/transfers/approval.html", approval=found,
                           remaining=services.remaining(found), manifests=list(manifests))


# --- arrivals from other cities ------------------------------------------------------------------

@bp.get("/incoming")
@login_required
def incoming():
    form = SearchForm(formdata=request.args)
    form.validate()
    query = services.incoming_visible_to(current_user, None if form.q.errors else form.q.data)
    page = db.paginate(query, per_page=PER_PAGE)
    org = auth.current_org()
    may_record = bool(org and org.is_receiver and auth.is_member(current_user, org.id))
    return render_template("regulatory/transfers/incoming_list.html", form=form, page=page, may_record=may_record)


@bp.route("/incoming/new", methods=["GET", "POST"])
@login_required
def new_incoming():
    org = auth.current_org()
    if org is None or not org.is_receiver:
        raise Forbidden(_("Only a receiver records arrivals."))
    form = IncomingForm()
    if form.validate_on_submit():
        try:
            transfer = services.record_incoming(
                current_user, org, external_number=form.external_number.data,
                issuing_system=form.issuing_system.data, origin_district_code=form.origin_district_code.data,
                generator_name=form.generator_name.data, generator_uscc=form.generator_uscc.data,
                received_on=form.received_on.data, notes=form.notes.data,
                lines=services.parse_quantity_lines(form.lines.data, "lines"))
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "external_number")
        else:
            db.session.commit()
            flash(_("Arrival under manifest %(number)s recorded.", number=transfer.external_number), "success")
            return redirect(url_for(".incoming_detail", transfer_id=transfer.id))
    return render_template("regulatory/transfers/incoming_form.html", form=form, org=org,
                           lines_hint=LINES_HINT), 422 if form.errors else 200


@bp.get("/incoming/<int:transfer_id>")
@login_required
def incoming_detail(transfer_id: int):
    return render_template("regulatory/transfers/incoming.html",
                           transfer=services.get_incoming(current_user, transfer_id))

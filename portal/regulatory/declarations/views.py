"""Declaration pages: the enterprise's list, new declaration, figures form and detail; the regulator's queue
and review."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import auth
from ...accounts.forms import county_choices
from ...accounts.models import Organisation
from ...auth import login_required, regulator_required
from ...errors import DomainError, Forbidden
from ...extensions import db
from ...jurisdiction import jurisdiction_code
from . import services
from .forms import FiguresForm, ListFilterForm, NewDeclarationForm, QueueFilterForm, ReviewForm
from .models import FIGURES, Declaration

bp = Blueprint("declarations", __name__, url_prefix="/declarations")
PER_PAGE = 25


@bp.context_processor
def labels():
    return {"kind_labels": services.KIND_LABELS, "status_labels": services.STATUS_LABELS,
            "figure_labels": services.FIGURE_LABELS, "figures_order": FIGURES, "tonnes": services.tonnes,
            "difference_text": services.difference_text}


def _page(form, query):
    return db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)


@bp.get("")
@login_required
def index():
    org = auth.current_org()
    if org is None:
        if auth.regulator_of(current_user) or auth.is_admin(current_user):
            return redirect(url_for("declarations.queue"))
        raise Forbidden(_("You do not belong to an organisation."))
    form = ListFilterForm(formdata=request.args)
    page = None
    if form.validate():
        kind, start = services.period_filter(form.period.data)
        page = _page(form, services.declarations_query(current_user, kind=kind, status=form.status.data or None,
                                                       period_start=start, organisation_id=org.id))
    return render_template("regulatory/declarations/list.html", form=form, page=page, org=org,
                           may_file=auth.is_org_office(current_user, org.id)), 200 if page is not None else 422


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    org = auth.current_org_or_403()
    if not auth.is_org_office(current_user, org.id):
        raise Forbidden(_("Only the enterprise's administrators and staff submit its declarations."))
    form = NewDeclarationForm()
    if form.validate_on_submit():
        try:
            declaration = services.create_declaration(current_user, org, form.kind.data, form.period.data)
            db.session.commit()
            flash(_("The declaration is prefilled from the ledger. Check the figures and submit it."), "success")
            return redirect(url_for("declarations.edit", declaration_id=declaration.id))
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc)
    return render_template("regulatory/declarations/new.html", form=form, org=org), 422 if form.errors else 200


def _field_errors(form, exc: DomainError) -> None:
    placed = False
    for name, message in (exc.fields or {}).items():
        if name in form._fields:
            form[name].errors = [*form[name].errors, str(message)]
            placed = True
    if not placed:
        flash(str(exc.message), "error")


@bp.route("/<int:declaration_id>/edit", methods=["GET", "POST"])
@login_required
def edit(declaration_id: int):
    declaration = services.get_declaration(current_user, declaration_id)
    if not auth.is_org_office(current_user, declaration.organisation_id):
        raise Forbidden(_("Only the enterprise's administrators and staff submit its declarations."))
    if declaration.status not in services.EDITABLE:
        return redirect(url_for("declarations.detail", declaration_id=declaration.id))
    form = FiguresForm(data=None if request.method == "POST" else {
        "note": declaration.note,
        "figures": [{"waste_code": f.waste_code, "figure": f.figure, "declared_kg": Decimal(f.declared_g) / 1000,
                     "comment": f.comment} for f in declaration.figures]})
    if form.validate_on_submit() and (entries := _entries(form)) is not None:
        submitting = "submit" in request.form
        try:
            if submitting:
                services.submit_declaration(current_user, declaration, entries, form.note.data)
            else:
                services.update_figures(current_user, declaration, entries, form.note.data)
            db.session.commit()
            flash(_("The declaration is submitted.") if submitting else _("The figures are saved."), "success")
            return redirect(url_for("declarations.detail", declaration_id=declaration.id))
        except DomainError as exc:
            db.session.rollback()
            declaration = services.get_declaration(current_user, declaration_id)
            _figure_errors(form, exc)
    rows = {(f.waste_code, f.figure): f for f in declaration.figures}
    return (render_template("regulatory/declarations/edit.html", form=form, declaration=declaration, rows=rows),
            422 if form.errors or request.method == "POST" else 200)


def _entries(form: FiguresForm) -> list[dict] | None:
    """The form's figures in the service's shape (grams); None, with errors on the form, for bad input."""
    entries = []
    for entry in form.figures:
        grams = entry.declared_kg.data * 1000
        if grams != grams.to_integral_value():
            entry.declared_kg.errors = [*entry.declared_kg.errors, _("Use at most three decimals.")]
            return None
        entries.append({"waste_code": entry.waste_code.data, "figure": entry.figure.data,
                        "declared_g": int(grams), "comment": entry.comment.data})
    return entries


def _figure_errors(form: FiguresForm, exc: DomainError) -> None:
    placed = False
    for name, message in (exc.fields or {}).items():
        if name.startswith("figures[") and "]" in name:
            index = int(name[len("figures["):name.index("]")])
            part = "comment" if name.endswith(".comment") else "declared_kg"
            if index < len(form.figures):
                field = form.figures[index][part]
                field.errors = [*field.errors, str(message)]
                placed = True
        elif name == "note":
            form.note.errors = [*form.note.errors, str(message)]
            placed = True
    if not placed:
        flash(str(exc.message), "error")


@bp.get("/<int:declaration_id>")
@login_required
def detail(declaration_id: int):
    declaration = services.get_declaration(current_user, declaration_id)
    differences = (services.balance_differences(declaration) if declaration.status in services.EDITABLE
                   else declaration.differences)
    actions = services.allowed_actions(current_user, declaration)
    review = ReviewForm() if {"accept", "return"} & set(actions) else None
    return render_template("regulatory/declarations/detail.html", declaration=declaration, differences=differences,
                           actions=actions, review=review)


@bp.post("/<int:declaration_id>/review")
@login_required
def review(declaration_id: int):
    declaration = services.get_declaration(current_user, declaration_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.review_declaration(current_user, declaration, form.decision.data, form.reason.data)
            db.session.commit()
            flash(_("The declaration is accepted.") if form.decision.data == "accept"
                  else _("The declaration is returned to the enterprise."), "success")
            return redirect(url_for("declarations.queue"))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            declaration = services.get_declaration(current_user, declaration_id)
            _field_errors(form, exc)
    elif not services.allowed_actions(current_user, declaration):
        raise Forbidden(_("Only a regulator of the enterprise's district reviews its declarations."))
    return render_template("regulatory/declarations/detail.html", declaration=declaration,
                           differences=declaration.differences,
                           actions=services.allowed_actions(current_user, declaration), review=form), 422


@bp.get("/queue")
@regulator_required
def queue():
    form = QueueFilterForm(formdata=request.args)
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    form.district.choices = [("", _("All districts"))] + county_choices(only)
    organisations = db.session.scalars(auth.orgs_visible_to(current_user).where(
        Organisation.id.in_(select(Declaration.organisation_id))).order_by(Organisation.name)).all()
    form.organisation.choices = [("", _("All organisations"))] + [(str(o.id), o.name) for o in organisations]
    page = None
    if form.validate():
        kind, start = services.period_filter(form.period.data)
        page = _page(form, services.declarations_query(
            current_user, kind=kind, status=form.status.data or None, period_start=start,
            district=form.district.data or None,
            organisation_id=int(form.organisation.data) if form.organisation.data else None))
    return (render_template("regulatory/declarations/queue.html", form=form, page=page),
            200 if page is not None else 422)

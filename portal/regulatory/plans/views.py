"""Management plan pages: the enterprise's list, the form with its lines, the detail with the comparison, and
the regulator's queue and review."""
import re
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import auth
from ...accounts.forms import county_choices
from ...accounts.models import Organisation
from ...auth import login_required, regulator_required
from ...clock import china_today
from ...errors import DomainError, Forbidden, put_errors
from ...extensions import db
from ...jurisdiction import jurisdiction_code
from ..batches.models import StorageFacility
from ..declarations.services import tonnes
from . import services
from .forms import BLANK_LINES, FilterForm, PlanForm, QueueFilterForm, ReviewForm
from .models import ManagementPlan

bp = Blueprint("plans", __name__, url_prefix="/plans")
PER_PAGE = 25
GRAMS_PER_TONNE = 1_000_000
# the service's line fields and the form's
FORM_FIELDS = {"waste_code": "waste_code", "expected_g": "expected_t", "facility_id": "facility",
               "max_stored_g": "max_stored_t", "own_g": "own_t", "own_method": "own_method",
               "receiver_ids": "receivers"}
_LINE_FIELD = re.compile(r"^lines\[(\d+)\](?:\.(\w+))?$")


@bp.context_processor
def labels():
    return {"status_labels": services.STATUS_LABELS, "tonnes": tonnes}


def _page(form, query):
    return db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)


@bp.get("")
@login_required
def index():
    org = auth.current_org()
    if org is None:
        if auth.regulator_of(current_user) or auth.is_admin(current_user):
            return redirect(url_for("plans.queue"))
        raise Forbidden(_("You do not belong to an organisation."))
    form = FilterForm(formdata=request.args)
    page = None
    if form.validate():
        page = _page(form, services.plans_query(current_user, year=form.year.data, status=form.status.data or None,
                                                organisation_id=org.id))
    return (render_template("regulatory/plans/list.html", form=form, page=page, org=org,
                            may_file=auth.is_org_office(current_user, org.id)), 200 if page is not None else 422)


def _choices(form: PlanForm, org: Organisation) -> None:
    facilities = db.session.scalars(select(StorageFacility).where(StorageFacility.organisation_id == org.id)
                                    .order_by(StorageFacility.name)).all()
    receivers = db.session.scalars(select(Organisation).where(
        Organisation.is_receiver.is_(True), Organisation.status == "verified").order_by(Organisation.name)).all()
    for entry in form.lines:
        entry.facility.choices = [("", _("None"))] + [(str(f.id), f.name) for f in facilities]
        entry.receivers.choices = [(r.id, r.name) for r in receivers]


def _initial(plan: ManagementPlan | None) -> dict:
    lines = []
    for line in plan.lines if plan is not None else []:
        lines.append({"waste_code": line.waste_code, "expected_t": Decimal(line.expected_g) / GRAMS_PER_TONNE,
                      "facility": str(line.facility_id or ""),
                      "max_stored_t": Decimal(line.max_stored_g) / GRAMS_PER_TONNE,
                      "own_t": Decimal(line.own_g) / GRAMS_PER_TONNE, "own_method": line.own_method or "",
                      "receivers": line.receiver_ids})
    lines += [{}] * BLANK_LINES
    return {"year": plan.year if plan is not None else china_today().year,
            "measures": plan.measures if plan is not None else "", "lines": lines}


def _grams(value) -> int:
    return int((value or 0) * GRAMS_PER_TONNE)


def _lines(form: PlanForm) -> tuple[list[dict], list[int]]:
    """The filled rows in the service's shape, and the form row of each (for placing errors)."""
    lines, rows = [], []
    for index, entry in enumerate(form.lines):
        if not (entry.waste_code.data or "").strip():
            continue
        lines.append({"waste_code": entry.waste_code.data.strip(), "expected_g": _grams(entry.expected_t.data),
                      "facility_id": int(entry.facility.data) if entry.facility.data else None,
                      "max_stored_g": _grams(entry.max_stored_t.data), "own_g": _grams(entry.own_t.data),
                      "own_method": (entry.own_method.data or "").strip() or None,
                      "receiver_ids": list(entry.receivers.data or [])})
        rows.append(index)
    return lines, rows


def _place_errors(form: PlanForm, exc: DomainError, rows: list[int]) -> None:
    placed = False
    for name, message in (exc.fields or {}).items():
        match = _LINE_FIELD.match(name)
        if match and int(match.group(1)) < len(rows):
            entry = form.lines[rows[int(match.group(1))]]
            field = entry[FORM_FIELDS.get(match.group(2) or "", "waste_code")]
            field.errors = [*field.errors, str(message)]
            placed = True
        elif name in ("year", "measures"):
            form[name].errors = [*form[name].errors, str(message)]
            placed = True
    if not placed:
        flash(str(exc.message), "error")


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(plan_id: int | None = None):
    org = auth.current_org_or_403()
    plan = services.get_plan(current_user, plan_id) if plan_id else None
    if not auth.is_org_office(current_user, plan.organisation_id if plan else org.id):
        raise Forbidden(_("Only the enterprise's administrators and staff file its management plans."))
    if plan is not None and plan.status not in services.EDITABLE:
        return redirect(url_for("plans.detail", plan_id=plan.id))
    form = PlanForm(data=None if request.method == "POST" else _initial(plan))
    _choices(form, plan.organisation if plan else org)
    if form.validate_on_submit():
        lines, rows = _lines(form)
        try:
            if plan is None:
                plan = services.create_plan(current_user, org, form.year.data, lines, form.measures.data)
            else:
                services.update_plan(current_user, plan, lines, form.measures.data)
            if "submit" in request.form:
                services.submit_plan(current_user, plan)
            db.session.commit()
            flash(_("The management plan is submitted.") if "submit" in request.form
                  else _("The management plan is saved."), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
        except DomainError as exc:
            db.session.rollback()
            plan = services.get_plan(current_user, plan_id) if plan_id else None
            _place_errors(form, exc, rows)
    return (render_template("regulatory/plans/form.html", form=form, plan=plan),
            422 if form.errors or request.method == "POST" else 200)


@bp.get("/<int:plan_id>")
@login_required
def detail(plan_id: int, review: ReviewForm | None = None, status: int = 200):
    plan = services.get_plan(current_user, plan_id)
    actions = services.allowed_actions(current_user, plan)
    if review is None and {"accept", "return"} & set(actions):
        review = ReviewForm()
    return render_template("regulatory/plans/detail.html", plan=plan, actions=actions, review=review,
                           comparison=services.compare_plan(plan)), status


@bp.post("/<int:plan_id>/review")
@login_required
def review(plan_id: int):
    plan = services.get_plan(current_user, plan_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.review_plan(current_user, plan, form.decision.data, form.reason.data)
            db.session.commit()
            flash(_("The management plan is accepted.") if form.decision.data == "accept"
                  else _("The management plan is returned to the enterprise."), "success")
            return redirect(url_for("plans.queue"))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            put_errors(form, exc, "reason")
    elif not services.allowed_actions(current_user, plan):
        raise Forbidden(_("Only a regulator of the enterprise's district accepts its management plans."))
    return detail(plan_id, review=form, status=422)


@bp.get("/queue")
@regulator_required
def queue():
    form = QueueFilterForm(formdata=request.args)
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    form.district.choices = [("", _("All districts"))] + county_choices(only)
    organisations = db.session.scalars(auth.orgs_visible_to(current_user).where(
        Organisation.id.in_(select(ManagementPlan.organisation_id))).order_by(Organisation.name)).all()
    form.organisation.choices = [("", _("All organisations"))] + [(str(o.id), o.name) for o in organisations]
    page = None
    if form.validate():
        page = _page(form, services.plans_query(
            current_user, year=form.year.data, status=form.status.data or None, district=form.district.data or None,
            organisation_id=int(form.organisation.data) if form.organisation.data else None))
    return render_template("regulatory/plans/queue.html", form=form, page=page), 200 if page is not None else 422

"""Licence pages: the list (regulators: their jurisdiction; holders: their own, read-only), the form with
its scope rows, the detail page with capacity used and remaining, status decisions and the receipt check."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ... import auth
from ...accounts.forms import county_choices
from ...accounts.models import Organisation
from ...auth import login_required, regulator_required
from ...clock import china_today
from ...errors import DomainError, Forbidden, NotFound
from ...extensions import db
from ...jurisdiction import jurisdiction_code
from . import (
    reminders,  # noqa: F401  (registers the expiry scanner with the alerts)
    services,
)
from .forms import SCOPE_HINT, CheckForm, LicenceFilterForm, LicenceForm, StatusForm
from .models import Licence

bp = Blueprint("licences", __name__, url_prefix="/licences")

ACTION_MESSAGES = {"suspend": _l("The licence is suspended."), "reinstate": _l("The licence is active again."),
                   "revoke": _l("The licence is revoked.")}


def _visible_licence(licence_id: int) -> Licence:
    licence = db.session.get(Licence, licence_id)
    if licence is None or not auth.can_read_licences_of(current_user, licence.organisation):
        raise NotFound(_("Licence not found."))
    return licence


def _may_regulate(org: Organisation) -> bool:
    return auth.can_review_org(current_user, org)


# service argument names → the form fields that carry them
FORM_FIELDS = {"annual_capacity_g": "annual_capacity_t", "waste_code": "code", "quantity_g": "quantity_kg"}


def _field_errors(form, exc: DomainError, default: str) -> None:
    for name, message in (exc.fields or {default: exc.message}).items():
        name = FORM_FIELDS.get(name, name)
        target = form[name] if name in form else form[default]
        target.errors = [*target.errors, str(message)]


def _district_choices(blank: str):
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    return [("", blank)] + county_choices(only)


def _org_choices():
    orgs = db.session.scalars(auth.orgs_visible_to(current_user).order_by(Organisation.name))
    return [(o.id, f"{o.name} ({o.uscc})") for o in orgs]


@bp.get("/")
@login_required
def index():
    form = LicenceFilterForm(formdata=request.args)
    form.district.choices = _district_choices(_("All districts"))
    form.validate()
    data = {name: (f.data if not f.errors else None) for name, f in form._fields.items()}
    query = services.licences_visible_to(current_user)
    try:
        query = services.filter_licences(query, status=data["status"], district=data["district"],
                                         code=(data["code"] or "").strip() or None,
                                         expiring_within=data["expiring"], q=data["q"], capacity=data["capacity"])
    except DomainError as exc:
        _field_errors(form, exc, "code")
        query = services.filter_licences(query, status=data["status"], district=data["district"],
                                         expiring_within=data["expiring"], q=data["q"], capacity=data["capacity"])
    page = db.paginate(query, per_page=20, max_per_page=100)
    regulating = auth.is_admin(current_user) or auth.regulator_of(current_user) is not None
    return render_template("regulatory/licences/list.html", form=form, page=page, regulating=regulating,
                           today=china_today())


@bp.route("/new", methods=["GET", "POST"])
@regulator_required
def new():
    form = LicenceForm()
    form.organisation_id.choices = _org_choices()
    if request.method == "GET" and (org_id := request.args.get("org", type=int)):
        form.organisation_id.data = org_id
    if form.validate_on_submit():
        try:
            org = auth.require_view_org(current_user, db.session.get(Organisation, form.organisation_id.data))
            licence = services.record_licence(current_user, org, **_licence_fields(form))
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "number")
        else:
            db.session.commit()
            flash(_("Licence %(number)s recorded.", number=licence.number))
            return redirect(url_for(".detail", licence_id=licence.id))
    return _render_form(form, None)


@bp.route("/<int:licence_id>/edit", methods=["GET", "POST"])
@regulator_required
def edit(licence_id: int):
    licence = _visible_licence(licence_id)
    services.require_editable(current_user, licence)
    form = LicenceForm(obj=licence)
    form.organisation_id.choices = [(licence.organisation_id, licence.organisation.name)]
    if request.method == "GET":
        form.annual_capacity_t.data = Decimal(licence.annual_capacity_g) / services.GRAMS_PER_TONNE
        form.scopes.data = services.format_scope_text(licence)
    if form.validate_on_submit():
        try:
            fields = _licence_fields(form)
            fields.pop("organisation_id", None)
            services.update_licence(current_user, licence, **fields)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "number")
        else:
            db.session.commit()
            flash(_("Licence %(number)s saved.", number=licence.number))
            return redirect(url_for(".detail", licence_id=licence.id))
    return _render_form(form, licence)


def _licence_fields(form: LicenceForm) -> dict:
    """The form's values as service arguments; the scope text is parsed (strictly) here."""
    scopes = services.parse_scope_text(form.scopes.data)
    capacity = int(form.annual_capacity_t.data * services.GRAMS_PER_TONNE)
    if capacity <= 0:
        message = _("The annual capacity must be more than zero.")
        raise DomainError(message, fields={"annual_capacity_t": message})
    return {"scopes": scopes, "number": form.number.data, "kind": form.kind.data,
            "issuing_authority": form.issuing_authority.data.strip(), "issued_on": form.issued_on.data,
            "valid_from": form.valid_from.data, "valid_until": form.valid_until.data,
            "annual_capacity_g": capacity, "notes": (form.notes.data or "").strip() or None}


def _render_form(form: LicenceForm, licence: Licence | None):
    status = 422 if form.errors else 200
    return render_template("regulatory/licences/form.html", form=form, licence=licence, scope_hint=SCOPE_HINT), status


@bp.get("/<int:licence_id>")
@login_required
def detail(licence_id: int):
    licence = _visible_licence(licence_id)
    return _render_detail(licence, StatusForm())


def _render_detail(licence: Licence, status_form: StatusForm, status: int = 200):
    capacity = services.licence_capacity(licence)
    actions = [a for a in services.ACTIONS if (licence.status, a) in services.TRANSITIONS] \
        if _may_regulate(licence.organisation) else []
    return render_template("regulatory/licences/detail.html", licence=licence, capacity=capacity,
                           actions=actions, status_form=status_form, today=china_today()), status


@bp.post("/<int:licence_id>/<any(suspend, reinstate, revoke):action>")
@regulator_required
def change_status(licence_id: int, action: str):
    licence = _visible_licence(licence_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _render_detail(licence, form, 422)
    try:
        services.change_licence_status(current_user, licence, action, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        _field_errors(form, exc, "reason")
        return _render_detail(licence, form, exc.status)
    db.session.commit()
    flash(str(ACTION_MESSAGES[action]))
    return redirect(url_for(".detail", licence_id=licence.id))


def _check_org_choices():
    """Regulators ask about their jurisdiction; an enterprise about the verified receivers it may choose."""
    if auth.is_admin(current_user) or auth.regulator_of(current_user) is not None:
        return _org_choices()
    receivers = db.session.scalars(select(Organisation).where(
        Organisation.is_receiver.is_(True), Organisation.status == "verified").order_by(Organisation.name))
    return [(o.id, f"{o.name} ({o.uscc})") for o in receivers]


@bp.get("/check")
@login_required
def check():
    """May this organisation receive this quantity of this code on this date? Asked with GET, so shareable.
    Licences are public: regulators and any verified enterprise may ask."""
    if not (auth.is_admin(current_user) or auth.regulator_of(current_user) is not None
            or auth.acts_for_verified_org()):
        raise Forbidden(_("Only regulators and verified enterprises may run the licence check."))
    form = CheckForm(formdata=request.args if request.args else None)
    form.org.choices = _check_org_choices()
    decision = None
    if request.args and form.validate():
        org = db.session.get(Organisation, form.org.data)
        if org is None or not auth.can_read_licences_of(current_user, org):
            raise NotFound(_("Organisation not found."))
        try:
            decision = services.check_receipt(org, form.code.data.strip(), int(form.quantity_kg.data * 1000),
                                              form.date.data, (form.method.data or "").strip() or None)
        except DomainError as exc:
            _field_errors(form, exc, "code")
    elif not request.args:
        form.date.data = china_today()
    return render_template("regulatory/licences/check.html", form=form, decision=decision), \
        422 if form.errors else 200


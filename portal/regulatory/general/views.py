"""General waste pages: transfer records (list, new, detail, ship, receive) and the general waste register."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ...accounts.models import Organisation, OrgStatus
from ...auth import current_org, current_org_or_403, login_required, orgs_visible_to, require_view_org
from ...errors import DomainError
from ...extensions import db
from ..register import COLUMN_LABELS, FIGURES, RegisterFilterForm, parse_month, this_month
from . import services
from .forms import NewTransferForm, ReceiveForm

bp = Blueprint("general", __name__, url_prefix="/general")
PER_PAGE = 25


def _kg(grams: int | None) -> str:
    return "—" if grams is None else f"{(Decimal(grams) / 1000).normalize():f}"


@bp.context_processor
def helpers():
    return {"kg": _kg}


def _field_errors(form, exc: DomainError) -> None:
    placed = False
    for name, message in (exc.fields or {}).items():
        if name in form._fields:
            form[name].errors = [*form[name].errors, str(message)]
            placed = True
    if not placed:
        flash(str(exc.message), "error")


@bp.get("/transfers")
@login_required
def index():
    org = current_org()
    query = services.general_transfers_query(current_user, organisation_id=getattr(org, "id", None))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("regulatory/general/list.html", page=page, org=org)


def _new_form(org: Organisation) -> NewTransferForm:
    form = NewTransferForm()
    batches = services.general_batches(org)
    form.batch_id.choices = [(0, _("Choose a batch"))] + [
        (b.id, f"#{b.id} {b.waste_code} {b.catalogue_entry.description} · {_kg(b.quantity_g)} kg") for b in batches]
    receivers = db.session.scalars(select(Organisation).where(
        Organisation.status == OrgStatus.VERIFIED, Organisation.id != org.id).order_by(Organisation.name).limit(500))
    form.receiver_id.choices = [(0, _("Choose the receiver"))] + [(o.id, o.name) for o in receivers]
    items = {item.id: item for b in batches for item in services.transport_exemptions(b)}
    form.exemption_item_id.choices = [(0, _("None (general industrial solid waste)"))] + [
        (item.id, _("Item %(no)s: %(waste)s (condition: %(condition)s)", no=item.item_no,
                    waste=item.hazardous_waste, condition=item.exempt_condition)) for item in items.values()]
    return form


@bp.route("/transfers/new", methods=["GET", "POST"])
@login_required
def new():
    org = current_org_or_403()
    form = _new_form(org)
    if form.validate_on_submit():
        try:
            record = services.create_general_transfer(
                generator_org=org, actor=current_user, batch=services.batch_of(form.batch_id.data),
                receiver_org=db.session.get(Organisation, form.receiver_id.data), purpose=form.purpose.data,
                carrier_name=form.carrier_name.data, vehicle_plate=form.vehicle_plate.data,
                exemption_item_id=form.exemption_item_id.data or None,
                exemption_condition_met=form.exemption_condition_met.data)
            db.session.commit()
            flash(_("Transfer record %(number)s created.", number=record.number), "success")
            return redirect(url_for("general.detail", record_id=record.id))
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc)
    return render_template("regulatory/general/new.html", form=form, org=org), 422 if form.errors else 200


@bp.get("/transfers/<int:record_id>")
@login_required
def detail(record_id: int):
    record = services.get_general_transfer(current_user, record_id)
    actions = services.GENERAL_TRANSFER.allowed_actions(record, current_user, current_org())
    return render_template("regulatory/general/detail.html", record=record, actions=actions,
                           receive_form=ReceiveForm())


@bp.post("/transfers/<int:record_id>/ship")
@login_required
def ship(record_id: int):
    record = services.get_general_transfer(current_user, record_id)
    services.ship_general_transfer(record, current_user)
    db.session.commit()
    flash(_("Shipped."), "success")
    return redirect(url_for("general.detail", record_id=record.id))


@bp.post("/transfers/<int:record_id>/receive")
@login_required
def receive(record_id: int):
    record = services.get_general_transfer(current_user, record_id)
    form = ReceiveForm()
    if not form.validate():
        actions = services.GENERAL_TRANSFER.allowed_actions(record, current_user, current_org())
        return render_template("regulatory/general/detail.html", record=record, actions=actions,
                               receive_form=form), 422
    grams = None if form.received_kg.data is None else int(form.received_kg.data * 1000)
    services.receive_general_transfer(record, current_user, grams)
    db.session.commit()
    flash(_("Receipt confirmed."), "success")
    return redirect(url_for("general.detail", record_id=record.id))


@bp.get("/register")
@login_required
def register():
    """一般工业固体废物管理台账 of one organisation and month."""
    form = RegisterFilterForm(formdata=request.args if request.args else None)
    organisations = db.session.scalars(orgs_visible_to(current_user).order_by(Organisation.name)).all()
    form.organisation.choices = [(0, _("Choose an organisation"))] + [(o.id, o.name) for o in organisations]
    if not request.args:
        own = current_org()
        form.organisation.data = own.id if own is not None else 0
        form.month.data = this_month().strftime("%Y-%m")
    result = None
    if form.organisation.data and form.validate():
        organisation = require_view_org(current_user, db.session.get(Organisation, form.organisation.data))
        result = services.general_register(organisation, parse_month(form.month.data))
    return render_template("regulatory/general/register.html", form=form, register=result, figures=FIGURES,
                           labels=COLUMN_LABELS), 422 if form.errors else 200

"""Fleet pages: a transport company's vehicles, drivers and escorts and its road transport licence, with the
documents that have ended or end soon marked; regulators see the carriers of their jurisdiction."""
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import auth
from ...accounts.models import Organisation
from ...auth import login_required
from ...errors import DomainError, NotFound, put_errors
from ...extensions import db
from . import (
    reminders,  # noqa: F401  (registers the expiry scanner with the alerts)
    services,
)
from .forms import KINDS, FleetFilterForm, TransportLicenceForm, VehicleForm, WorkerForm
from .models import TransportLicence, TransportWorker, Vehicle

bp = Blueprint("transport", __name__, url_prefix="/transport")


def _carrier_choices() -> list[tuple[int, str]]:
    orgs = db.session.scalars(auth.orgs_visible_to(current_user).where(Organisation.is_transporter.is_(True))
                              .order_by(Organisation.name).limit(500))
    return [(0, _("All carriers"))] + [(o.id, o.name) for o in orgs]


@bp.get("/")
@login_required
def index():
    form = FleetFilterForm(formdata=request.args)
    form.org.choices = _carrier_choices()
    valid = form.validate()
    show = form.show.data if form.show.data in KINDS else "vehicles"
    data = {name: (f.data if valid or not f.errors else None) for name, f in form._fields.items()}
    queries = services.fleet_queries(current_user, org_id=data["org"] or None, expiring_within=data["expiring"],
                                     q=data["q"])
    page = db.paginate(queries[show], per_page=20, max_per_page=100)
    org = auth.current_org()
    keeper = org is not None and org.is_transporter and auth.is_org_office(current_user, org.id)
    return render_template("regulatory/transport/index.html", form=form, page=page, show=show, kinds=KINDS,
                           keeper=keeper, expiry=services.expiry_state, warning_days=services.EXPIRY_WARNING_DAYS,
                           regulating=auth.regulator_of(current_user) is not None or auth.is_admin(current_user))


def _keeper_org() -> Organisation:
    org = auth.current_org_or_403()
    services.require_keeper(current_user, org)
    return org


def _record(model, record_id: int):
    record = db.session.get(model, record_id)
    if record is None or not auth.can_view_org(current_user, record.organisation):
        raise NotFound(_("Not found."))
    services.require_keeper(current_user, record.organisation)
    return record


def _save(form, template: str, record, save, values, show: str):
    """Validate, call the service, commit and go back to the list; a refusal goes on its field."""
    if form.validate_on_submit():
        try:
            saved = save(values())
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, next(iter(form._fields)), {"rated_load_kg": "rated_load_t"})
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".index", show=show, org=saved.organisation_id))
    return render_template(template, form=form, record=record), 422 if form.errors else 200


@bp.route("/licences/new", methods=["GET", "POST"])
@bp.route("/licences/<int:licence_id>", methods=["GET", "POST"])
@login_required
def licence(licence_id: int | None = None):
    record = _record(TransportLicence, licence_id) if licence_id else None
    org = record.organisation if record else _keeper_org()
    form = TransportLicenceForm(obj=record)
    if record is not None and request.method == "GET":
        form.dangerous_goods.data = ", ".join(record.dangerous_goods)
    return _save(form, "regulatory/transport/licence_form.html", record,
                 lambda values: services.save_licence(current_user, org, values, record),
                 lambda: {name: form[name].data for name in services.LICENCE_FIELDS}, "licences")


def _rated_load_kg(text) -> int | None:
    try:
        kg = Decimal(str(text).strip()) * 1000
    except (InvalidOperation, ValueError):
        return None
    return int(kg) if kg.is_finite() and kg == kg.to_integral_value() else None


@bp.route("/vehicles/new", methods=["GET", "POST"])
@bp.route("/vehicles/<int:vehicle_id>", methods=["GET", "POST"])
@login_required
def vehicle(vehicle_id: int | None = None):
    record = _record(Vehicle, vehicle_id) if vehicle_id else None
    org = record.organisation if record else _keeper_org()
    form = VehicleForm(obj=record)
    if record is not None and request.method == "GET":
        form.rated_load_t.data = format(Decimal(record.rated_load_kg) / 1000, "f")

    def values() -> dict:
        fields = {name: form[name].data for name in services.VEHICLE_FIELDS if name in form}
        return {**fields, "rated_load_kg": _rated_load_kg(form.rated_load_t.data)}

    return _save(form, "regulatory/transport/vehicle_form.html", record,
                 lambda v: services.save_vehicle(current_user, org, v, record), values, "vehicles")


@bp.route("/workers/new", methods=["GET", "POST"])
@bp.route("/workers/<int:worker_id>", methods=["GET", "POST"])
@login_required
def worker(worker_id: int | None = None):
    record = _record(TransportWorker, worker_id) if worker_id else None
    org = record.organisation if record else _keeper_org()
    form = WorkerForm(obj=record)
    return _save(form, "regulatory/transport/worker_form.html", record,
                 lambda values: services.save_worker(current_user, org, values, record),
                 lambda: {name: form[name].data for name in services.WORKER_FIELDS}, "workers")




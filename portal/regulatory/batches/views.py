"""Pages for sites and storage facilities, batches and containers, storage moves and stock.
Members of an organisation see and change its own; regulators read their jurisdiction."""
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import auth
from ...accounts.forms import county_choices
from ...auth import login_required
from ...clock import china_today
from ...errors import DomainError, attempt, put_errors
from ...extensions import db
from ...jurisdiction import jurisdiction_code
from ..ledger.services import events_for, verify_batch
from . import services, storage
from .forms import (
    CONTAINER_STATUS_LABELS,
    EVENT_LABELS,
    FORM_CHOICES,
    STATUS_LABELS,
    STREAM_CHOICES,
    BatchFilterForm,
    BatchForm,
    FacilityForm,
    SiteForm,
    StockFilterForm,
    StorageMoveForm,
)
from .models import Site, StorageFacility

bp = Blueprint("batches", __name__)
PER_PAGE = 25
# service argument names → the form fields that show their errors
FIELD_MAP = {"capacity": "capacity", "capacity_unit": "capacity_unit", "quantity": "quantity", "unit": "unit",
             "site": "site_id", "container": "container", "containers": "containers", "volume_m3": "volume"}


def _put_errors(form, exc: DomainError, default: str) -> None:
    put_errors(form, exc, default, FIELD_MAP)


def _overseer() -> bool:
    return bool(auth.regulator_of(current_user) or auth.is_admin(current_user))


def _district_choices():
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    return [("", _("All districts"))] + county_choices(only)


def _own_org():
    """The organisation the user acts for, required for pages that change things."""
    return auth.current_org_or_403()


def _own_sites(org) -> list[Site]:
    return list(db.session.scalars(services.sites_query(current_user, organisation_id=org.id)))


def _own_facilities(org) -> list[StorageFacility]:
    return list(db.session.scalars(db.select(StorageFacility).where(StorageFacility.organisation_id == org.id)
                                   .order_by(StorageFacility.name)))


@bp.app_template_global("batch_status_label")
def batch_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global("container_status_label")
def container_status_label(status: str) -> str:
    return str(CONTAINER_STATUS_LABELS.get(status, status))


@bp.app_template_global("event_label")
def event_label(event_type: str) -> str:
    return str(EVENT_LABELS.get(event_type, event_type))


def declared_amount(facility: StorageFacility) -> Decimal:
    """The declared capacity in its own unit: t for a mass, m³ for a volume."""
    if facility.capacity_unit == "m3":
        return Decimal(facility.capacity_l) / 1000
    return Decimal(facility.capacity_g) / 1_000_000


@bp.app_template_global("declared_capacity")
def declared_capacity(unit: str, grams: int | None, litres: int | None) -> str:
    amount = litres if unit == "m3" else grams
    return "" if amount is None else storage.format_amount(unit, amount)


@bp.app_template_global("form_label")
def form_label(form: str) -> str:
    return str(dict(FORM_CHOICES).get(form, form))


@bp.app_template_global("stream_label")
def stream_label(stream: str) -> str:
    return str(dict(STREAM_CHOICES).get(stream, stream))


# --- sites and facilities ----------------------------------------------------------------------

@bp.get("/sites")
@login_required
def sites():
    district = request.args.get("district") or None
    org_id = None if _overseer() else getattr(auth.current_org(), "id", -1)
    query = services.sites_query(current_user, organisation_id=org_id, district=district)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    stock = {}  # the stock rows are per waste code: a facility's stock is their sum
    for row in db.session.execute(services.scoped_stock_query(current_user, organisation_id=org_id)):
        stock[row.facility_id] = stock.get(row.facility_id, 0) + row.quantity_g
    return render_template("regulatory/batches/sites.html", page=page, overseer=_overseer(), district=district,
                           districts=_district_choices(), stock=stock)


def _site_form(site: Site | None = None) -> SiteForm:
    form = SiteForm(obj=site)
    form.district_code.choices = county_choices()
    if site is None and request.method == "GET":
        form.district_code.data = getattr(auth.current_org(), "district_code", None)
    return form


@bp.route("/sites/new", methods=["GET", "POST"])
@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"])
@login_required
def site_form(site_id: int | None = None):
    org = _own_org()
    site = services.get_site(current_user, site_id) if site_id else None
    if site is not None:
        auth.require_member_of(current_user, site.organisation_id, site.district_code)
    form = _site_form(site)
    if form.validate_on_submit():
        values = {k: form[k].data for k in ("name", "kind", "address", "district_code", "lat", "lon")}
        try:
            if site is None:
                services.create_site(org, current_user, **values)
            else:
                services.update_site(site, current_user, **values)
            db.session.commit()
            flash(_("The site is saved."), "success")
            return redirect(url_for("batches.sites"))
        except DomainError as exc:
            db.session.rollback()
            _put_errors(form, exc, "name")
    return render_template("regulatory/batches/site_form.html", form=form, site=site), 422 if form.errors else 200


@bp.post("/sites/<int:site_id>/delete")
@login_required
def site_delete(site_id: int):
    site = services.get_site(current_user, site_id)
    attempt(lambda: services.delete_site(site, current_user), _("The site is deleted."))
    return redirect(url_for("batches.sites"))


@bp.route("/facilities/new", methods=["GET", "POST"])
@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
@login_required
def facility_form(facility_id: int | None = None):
    org = _own_org()
    facility = services.get_facility(current_user, facility_id) if facility_id else None
    form = FacilityForm(obj=facility)
    form.site_id.choices = [(s.id, s.name) for s in _own_sites(org)]
    if request.method == "GET":
        if facility is not None:
            form.capacity.data = declared_amount(facility)
            form.capacity_unit.data = facility.capacity_unit
            form.streams.data = facility.stream_list
        elif request.args.get("site_id", type=int):
            form.site_id.data = request.args.get("site_id", type=int)
    if form.validate_on_submit():
        values = {"name": form.name.data, "site_id": form.site_id.data, "streams": form.streams.data,
                  "hazardous_allowed": form.hazardous_allowed.data, "capacity_unit": form.capacity_unit.data}
        try:
            if form.capacity_unit.data == "m3":
                values["capacity_l"] = services.to_litres(form.capacity.data, field="capacity")
            else:
                values["capacity_g"] = services.to_grams(form.capacity.data, "t", field="capacity")
            if facility is None:
                services.create_facility(org, current_user, **values)
            else:
                services.update_facility(facility, current_user, **values)
            db.session.commit()
            flash(_("The storage facility is saved."), "success")
            return redirect(url_for("batches.sites"))
        except DomainError as exc:
            db.session.rollback()
            _put_errors(form, exc, "name")
    return (render_template("regulatory/batches/facility_form.html", form=form, facility=facility),
            422 if form.errors else 200)


@bp.get("/facilities/<int:facility_id>")
@login_required
def facility_detail(facility_id: int):
    """What the facility holds against its declared capacity, and how long its oldest waste has been kept."""
    facility = services.get_facility(current_user, facility_id)
    containers = storage.stored_in(facility)
    clocks = sorted((storage.clock_of(c) for c in containers), key=lambda c: (c.started_on, c.container.id))
    return render_template("regulatory/batches/facility.html", facility=facility, clocks=clocks,
                           usage=storage.facility_usage(facility), today=china_today(),
                           may_change=auth.is_member(current_user, facility.organisation_id))


# --- batches -----------------------------------------------------------------------------------

@bp.get("/batches")
@login_required
def batch_list():
    form = BatchFilterForm(formdata=request.args)
    overseer = _overseer()
    org = None if overseer else auth.current_org()
    form.site_id.choices = [("", _("All sites"))] + [(s.id, s.name) for s in db.session.scalars(
        services.sites_query(current_user, organisation_id=getattr(org, "id", None)).limit(500))]
    form.district.choices = _district_choices()
    page = None
    if form.validate():
        query = services.batches_query(
            current_user, organisation_id=None if overseer else getattr(org, "id", -1),
            waste_code=form.waste_code.data, status=form.status.data or None, site_id=form.site_id.data,
            date_from=form.date_from.data, date_to=form.date_to.data, district=form.district.data or None)
        page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
    return (render_template("regulatory/batches/list.html", form=form, page=page, overseer=overseer,
                            org=org), 200 if page is not None else 422)


@bp.route("/batches/new", methods=["GET", "POST"])
@login_required
def batch_new():
    org = _own_org()
    form = BatchForm()
    form.site_id.choices = [(0, _("No site"))] + [(s.id, s.name) for s in _own_sites(org)]
    if request.method == "GET":
        form.generated_on.data = china_today()
    if form.validate_on_submit():
        try:
            batch = services.create_batch(
                org, current_user, form.waste_code.data, form.quantity.data, form.unit.data, form.form.data,
                form.packaging.data, main_components=form.main_components.data,
                harmful_components=form.harmful_components.data, generated_on=form.generated_on.data,
                site=form.site_id.data or None, containers=form.containers.data, volume=form.volume.data)
            db.session.commit()
            flash(_("The batch is registered with %(n)s containers.", n=len(batch.containers)), "success")
            return redirect(url_for("batches.batch_detail", batch_id=batch.id))
        except DomainError as exc:
            db.session.rollback()
            _put_errors(form, exc, "waste_code")
    return render_template("regulatory/batches/new.html", form=form, org=org), 422 if form.errors else 200


@bp.get("/batches/<int:batch_id>")
@login_required
def batch_detail(batch_id: int):
    batch = services.get_batch(current_user, batch_id)
    problems = verify_batch(batch.id)
    broken = {p.event_id for p in problems}
    return render_template("regulatory/batches/detail.html", batch=batch, events=events_for(batch.id),
                           problems=problems, broken=broken, lineage=services.lineage(batch),
                           may_change=auth.is_member(current_user, batch.organisation_id))


# --- storage and stock -------------------------------------------------------------------------

@bp.route("/storage/move", methods=["GET", "POST"])
@login_required
def storage_move():
    org = _own_org()
    form = StorageMoveForm()
    form.facility.choices = [(f.id, f"{f.site.name} · {f.name}") for f in _own_facilities(org)]
    if request.method == "GET":
        form.container.data = request.args.get("container", "")
        form.direction.data = request.args.get("direction", "in")
    if form.validate_on_submit():
        try:
            event = services.move_container(current_user, form.container.data.strip().upper(), form.facility.data,
                                            form.direction.data)
            db.session.commit()
            flash(_("Recorded: container %(code)s %(move)s.", code=form.container.data.strip().upper(),
                    move=_("into storage") if event.event_type == "stored" else _("out of storage")), "success")
            return redirect(url_for("batches.storage_move", direction=form.direction.data))
        except DomainError as exc:
            db.session.rollback()
            _put_errors(form, exc, "container")
    return render_template("regulatory/batches/move.html", form=form), 422 if form.errors else 200


class RowPage:
    """db.paginate() yields only the first column of each row; stock rows are tuples, paged by hand."""

    def __init__(self, query, page: int, per_page: int):
        from sqlalchemy import func, select

        self.total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        self.items = db.session.execute(query.limit(per_page).offset((self.page - 1) * per_page)).all()
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


@bp.get("/stock")
@login_required
def stock():
    form = StockFilterForm(formdata=request.args)
    form.district.choices = _district_choices()
    overseer = _overseer()
    rows = []
    if form.validate():
        org_id = None if overseer else getattr(auth.current_org(), "id", -1)
        try:
            code = services.require_waste_code(form.waste_code.data).code if form.waste_code.data else None
        except DomainError as exc:
            _put_errors(form, exc, "waste_code")
        else:
            query = services.scoped_stock_query(current_user, organisation_id=org_id,
                                                district=form.district.data or None, waste_code=code)
            rows = RowPage(query, request.args.get("page", 1, type=int), 50)
    return (render_template("regulatory/batches/stock.html", form=form, page=rows, overseer=overseer),
            422 if form.errors else 200)

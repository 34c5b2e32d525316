"""Weighing pages of an organisation: its devices, their tokens (shown once), and the weighing records."""
from flask import Blueprint, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from ... import auth
from ...auth import login_required
from ...errors import DomainError, NotFound
from ...extensions import db
from ..batches.models import Container, Site
from . import services
from .forms import ConfirmForm, DeviceFilterForm, DeviceForm, RecordFilterForm
from .models import Device, DeviceToken, WeighingRecord

bp = Blueprint("weighing", __name__, url_prefix="/weighing")


def _device(device_id: int) -> Device:
    device = db.session.get(Device, device_id)
    if device is None or not auth.can_view_org_data(current_user, device.organisation_id,
                                                    device.organisation.district_code):
        raise NotFound(_("Device not found."))
    return device


def _show_secret(device: Device, secret: str):
    """The one time the secret is shown: never cached, never stored in the session."""
    response = make_response(render_template("regulatory/weighing/token.html", device=device, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/devices")
@login_required
def devices():
    org = auth.current_org_or_403()
    form = DeviceFilterForm(formdata=request.args)
    form.validate()
    query = services.devices_of(org)
    if form.kind.data and not form.kind.errors:
        query = query.where(Device.kind == form.kind.data)
    if (q := (form.q.data or "").strip()) and not form.q.errors:
        query = query.where(or_(Device.name.icontains(q, autoescape=True), Device.serial.icontains(q, autoescape=True)))
    page = db.paginate(query.order_by(Device.name, Device.id), per_page=20, max_per_page=100)
    return render_template("regulatory/weighing/devices.html", form=form, page=page, org=org,
                           may_manage=auth.can_manage_org(current_user, org))


@bp.route("/devices/new", methods=["GET", "POST"])
@login_required
def new_device():
    org = auth.require_manage_org(current_user, auth.current_org_or_403())
    form = DeviceForm()
    sites = db.session.scalars(select(Site).where(Site.organisation_id == org.id).order_by(Site.name))
    form.site_id.choices = [("", _("No particular site"))] + [(s.id, s.name) for s in sites]
    if form.validate_on_submit():
        try:
            device, secret = services.register_device(current_user, org, kind=form.kind.data, name=form.name.data,
                                                      serial=form.serial.data, site_id=form.site_id.data)
        except DomainError as exc:
            db.session.rollback()
            for name, message in (exc.fields or {"name": exc.message}).items():
                target = form[name] if name in form else form.name
                target.errors = [*target.errors, str(message)]
        else:
            db.session.commit()
            return _show_secret(device, secret)
    return render_template("regulatory/weighing/device_form.html", form=form), 422 if form.errors else 200


@bp.get("/devices/<int:device_id>")
@login_required
def device_detail(device_id: int):
    device = _device(device_id)
    recent = db.session.scalars(select(WeighingRecord).where(WeighingRecord.device_id == device.id)
                                .order_by(WeighingRecord.weighed_at.desc()).limit(10)).all()
    return render_template("regulatory/weighing/device.html", device=device, recent=recent,
                           may_manage=auth.can_manage_org(current_user, device.organisation))


@bp.post("/devices/<int:device_id>/tokens")
@login_required
def issue_token(device_id: int):
    device = _device(device_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".device_detail", device_id=device.id))
    secret = services.issue_device_token(current_user, device)
    db.session.commit()
    return _show_secret(device, secret)


@bp.post("/devices/<int:device_id>/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(device_id: int, token_id: int):
    device = _device(device_id)
    token = db.session.get(DeviceToken, token_id)
    if token is None or token.device_id != device.id:
        raise NotFound(_("Token not found."))
    if ConfirmForm().validate_on_submit():
        try:
            services.revoke_device_token(current_user, token)
        except DomainError as exc:
            if exc.status in (403, 404):
                raise
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("The token %(prefix)s… no longer works.", prefix=token.prefix))
    return redirect(url_for(".device_detail", device_id=device.id))


@bp.get("/records")
@login_required
def records():
    form = RecordFilterForm(formdata=request.args)
    org = auth.current_org()
    devices = db.session.scalars(services.devices_of(org).order_by(Device.name)).all() if org else []
    form.device.choices = [("", _("All devices"))] + [(d.id, d.name) for d in devices]
    form.validate()
    query = services.weighings_visible_to(current_user)
    if (code := (form.container.data or "").strip()) and not form.container.errors:
        query = query.join(Container, WeighingRecord.container_id == Container.id).where(Container.code == code)
    if form.batch.data and not form.batch.errors:
        query = query.where(WeighingRecord.batch_id == form.batch.data)
    if form.device.data and not form.device.errors:
        query = query.where(WeighingRecord.device_id == form.device.data)
    page = db.paginate(query.order_by(WeighingRecord.weighed_at.desc(), WeighingRecord.id.desc()),
                       per_page=20, max_per_page=100)
    return render_template("regulatory/weighing/records.html", form=form, page=page)


@bp.get("/records/<int:record_id>/photo")
@login_required
def record_photo(record_id: int):
    record = db.session.scalar(services.weighings_visible_to(current_user).where(WeighingRecord.id == record_id))
    path = services.photo_file(record) if record is not None else None
    if path is None:
        raise NotFound(_("Photo not found."))
    return send_file(path, mimetype="image/jpeg", max_age=0)

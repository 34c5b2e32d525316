"""Manifest pages: the generator's drafts, the transporter's phone pages, the receiver's receipt and
treatment, and the regulator's list and signed timeline."""
import json
import re

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import auth, images
from ...accounts.forms import county_choices
from ...accounts.models import Organisation
from ...auth import login_required
from ...clock import china_date, china_today
from ...errors import DomainError, Forbidden, NotFound, put_errors
from ...extensions import db
from ...i18n import quantity
from ...jurisdiction import jurisdiction_code
from ..licences.services import choose_receivers, normalise_method
from ..plans.services import receiver_warnings
from ..transport.services import record_choices
from . import custody, followups, pdf, services, signatures, steps
from .alerts import refusal_follow_up_due
from .forms import (
    FilterForm,
    FollowUpForm,
    ManifestForm,
    ReasonForm,
    ReceiveForm,
    ReviseForm,
    ScanForm,
    TreatForm,
)
from .models import Manifest
from .states import (
    ACTION_LABELS,
    PARTY_LABELS,
    STATE_LABELS,
    TRANSITIONS,
    allowed_actions,
    apply_action,
    party_org_ids,
)

bp = Blueprint("manifests", __name__, url_prefix="/manifests")
PER_PAGE = 25
SCAN_ACTIONS = ("pick_up", "hand_over", "deliver")
SIMPLE_ACTIONS = ("submit", "cancel", "approve_revision", "reject_revision")
_API_FIELD = re.compile(r"^(carriers|lines)\[(\d+)\]\.?(\w*)$")


@bp.app_template_global("manifest_state_label")
def manifest_state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))


@bp.app_template_global("refused_awaiting")
def refused_awaiting(manifest: Manifest) -> int:
    """Grams refused on this manifest still awaiting return or forwarding."""
    return followups.awaiting_g(manifest)


@bp.app_template_global("refused_awaiting_by_manifest")
def refused_awaiting_by_manifest(manifests) -> dict[int, int]:
    return followups.awaiting_by_manifest(m.id for m in manifests)


@bp.app_template_global("batch_refused_awaiting")
def batch_refused_awaiting(batch) -> int:
    return followups.awaiting_for_batch(batch)


@bp.app_template_global("container_refused_awaiting")
def container_refused_awaiting(container) -> int:
    return followups.awaiting_for_container(container)


@bp.app_template_global("follow_up_kind_label")
def follow_up_kind_label(kind: str) -> str:
    return str(followups.KIND_LABELS.get(kind, kind))


@bp.app_template_global("manifest_action_label")
def manifest_action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _put_errors(form, exc: DomainError, default: str, names: dict | None = None) -> None:
    """Show a service error on the form field it names (API names like lines[0].received_g mapped)."""
    put_errors(form, exc, default, names, field_of=_form_field)
    form.step_failed = True
    form._errors = None  # WTForms caches the error summary at validate(); rebuild it with these


def _status(form) -> int:
    return 422 if form.errors or getattr(form, "step_failed", False) else 200


def _form_field(form, name: str):
    match = _API_FIELD.match(name)
    if match:
        kind, index, sub = match.group(1), int(match.group(2)), match.group(3)
        if sub == "planned_method":  # the page plans one method for all its lines
            return form.planned_method
        sub = {"received_g": "received", "refused_g": "refused", "batch_id": "", "container": ""}.get(sub, sub)
        if kind in form and index < len(form[kind].entries):
            entry = form[kind].entries[index]
            return entry.form[sub] if sub and hasattr(entry, "form") and sub in entry.form else entry
        return form[kind] if kind in form else None
    return form[name] if name in form else None


def _acting_org(manifest: Manifest, action: str) -> Organisation | None:
    """The user's organisation that is the party for this action now, else the one it acts for."""
    row = TRANSITIONS.get((manifest.state, action))
    if row is not None:
        parties = party_org_ids(manifest, row.party)
        for m in current_user.memberships:
            if m.organisation_id in parties:
                return m.organisation
    return auth.current_org()


def _manifest(manifest_id: int) -> Manifest:
    return services.get_manifest(current_user, manifest_id)


def _step(manifest: Manifest, action: str, **fields):
    apply_action(manifest, action, current_user, _acting_org(manifest, action), **fields)
    db.session.commit()
    flash(_("%(action)s: signed.", action=ACTION_LABELS[action]), "success")
    return redirect(url_for("manifests.detail", manifest_id=manifest.id))


# --- lists ---------------------------------------------------------------------------------------

def _district_choices():
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    return [("", _("All districts"))] + county_choices(only)


@bp.get("")
@login_required
def index():
    form = FilterForm(formdata=request.args)
    form.district.choices = _district_choices()
    overseer = bool(auth.regulator_of(current_user) or auth.is_admin(current_user))
    page = None
    if form.validate():
        try:
            query = services.manifests_query(
                current_user, role=form.role.data or None, status=form.status.data or None,
                waste_code=services.require_known_code(form.waste_code.data), district=form.district.data or None,
                date_from=form.date_from.data, date_to=form.date_to.data, party=form.party.data or None,
                crossing=form.crossing.data or None, progress=_task_progress(form))
            page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
        except DomainError as exc:
            _put_errors(form, exc, "waste_code")
    org = auth.current_org()
    return (render_template("regulatory/manifests/list.html", form=form, page=page, overseer=overseer,
                            may_create=bool(org and org.is_generator), today=china_today(),
                            open_states=services.CARRIER_OPEN_STATES), 200 if page is not None else 422)


def _task_progress(form) -> str | None:
    """A carrier's task list shows the open tasks unless the filter asks for the finished ones or all."""
    if form.role.data != "carrier":
        return None
    if form.progress.data not in services.TASK_PROGRESS:
        form.progress.data = "open"
    return form.progress.data


# --- drafts --------------------------------------------------------------------------------------

def _manifest_form(org: Organisation, manifest: Manifest | None) -> ManifestForm:
    form = ManifestForm(obj=manifest) if manifest is not None and request.method == "GET" else ManifestForm()
    transporters = db.session.scalars(select(Organisation).where(Organisation.is_transporter.is_(True),
                                                                 Organisation.status == "verified")
                                      .order_by(Organisation.name).limit(500))
    transporters = list(transporters)
    carrier_choices = [(0, "—")] + [(o.id, o.name) for o in transporters]
    records = record_choices(transporters)
    for entry in form.carriers.entries:
        _carrier_choices(entry.form, carrier_choices, records)
    sources = services.available_sources(org)
    on_manifest = list(manifest.lines) if manifest is not None else []
    batches = {b.id: b for b in sources} | {line.batch.id: line.batch for line in on_manifest}
    form.batches.choices = [(b.id, f"#{b.id} {b.waste_code} · {b.packaging}") for b in batches.values()]
    form.containers.choices = [(c.code, f"{c.code} ({b.waste_code})") for b in batches.values()
                               for c in b.containers if c.status != "merged"]
    if manifest is not None and request.method == "GET":
        form.receiver_id.data = manifest.receiver_org_id
        form.batches.data = [line.batch_id for line in on_manifest if line.container_id is None]
        form.containers.data = [line.container.code for line in on_manifest if line.container_id is not None]
        form.planned_method.data = next((line.planned_method for line in on_manifest if line.planned_method), None)
        for entry, carrier in zip(form.carriers.entries, manifest.carriers, strict=False):
            entry.form.process(None, obj=carrier)
            _carrier_choices(entry.form, carrier_choices, records)
        form.dangerous_goods_class.data = next(
            (line.dangerous_goods_class for line in on_manifest if line.dangerous_goods_class), None)
    elif manifest is None and request.method == "GET":
        form.planned_pickup_on.data = form.planned_delivery_on.data = china_today()
        form.batches.data = [int(b) for b in request.args.getlist("batch", type=int)]
    _offer_receivers(form, batches)
    return form


def _carrier_choices(leg_form, carriers: list, records: dict) -> None:
    leg_form.organisation_id.choices = carriers
    for name in ("vehicle_id", "driver_id", "escort_id"):
        leg_form[name].choices = records[name]


def _offer_receivers(form: ManifestForm, batches: dict) -> None:
    """Offer only the receivers whose licence covers the chosen waste, its quantity and the planned method;
    the others are listed under the select with the licence's reason."""
    grams: dict[str, int] = {}
    chosen = set(form.batches.data or [])
    codes = set(form.containers.data or [])
    for batch in batches.values():
        containers = [c for c in batch.containers if c.status != "merged"]
        if batch.id in chosen:
            quantity = sum(c.quantity_g for c in containers) or batch.quantity_g
        else:
            quantity = sum(c.quantity_g for c in containers if c.code in codes)
        if quantity:
            grams[batch.waste_code] = grams.get(batch.waste_code, 0) + quantity
    try:
        method = normalise_method(form.planned_method.data) if form.planned_method.data else None
    except DomainError:
        method = None  # the field's own validation names the mistake
    on_date = max(form.planned_delivery_on.data or china_today(), china_today())
    offered, form.left_out = choose_receivers(grams, on_date, method)
    form.receiver_id.choices = [(0, "—")] + [(o.id, o.name) for o in offered]


def _form_values(form: ManifestForm) -> dict:
    carriers = [{"organisation_id": e.form.organisation_id.data, "vehicle_plate": e.form.vehicle_plate.data,
                 "driver_name": e.form.driver_name.data, "driver_phone": e.form.driver_phone.data,
                 "escort_name": e.form.escort_name.data, "vehicle_id": e.form.vehicle_id.data or None,
                 "driver_id": e.form.driver_id.data or None, "escort_id": e.form.escort_id.data or None}
                for e in form.carriers.entries if e.form.organisation_id.data]
    lines = [{"batch_id": b} for b in form.batches.data or []] + [{"container": c} for c in form.containers.data or []]
    method = (form.planned_method.data or "").strip() or None
    dg_class = (form.dangerous_goods_class.data or "").strip() or None
    lines = [{**line, "planned_method": method, "dangerous_goods_class": dg_class} for line in lines]
    plan = {name: form[name].data for name in services.MANIFEST_FIELDS}
    return {"carriers": carriers, "lines": lines, **plan}


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:manifest_id>/edit", methods=["GET", "POST"])
@login_required
def edit(manifest_id: int | None = None):
    org = auth.current_org_or_403()
    manifest = _manifest(manifest_id) if manifest_id else None
    if manifest is not None and (manifest.state != "draft" or manifest.generator_org_id != org.id):
        raise Forbidden(_("Only the generator may edit its draft."))
    if manifest is None and not org.is_generator:
        raise Forbidden(_("Only a generator creates transfer manifests."))
    form = _manifest_form(org, manifest)
    if form.validate_on_submit():
        values = _form_values(form)
        try:
            if manifest is None:
                manifest = services.create_manifest_draft(generator_org=org, receiver_org=form.receiver_id.data,
                                                          actor=current_user, **values)
            else:
                services.update_manifest_draft(manifest, current_user, org, receiver_org=form.receiver_id.data,
                                               **values)
            db.session.commit()
            flash(_("The draft is saved."), "success")
            return redirect(url_for("manifests.detail", manifest_id=manifest.id))
        except DomainError as exc:
            db.session.rollback()
            _put_errors(form, exc, "receiver_id", {"lines": "batches"})
    return (render_template("regulatory/manifests/form.html", form=form, manifest=manifest,
                            plan_warnings=receiver_warnings(manifest) if manifest is not None else []),
            _status(form))


# --- detail and simple steps ---------------------------------------------------------------------

@bp.get("/<int:manifest_id>")
@login_required
def detail(manifest_id: int):
    manifest = _manifest(manifest_id)
    return render_template("regulatory/manifests/detail.html", m=manifest, actions=allowed_actions(
        manifest, current_user), reason_form=ReasonForm(), intact=services.content_sealed(manifest),
        verdicts=signatures.verdicts(manifest),
        party_labels=PARTY_LABELS, may_follow_up=auth.is_member(current_user, manifest.generator_org_id),
        follow_up_due=_follow_up_due(manifest), plan_warnings=receiver_warnings(manifest))


def _follow_up_due(manifest: Manifest) -> str | None:
    """The last day for the refused waste's follow-up, in China; None without a refusal or a city rule."""
    if manifest.received_at is None or not any(line.refused_g for line in manifest.lines):
        return None
    due = refusal_follow_up_due(manifest)
    return china_date(due).isoformat() if due is not None else None


@bp.get("/<int:manifest_id>/export.json")
@login_required
def export(manifest_id: int):
    """The signed steps as a file that scripts/verify_manifest.py checks offline."""
    manifest = _manifest(manifest_id)
    body = json.dumps(signatures.export(manifest), ensure_ascii=False, indent=2)
    name = f"manifest-{manifest.number or manifest.id}.json"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/<int:manifest_id>/steps/<action>")
@login_required
def simple_step(manifest_id: int, action: str):
    manifest = _manifest(manifest_id)
    if action not in SIMPLE_ACTIONS:
        raise Forbidden(_("This step has its own page."))
    form = ReasonForm()
    fields = {}
    if action in ("cancel", "reject_revision"):
        fields["reason"] = form.reason.data or ""
    try:
        return _step(manifest, action, **fields)
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "error")
        return redirect(url_for("manifests.detail", manifest_id=manifest_id)), 303


# --- the transporter's phone pages ---------------------------------------------------------------

def _container_rows(manifest: Manifest, form: ScanForm) -> list[dict]:
    """Each container listed, ticked when its code was scanned, with the exception typed for it if not."""
    scanned = set(services.scanned_codes(form.scanned.data or ""))
    return [{"code": code, "scanned": code in scanned, "reason": (request.form.get(f"reason-{code}") or "").strip(),
             "photo_sha256": request.form.get(f"photo_sha256-{code}") or ""}
            for code in services.expected_codes(manifest)]


def _exceptions(rows: list[dict]) -> list[dict]:
    """The exceptions of the containers not scanned; a photo chosen now is cleaned and stored first and kept
    (by its hash) on the form, so it need not be chosen again when the step is refused for another reason."""
    result = []
    for row in rows:
        if row["scanned"]:
            continue
        upload = request.files.get(f"photo-{row['code']}")
        if upload and upload.filename:
            raw = images.read_upload(upload.stream, custody.PHOTO_MAX_BYTES, "scanned",
                                     _("The photo of %(code)s is too large.", code=row["code"]))
            row["photo_sha256"] = custody.store_exception_photo(raw, "scanned")
        if row["reason"] or row["photo_sha256"]:
            result.append({"container_code": row["code"], "reason": row["reason"],
                           **({"photo_sha256": row["photo_sha256"]} if row["photo_sha256"] else {})})
    return result


@bp.route("/<int:manifest_id>/scan/<action>", methods=["GET", "POST"])
@login_required
def scan(manifest_id: int, action: str):
    manifest = _manifest(manifest_id)
    if action not in SCAN_ACTIONS:
        raise Forbidden(_("This step has its own page."))
    form = ScanForm()
    rows = _container_rows(manifest, form)
    if form.validate_on_submit():
        try:
            return _step(manifest, action, scanned=form.scanned.data, exceptions=_exceptions(rows),
                         place=form.place.data or None)
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404, 409):
                raise
            if exc.code == "incomplete_scan":  # named once, on the codes; the rows without a reason are marked
                form.scanned.errors = [*form.scanned.errors, str(exc.message)]
                form.step_failed = True
                form._errors = None
            else:
                _put_errors(form, exc, "scanned")
    return (render_template("regulatory/manifests/scan.html", m=manifest, form=form, action=action,
                            rows=rows, expected=[row["code"] for row in rows]), _status(form))


@bp.get("/<int:manifest_id>/exceptions/<int:exception_id>/photo")
@login_required
def exception_photo(manifest_id: int, exception_id: int):
    manifest = _manifest(manifest_id)
    exception = next((e for e in manifest.scan_exceptions if e.id == exception_id), None)
    path = custody.exception_photo_file(exception) if exception is not None else None
    if path is None:
        raise NotFound(_("Photo not found."))
    return send_file(path, mimetype="image/jpeg", max_age=0)


# --- the receiver's pages ------------------------------------------------------------------------

@bp.route("/<int:manifest_id>/receive", methods=["GET", "POST"])
@login_required
def receive(manifest_id: int):
    manifest = _manifest(manifest_id)
    form = ReceiveForm()
    from_devices = [w for w in manifest.gate_weighings if w.source == "device"]
    form.gate_weighing_id.choices = [("", _("None: I type the weight below"))] + [
        (str(w.id), _("%(net)s net · %(device)s · %(time)s", net=quantity(w.net_g), device=w.device.name,
                      time=format_datetime(w.weighed_at, "short"))) for w in reversed(from_devices)]
    if request.method == "GET":
        for line in manifest.lines:
            form.lines.append_entry({"line_id": line.id, "received": None, "refused": None})
        form.gate_weighing_id.data = str(from_devices[-1].id) if from_devices else ""
    if form.validate_on_submit():
        try:
            lines = [{"line_id": int(e.form.line_id.data or 0),
                      "received_g": services.grams_from_kg(e.form.received.data, f"lines[{i}].received_g"),
                      "refused_g": services.grams_from_kg(e.form.refused.data or 0, f"lines[{i}].refused_g"),
                      "reason": e.form.reason.data or None} for i, e in enumerate(form.lines.entries)]
            return _step(manifest, "receive", outcome=form.outcome.data or None, lines=lines,
                         reason=form.reason.data or None, scanned=form.scanned.data or None, **_gate_fields(form))
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404, 409):
                raise
            _put_errors(form, exc, "reason", {"receiver_id": "reason", "gate_net_g": "gate_net"})
    return (render_template("regulatory/manifests/receive.html", m=manifest, form=form,
                            rows=list(zip(manifest.lines, form.lines.entries, strict=False))),
            _status(form))


def _gate_fields(form: ReceiveForm) -> dict:
    """A typed gate weight wins over the weighbridge weighing chosen above it."""
    if form.gate_net.data is not None:
        return {"gate_net_g": services.grams_from_kg(form.gate_net.data, "gate_net_g", allow_zero=False),
                "gate_ticket_no": form.gate_ticket_no.data or ""}
    if form.gate_weighing_id.data:
        return {"gate_weighing_id": int(form.gate_weighing_id.data)}
    return {}


@bp.route("/<int:manifest_id>/treat", methods=["GET", "POST"])
@login_required
def treat(manifest_id: int):
    manifest = _manifest(manifest_id)
    form = TreatForm()
    if request.method == "GET":
        form.treated_on.data = china_today()
    if form.validate_on_submit():
        try:
            grams = services.grams_from_kg(form.quantity.data, "quantity_g", allow_zero=False)
            return _step(manifest, "treat", method=form.method.data, treated_on=form.treated_on.data.isoformat(),
                         quantity_g=grams)
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404, 409):
                raise
            _put_errors(form, exc, "method", {"quantity_g": "quantity"})
    return render_template("regulatory/manifests/treat.html", m=manifest, form=form), _status(form)


# --- revisions -----------------------------------------------------------------------------------

def _revisable_choices(manifest: Manifest) -> list[tuple[str, str]]:
    labels = {"planned_pickup_on": _("Planned pickup"), "planned_delivery_on": _("Planned delivery"),
              "origin": _("Origin"), "via_points": _("Via points"), "destination": _("Destination"),
              "emergency_measures": _("Emergency measures")}
    choices = [(k, labels[k]) for k in steps.REVISABLE_PLAN]
    carrier_labels = {"vehicle_plate": _("Vehicle plate"), "driver_name": _("Driver"),
                      "driver_phone": _("Driver's phone"), "escort_name": _("Escort")}
    for c in manifest.carriers:
        choices += [(f"carriers.{c.position}.{k}", f"{c.organisation.name} · {v}") for k, v in carrier_labels.items()]
    line_labels = {"quantity_g": _("Shipped (g)"), "received_g": _("Received (g)"), "refused_g": _("Refused (g)")}
    for line in manifest.lines:
        choices += [(f"lines.{line.position}.{k}", f"{line.position + 1}. {line.waste_code} · {v}")
                    for k, v in line_labels.items()]
    return choices


@bp.route("/<int:manifest_id>/revise", methods=["GET", "POST"])
@login_required
def revise(manifest_id: int):
    manifest = _manifest(manifest_id)
    form = ReviseForm()
    form.field.choices = _revisable_choices(manifest)
    if form.validate_on_submit():
        value = form.value.data
        if form.field.data.startswith("lines.") and (value or "").strip().lstrip("-").isdigit():
            value = int(value.strip())
        try:
            return _step(manifest, "revise", changes={form.field.data: value}, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404, 409):
                raise
            _put_errors(form, exc, "value", {"changes": "value", form.field.data: "value"})
    return render_template("regulatory/manifests/revise.html", m=manifest, form=form), _status(form)


# --- print ---------------------------------------------------------------------------------------

@bp.get("/<int:manifest_id>.pdf")
@login_required
def printable(manifest_id: int):
    manifest = _manifest(manifest_id)
    name = manifest.number or f"draft-{manifest.id}"
    return Response(pdf.render_manifest(manifest), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="manifest-{name}.pdf"'})


# --- refused waste: return or forwarding ---------------------------------------------------------

def _follow_up_choices(form: FollowUpForm, manifest: Manifest) -> None:
    transporters = db.session.scalars(select(Organisation).where(Organisation.is_transporter.is_(True),
                                                                 Organisation.status == "verified")
                                      .order_by(Organisation.name).limit(500)).all()
    _carrier_choices(form.carrier.form, [(0, "—")] + [(o.id, o.name) for o in transporters],
                     record_choices(transporters))
    receivers = db.session.scalars(select(Organisation).where(
        Organisation.is_receiver.is_(True), Organisation.status == "verified",
        Organisation.id != manifest.receiver_org_id).order_by(Organisation.name).limit(500))
    form.receiver_id.choices = [(0, "—")] + [(o.id, o.name) for o in receivers]


@bp.route("/<int:manifest_id>/follow-up", methods=["GET", "POST"])
@login_required
def follow_up(manifest_id: int):
    """The generator starts the return or forwarding of what the receiver refused (a draft it then submits)."""
    manifest = _manifest(manifest_id)
    org = db.session.get(Organisation, manifest.generator_org_id)
    if not auth.is_member(current_user, org.id):
        raise Forbidden(_("Only the generator starts the return or forwarding of refused waste."))
    form = FollowUpForm()
    if request.method == "GET":
        form.planned_pickup_on.data = form.planned_delivery_on.data = china_today()
        form.emergency_measures.data = manifest.emergency_measures
    _follow_up_choices(form, manifest)
    if form.validate_on_submit():
        carrier = {name: form.carrier[name].data for name in ("organisation_id", *services.CARRIER_FIELDS)}
        carrier |= {name: form.carrier[name].data or None for name in ("vehicle_id", "driver_id", "escort_id")}
        method = normalise_method(form.planned_method.data) if form.planned_method.data else None
        lines = ([{"line_id": line_id, "planned_method": method} for line_id in followups.awaiting_by_line(manifest)]
                 if method else None)
        try:
            created = followups.create_follow_up(
                manifest, current_user, org, kind=form.kind.data, receiver=form.receiver_id.data or None,
                lines=lines, carriers=[carrier] if carrier["organisation_id"] else [],
                planned_pickup_on=form.planned_pickup_on.data, planned_delivery_on=form.planned_delivery_on.data,
                emergency_measures=form.emergency_measures.data)
            db.session.commit()
            flash(_("The follow-up manifest is drafted: check it and submit it."), "success")
            return redirect(url_for("manifests.detail", manifest_id=created.id))
        except DomainError as exc:
            db.session.rollback()
            manifest = _manifest(manifest_id)
            _put_errors(form, exc, "kind")
    return (render_template("regulatory/manifests/follow_up.html", m=manifest, form=form,
                            awaiting=followups.awaiting_g(manifest)), _status(form))

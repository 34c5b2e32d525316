"""Complete custody transfers and the gate weight at receipt.

At every pick up, hand-over and delivery each container of the manifest is scanned, or the signing party records
an exception for it (reason required, photo optional). Exceptions are sealed into the step, stored, written into
the step's ledger events of the affected batch and alerted to the regulators of both ends.

At receipt the receiver records the net weight of what arrived at its gate: typed with the weighing ticket's
number, or sent by its weighbridge through the device API. That weight feeds the weight-mismatch alert.
"""
import hashlib
import re
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import audit, images
from ...errors import Conflict, DomainError, NotFound
from ...extensions import db
from ...types import utcnow
from ..batches.services import container_by_code
from ..weighing.models import Device
from ..weighing.services import parse_weighed_at, validate_weights
from . import services
from .alerts import raise_scan_exception_alerts
from .models import TRANSIT_STATES, GateWeighing, Manifest, ManifestScanException
from .services import invalid

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 2048
MAX_REASON = 1000
MAX_TICKET = 60
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# a weighbridge weighs the truck on arrival, before or after the driver signs the delivery, never after receipt
GATE_STATES = (*TRANSIT_STATES, "delivered")


# --- photos of missing containers ------------------------------------------------------------------

def _photo_path(sha256: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "scan-exceptions" / f"{sha256}.jpg"


def store_exception_photo(raw: bytes, field: str) -> str:
    """Clean the upload (portal.images: re-encoded JPEG, no metadata) and store it by its SHA-256, which the
    step then seals. Stored by content, so a retried step finds the same file and a refused one leaves only
    an unreferenced copy of a photo its sender took."""
    if len(raw) > PHOTO_MAX_BYTES:
        images.refuse(_l("The photo is larger than %(mb)s MB.", mb=PHOTO_MAX_BYTES // (1024 * 1024)), field)
    image = images.open_image(raw, field)
    jpeg = images.to_jpeg(images.upright_rgb(image), PHOTO_MAX_SIDE)[0]
    sha256 = hashlib.sha256(jpeg).hexdigest()
    path = _photo_path(sha256)
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(jpeg)
    return sha256


def exception_photo_file(exception: ManifestScanException) -> Path | None:
    if not exception.photo_sha256:
        return None
    path = _photo_path(exception.photo_sha256)
    return path if path.is_file() else None


# --- exceptions at a custody transfer ---------------------------------------------------------------

def _exception_inputs(raw) -> list[dict]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list | tuple):
        raise invalid("exceptions", _("Send the exceptions as a list of {container_code, reason}."))
    items = []
    for index, item in enumerate(raw):
        field = f"exceptions[{index}]"
        if not isinstance(item, dict):
            raise invalid(field, _("Each exception is an object with container_code and reason."))
        code = str(item.get("container_code") or "").strip().upper()
        reason = item.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise invalid(f"{field}.reason", _("Enter text."))
        reason = (reason or "").strip()
        if not reason:
            raise invalid(f"{field}.reason", _("Give the reason why container %(code)s is missing.", code=code))
        if len(reason) > MAX_REASON:
            raise invalid(f"{field}.reason", _("At most %(n)s characters.", n=MAX_REASON))
        photo = item.get("photo_sha256")
        if photo is not None and not (isinstance(photo, str) and _SHA256.match(photo)
                                      and _photo_path(photo).is_file()):
            raise invalid(f"{field}.photo", _("The photo was not uploaded."))
        items.append({"container_code": code, "reason": reason, **({"photo_sha256": photo} if photo else {})})
    return items


def check_exceptions(manifest: Manifest, raw, scan: dict) -> list[dict]:
    """The exceptions a custody transfer seals: one for each container not scanned, none for another. Missing
    containers without one are refused with their codes named (422 incomplete_scan)."""
    items = _exception_inputs(raw)
    missing = set(scan["missing"])
    by_code: dict[str, dict] = {}
    for index, item in enumerate(items):
        code = item["container_code"]
        if code in scan["scanned"]:
            raise invalid(f"exceptions[{index}].container_code",
                          _("Container %(code)s was scanned: it needs no exception.", code=code))
        if code not in missing:
            raise invalid(f"exceptions[{index}].container_code",
                          _("Not on this manifest: %(codes)s.", codes=code or "—"), code="not_on_manifest")
        by_code[code] = item
    unexplained = sorted(missing - set(by_code))
    if unexplained:
        message = _("%(n)s of %(expected)s containers are neither scanned nor excused: %(codes)s. Scan them, or "
                    "record for each the reason it is missing.", n=len(unexplained), expected=scan["expected"],
                    codes=", ".join(unexplained))
        raise DomainError(message, fields={"scanned": message, "exceptions": message}, code="incomplete_scan")
    return [by_code[code] for code in sorted(by_code)]


def record_exceptions(manifest: Manifest, action: str, leg: int, actor, org, sealed: dict, now: datetime,
                      handing_over) -> dict[int, dict]:
    """Store the sealed exceptions, alert both ends' regulators, and answer per manifest line the data its
    ledger event adds (the exceptions about the line's containers)."""
    exceptions = sealed.get("exceptions") or []
    if not exceptions:
        return {}
    line_data: dict[int, dict] = {}
    for item in exceptions:
        container = container_by_code(item["container_code"])
        manifest.scan_exceptions.append(ManifestScanException(
            action=action, leg=leg, container_id=container.id, container_code=container.code,
            batch_id=container.batch_id, reason=item["reason"], photo_sha256=item.get("photo_sha256"),
            organisation_id=org.id, user_id=getattr(actor, "id", None), recorded_at=now))
        line = next(line for line in manifest.lines if container.code in line.container_codes)
        line_data.setdefault(line.id, {"exceptions": []})["exceptions"].append(
            {"container": container.code, "reason": item["reason"], "photo": bool(item.get("photo_sha256"))})
    db.session.flush()
    audit.record("manifest.scan_exceptions", manifest, actor=actor, organisation_id=org.id,
                 after={"action": action, "leg": leg, "exceptions": exceptions})
    raise_scan_exception_alerts(manifest, action, leg, exceptions, expected=sealed["expected"],
                                signer=org, handing_over=handing_over)
    return line_data


# --- gate weight at receipt ----------------------------------------------------------------------------

def _plausible_gate(manifest: Manifest, net_g: int, field: str) -> None:
    if not services.plausible(net_g, manifest.total_g):
        raise invalid(field, _("%(grams)s g is not plausible for %(shipped)s g shipped: check the weighing.",
                               grams=net_g, shipped=manifest.total_g))


def _manual_gate(manifest: Manifest, fields: dict) -> dict:
    net = services.require_grams(fields.get("gate_net_g"), "gate_net_g", allow_zero=False)
    _plausible_gate(manifest, net, "gate_net_g")
    ticket = fields.get("gate_ticket_no")
    if ticket is not None and not isinstance(ticket, str):
        raise invalid("gate_ticket_no", _("Enter text."))
    ticket = (ticket or "").strip()
    if not ticket:
        raise invalid("gate_ticket_no", _("Give the number of the weighing ticket."))
    if len(ticket) > MAX_TICKET:
        raise invalid("gate_ticket_no", _("At most %(n)s characters.", n=MAX_TICKET))
    return {"source": "manual", "net_g": net, "ticket_no": ticket, "weighed_at": _gate_time(fields)}


def _gate_time(fields: dict) -> str | None:
    """When the typed weighing was taken (ISO 8601 with offset), by the same rules as a device's; default now."""
    raw = fields.get("gate_weighed_at")
    if raw in (None, ""):
        return None
    errors: dict = {}
    value = parse_weighed_at(raw, errors)
    if errors:
        raise invalid("gate_weighed_at", errors["weighed_at"])
    return value.isoformat()


def _device_gate(manifest: Manifest, weighing_id) -> dict:
    weighing = next((w for w in manifest.gate_weighings if w.id == weighing_id and w.source == "device"), None)
    if weighing is None:
        raise invalid("gate_weighing_id", _("Choose a weighbridge weighing of this manifest."))
    _plausible_gate(manifest, weighing.net_g, "gate_weighing_id")
    return {"source": "device", "weighing_id": weighing.id, "device_id": weighing.device_id,
            "device_serial": weighing.device.serial, "ticket_no": weighing.ticket_no, "gross_g": weighing.gross_g,
            "tare_g": weighing.tare_g, "net_g": weighing.net_g, "weighed_at": weighing.weighed_at.isoformat()}


def check_gate_weight(manifest: Manifest, fields: dict) -> dict:
    """The gate weight the receipt seals: typed (gate_net_g with gate_ticket_no), a weighbridge weighing named
    by gate_weighing_id, or else the latest weighbridge weighing of this manifest. None of these is a 422."""
    manual = fields.get("gate_net_g") not in (None, "")
    chosen = fields.get("gate_weighing_id")
    if manual and chosen not in (None, ""):
        raise invalid("gate_weighing_id", _("Either type the gate weight or choose a weighbridge weighing."))
    if manual:
        return _manual_gate(manifest, fields)
    if chosen not in (None, ""):
        return _device_gate(manifest, chosen)
    from_devices = [w for w in manifest.gate_weighings if w.source == "device"]
    if from_devices:
        return _device_gate(manifest, from_devices[-1].id)
    message = _("Record the gate weight of what arrived: its net weight and the weighing ticket's number, or a "
                "weighing sent by your weighbridge.")
    raise DomainError(message, fields={"gate_net_g": message}, code="gate_weight_required")


def _gate_events(manifest: Manifest, weighing: GateWeighing, actor, org) -> None:
    """A 'weighed' event on each batch of the manifest. The gate weighs the whole load, so an event carries it
    as its quantity only when the manifest has one line; otherwise the data names the load's net weight."""
    single = len(manifest.lines) == 1
    services.add_ledger_events([(line.batch, dict(
        event_type="weighed", actor=actor, organisation=org, container=line.container,
        quantity_g=weighing.net_g if single else None, occurred_at=weighing.weighed_at,
        place=manifest.destination,
        data={"gate": True, "manifest": manifest.number, "manifest_id": manifest.id, "line": line.position,
              "gate_weighing_id": weighing.id, "source": weighing.source, "device_id": weighing.device_id,
              "ticket_no": weighing.ticket_no, "gate_net_g": weighing.net_g})) for line in manifest.lines])


def count_gate_weight(manifest: Manifest, actor, org, gate: dict, now: datetime) -> GateWeighing:
    """The receipt's effect: store a typed gate weight (with its ledger event), or mark the weighbridge's
    weighing as the one counted."""
    if gate["source"] == "device":
        weighing = next(w for w in manifest.gate_weighings if w.id == gate["weighing_id"])
        weighing.counted = True
        return weighing
    weighed_at = datetime.fromisoformat(gate["weighed_at"]) if gate["weighed_at"] else now
    weighing = GateWeighing(manifest=manifest, organisation_id=org.id, source="manual",
                            ticket_no=gate["ticket_no"], net_g=gate["net_g"], weighed_at=weighed_at, recorded_at=now,
                            recorded_by_id=getattr(actor, "id", None), counted=True)
    # set from this side, the manifest's collection is not loaded for it (a receipt need not read earlier ones)
    db.session.add(weighing)
    # its id goes into the ledger events; only this row is written now, the step's others go out together later
    db.session.flush([weighing])
    _gate_events(manifest, weighing, actor, org)
    return weighing


def find_gate_replay(device: Device, key: str | None, request_hash: str) -> GateWeighing | None:
    """The gate weighing an earlier request with this Idempotency-Key created; another body is a conflict."""
    if not key:
        return None
    weighing = db.session.scalar(select(GateWeighing).where(GateWeighing.device_id == device.id,
                                                            GateWeighing.idempotency_key == key))
    if weighing is not None and weighing.request_hash != request_hash:
        raise DomainError(_l("This Idempotency-Key was already used for a different request."),
                          fields={"Idempotency-Key": _l("already used")}, code="idempotency_conflict")
    return weighing


def record_device_gate_weighing(device: Device, values: dict, *, idempotency_key: str | None = None,
                                request_hash: str | None = None) -> GateWeighing:
    """A weighbridge of the receiver weighs a truck arriving under a manifest number. Recorded with its
    'weighed' ledger events; the receipt then counts it (the latest, unless the receiver chooses another)."""
    if len(idempotency_key or "") > 255:
        raise invalid("Idempotency-Key", _("At most 255 characters."))
    gross, tare, net, weighed_at = validate_weights(values)
    number = str(values.get("manifest_number") or "").strip()
    manifest = db.session.scalar(select(Manifest).where(Manifest.number == number)) if number else None
    if manifest is None or manifest.receiver_org_id != device.organisation_id:
        raise NotFound(_("No manifest with this number comes to your organisation."),
                       fields={"manifest_number": _("Not found.")})
    if manifest.state not in GATE_STATES:
        raise Conflict(_("Manifest %(number)s is not arriving: the gate weight is taken before its receipt.",
                         number=number), fields={"manifest_number": manifest.state}, code="invalid_transition")
    ticket = str(values.get("ticket_no") or "").strip()[:MAX_TICKET] or None
    weighing = GateWeighing(manifest=manifest, organisation_id=device.organisation_id, source="device",
                            device_id=device.id, device=device, ticket_no=ticket, gross_g=gross, tare_g=tare,
                            net_g=net, weighed_at=weighed_at, recorded_at=utcnow(),
                            idempotency_key=idempotency_key or None, request_hash=request_hash)
    db.session.add(weighing)
    db.session.flush()
    _gate_events(manifest, weighing, None, device.organisation_id)
    return weighing

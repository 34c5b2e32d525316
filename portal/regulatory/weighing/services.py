"""Devices, their tokens, and recording weighings: each one also appends a 'weighed' event to the ledger."""
import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import audit, images
from ...accounts.models import Organisation
from ...auth import orgs_visible_to, require_manage_org
from ...errors import Conflict, DomainError, NotFound
from ...extensions import db
from ...inputs import event_datetime_error
from ...types import utcnow
from ..batches.models import Batch, Container, Site
from ..ledger.services import append_event
from .models import KINDS, Device, DeviceToken, WeighingRecord

TOKEN_PREFIX = "wfd_"
MAX_GROSS_G = 300_000_000  # 300 t: beyond any weighbridge
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_SIDE = 2048
CLOCK_SKEW = timedelta(minutes=10)


def _invalid(field: str, message) -> DomainError:
    return DomainError(message, fields={field: message})


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- devices and tokens --------------------------------------------------------------------------

def register_device(user, org: Organisation, *, kind: str, name: str, serial: str,
                    site_id: int | None = None) -> tuple[Device, str]:
    """An org admin registers a device; returns it with its first token's secret (shown once)."""
    require_manage_org(user, org)
    name, serial = (name or "").strip(), (serial or "").strip()
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _l("Choose weighbridge or scale.")
    if not name:
        errors["name"] = _l("Give the device a name.")
    if not serial:
        errors["serial"] = _l("Give the device's serial number.")
    elif db.session.scalar(select(Device.id).where(Device.organisation_id == org.id, Device.serial == serial)):
        errors["serial"] = _l("A device with this serial number is already registered.")
    if site_id is not None:
        site = db.session.get(Site, site_id)
        if site is None or site.organisation_id != org.id:
            errors["site_id"] = _l("Choose one of your sites.")
    if errors:
        raise DomainError(next(iter(errors.values())), fields=errors)
    device = Device(organisation=org, kind=kind, name=name, serial=serial, site_id=site_id)
    db.session.add(device)
    db.session.flush()
    audit.record("device.registered", device, actor=user, organisation_id=org.id,
                 after=audit.snapshot(device, ("kind", "name", "serial", "site_id")))
    return device, issue_device_token(user, device)


def issue_device_token(user, device: Device) -> str:
    """A new secret for the device; only its hash is stored, so it is shown once."""
    require_manage_org(user, device.organisation)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = DeviceToken(device=device, prefix=secret[:10], token_hash=_hash(secret), created_by_id=user.id)
    db.session.add(token)
    db.session.flush()
    audit.record("device.token_issued", token, actor=user, organisation_id=device.organisation_id,
                 after={"device_id": device.id, "prefix": token.prefix})
    return secret


def revoke_device_token(user, token: DeviceToken) -> None:
    require_manage_org(user, token.device.organisation)
    if token.revoked_at is not None:
        raise Conflict(_l("This token is already revoked."))
    token.revoked_at = utcnow()
    audit.record("device.token_revoked", token, actor=user, organisation_id=token.device.organisation_id,
                 before={"prefix": token.prefix})


def authenticate_device(header: str | None) -> Device:
    """`Authorization: Device wfd_…` → the device; anything else is a 401."""
    scheme, _sep, secret = (header or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "device" or not secret.startswith(TOKEN_PREFIX):
        raise DomainError(_l("This endpoint needs a device token: Authorization: Device wfd_…"),
                          code="unauthorized", status=401)
    token = db.session.scalar(select(DeviceToken).where(DeviceToken.token_hash == _hash(secret)))
    if token is None or token.revoked_at is not None or not token.device.active:
        raise DomainError(_l("The device token is not valid or has been revoked."), code="unauthorized", status=401)
    token.last_used_at = utcnow()
    return token.device


def devices_of(org: Organisation):
    return select(Device).where(Device.organisation_id == org.id)


def weighings_visible_to(user):
    org_ids = orgs_visible_to(user).with_only_columns(Organisation.id)
    return select(WeighingRecord).where(WeighingRecord.organisation_id.in_(org_ids))


# --- weighings -----------------------------------------------------------------------------------

def _grams(values: dict, name: str, errors: dict, required: bool = True) -> int | None:
    raw = values.get(name)
    if raw is None or raw == "":
        if required:
            errors[name] = _("Required: a whole number of grams.")
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 0 or raw > MAX_GROSS_G:
        errors[name] = _("Must be a whole number of grams from 0 to %(max)s.", max=MAX_GROSS_G)
        return None
    return raw


def parse_weighed_at(raw, errors: dict) -> datetime:
    """An ISO 8601 time with offset, not in the future nor before the platform's dates; errors named weighed_at."""
    if raw is None or raw == "":
        return utcnow()
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        errors["weighed_at"] = _("Use an ISO 8601 time with its offset, e.g. 2026-06-15T09:30:00+08:00.")
        return utcnow()
    if value.tzinfo is None:
        errors["weighed_at"] = _("Give the time with its offset, e.g. +08:00.")
    elif value > utcnow() + CLOCK_SKEW:
        errors["weighed_at"] = _("The weighing time is in the future.")
    elif message := event_datetime_error(value):
        errors["weighed_at"] = message
    return value


def validate_weights(values: dict) -> tuple[int, int, int, datetime]:
    """gross, tare, net (checked against gross − tare when given) and the time; every bad field is named."""
    errors: dict = {}
    gross = _grams(values, "gross_g", errors)
    tare = _grams(values, "tare_g", errors)
    net = _grams(values, "net_g", errors, required=False)
    weighed_at = parse_weighed_at(values.get("weighed_at"), errors)
    if gross is not None and tare is not None:
        if tare > gross:
            errors["tare_g"] = _("The tare cannot exceed the gross weight.")
        elif gross == tare:
            errors["gross_g"] = _("The net weight is zero: nothing was weighed.")
        elif net is not None and net != gross - tare:
            errors["net_g"] = _("The net weight must equal gross minus tare (%(net)s g).", net=gross - tare)
    if errors:
        raise DomainError(_("Some fields are not valid."), fields=errors)
    return gross, tare, gross - tare, weighed_at


def _target(device: Device, values: dict) -> tuple[Batch, Container | None]:
    """The device organisation's own container or batch; another organisation's is simply not found."""
    code, batch_id = values.get("container_code"), values.get("batch_id")
    if bool(code) == (batch_id is not None and batch_id != ""):
        message = _("Give either container_code or batch_id.")
        raise DomainError(message, fields={"container_code": message, "batch_id": message})
    if code:
        container = db.session.scalar(select(Container).where(Container.code == str(code).strip()))
        if container is None or container.batch.organisation_id != device.organisation_id:
            raise NotFound(_("No container with this code belongs to your organisation."),
                           fields={"container_code": _("Not found.")})
        return container.batch, container
    if isinstance(batch_id, str) and batch_id.isdigit():
        batch_id = int(batch_id)
    if not isinstance(batch_id, int) or isinstance(batch_id, bool):
        raise _invalid("batch_id", _("Must be a batch id (a whole number)."))
    batch = db.session.get(Batch, batch_id)
    if batch is None or batch.organisation_id != device.organisation_id:
        raise NotFound(_("No batch with this id belongs to your organisation."), fields={"batch_id": _("Not found.")})
    return batch, None


def find_replay(device: Device, key: str | None, request_hash: str) -> WeighingRecord | None:
    """The weighing an earlier request with this Idempotency-Key created; a different body is a conflict."""
    if not key:
        return None
    record = db.session.scalar(select(WeighingRecord).where(
        WeighingRecord.device_id == device.id, WeighingRecord.idempotency_key == key))
    if record is not None and record.request_hash != request_hash:
        raise DomainError(_l("This Idempotency-Key was already used for a different request."),
                          fields={"Idempotency-Key": _l("already used")}, code="idempotency_conflict")
    return record


def record_weighing(device: Device, values: dict, photo: bytes | None = None, *,
                    idempotency_key: str | None = None, request_hash: str | None = None) -> WeighingRecord:
    """Store a weighing of the device organisation's container or batch and append its 'weighed' event.
    Everything is validated before anything is written, so a refusal stores nothing (not even the photo)."""
    if len(idempotency_key or "") > 255:
        raise _invalid("Idempotency-Key", _("At most 255 characters."))
    gross, tare, net, weighed_at = validate_weights(values)
    batch, container = _target(device, values)
    jpeg = reencode_photo(photo) if photo is not None else None
    record = WeighingRecord(device=device, organisation_id=device.organisation_id, batch_id=batch.id,
                            container_id=getattr(container, "id", None), gross_g=gross, tare_g=tare, net_g=net,
                            weighed_at=weighed_at, idempotency_key=idempotency_key or None,
                            request_hash=request_hash)
    db.session.add(record)
    db.session.flush()
    site = device.site
    event = append_event(batch, "weighed", actor=None, organisation=device.organisation_id, container=container,
                         quantity_g=net, occurred_at=weighed_at,
                         place=f"{site.name}, {site.address}" if site else None,
                         lat=site.lat if site else None, lon=site.lon if site else None,
                         data={"weighing_id": record.id, "device_id": device.id, "device_serial": device.serial,
                               "device_kind": device.kind, "gross_g": gross, "tare_g": tare, "net_g": net,
                               "container": getattr(container, "code", None)})
    record.ledger_event_id = event.id
    if jpeg is not None:
        record.photo_path = _save_photo(jpeg)
    return record


# --- photos --------------------------------------------------------------------------------------

def reencode_photo(data: bytes) -> bytes:
    """The upload written again as a plain JPEG (portal.images): no EXIF, GPS or other metadata."""
    limit = current_app.config.get("WEIGHING_PHOTO_MAX_BYTES", PHOTO_MAX_BYTES)
    if len(data) > limit:
        raise _invalid("photo", _("The photo is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))
    image = images.open_image(data, "photo", not_an_image=_("The photo is not a readable image."))
    return images.to_jpeg(images.upright_rgb(image), PHOTO_MAX_SIDE)[0]


def _save_photo(jpeg: bytes) -> str:
    relative = f"weighings/{uuid.uuid4().hex}.jpg"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg)
    return relative


def photo_file(record: WeighingRecord) -> Path | None:
    if not record.photo_path:
        return None
    path = Path(current_app.config["UPLOAD_DIR"]) / record.photo_path
    return path if path.is_file() else None

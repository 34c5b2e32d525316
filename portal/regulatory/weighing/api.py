"""JSON API of weighing: devices post weighings with their own token; users read them with theirs."""
import base64
import binascii
import hashlib

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ...api import api
from ...api.core import doc, json_body, paginate, query_param, register_schema, token_required
from ...errors import DomainError
from ...extensions import db
from ..batches.models import Container
from . import services
from .models import WeighingRecord

WEIGHING_SCHEMA = register_schema("Weighing", {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "device_id": {"type": "integer"}, "batch_id": {"type": "integer"},
        "container_code": {"type": "string", "nullable": True},
        "gross_g": {"type": "integer"}, "tare_g": {"type": "integer"}, "net_g": {"type": "integer"},
        "weighed_at": {"type": "string", "format": "date-time"}, "has_photo": {"type": "boolean"},
        "ledger_event_id": {"type": "integer"},
    },
})
WEIGHING_INPUT = {
    "type": "object",
    "required": ["gross_g", "tare_g"],
    "description": "Exactly one of container_code and batch_id, of the device's own organisation. "
                   "As multipart/form-data the same fields plus a `photo` file; as JSON the photo may come "
                   "base64-encoded in photo_base64. Photos: JPEG, PNG or WebP up to 5 MB, re-encoded as JPEG "
                   "with all metadata removed.",
    "properties": {
        "container_code": {"type": "string", "description": "the 37-character HJ 1276-2022 code"},
        "batch_id": {"type": "integer"},
        "gross_g": {"type": "integer", "minimum": 1}, "tare_g": {"type": "integer", "minimum": 0},
        "net_g": {"type": "integer", "description": "optional; must equal gross_g − tare_g"},
        "weighed_at": {"type": "string", "format": "date-time", "description": "with offset; default now"},
        "photo_base64": {"type": "string", "format": "byte"},
    },
}


def serialize_weighing(record: WeighingRecord) -> dict:
    return {"id": record.id, "device_id": record.device_id, "batch_id": record.batch_id,
            "container_code": record.container.code if record.container_id else None,
            "gross_g": record.gross_g, "tare_g": record.tare_g, "net_g": record.net_g,
            "weighed_at": record.weighed_at.isoformat(), "has_photo": bool(record.photo_path),
            "ledger_event_id": record.ledger_event_id}


def _values_and_photo() -> tuple[dict, bytes | None]:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("photo")
        return request.form.to_dict(), (upload.read() if upload and upload.filename else None)
    values = json_body()
    raw = values.pop("photo_base64", None)
    if raw in (None, ""):
        return values, None
    try:
        return values, base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        message = _("Not valid base64.")
        raise DomainError(message, fields={"photo_base64": message}) from None


@api.post("/weighings")
@doc("Record a weighing from a weighbridge or scale (device token: `Authorization: Device wfd_…`)",
     tags=["weighing"], params=[{"name": "Authorization", "in": "header", "required": True,
                                 "description": "Device wfd_… — the device token shown once when the device "
                                                "was registered (bearer user tokens are not accepted here)",
                                 "schema": {"type": "string"}}],
     body=WEIGHING_INPUT,
     responses={"201": {"description": "Recorded; a 'weighed' ledger event carries the net quantity",
                        "content": {"application/json": {"schema": WEIGHING_SCHEMA}}},
                "200": {"description": "Replayed: this Idempotency-Key was used before with the same body"},
                "401": {"description": "Missing, unknown or revoked device token"},
                "404": {"description": "No such container or batch of the device's organisation"}})
def post_weighing():
    device = services.authenticate_device(request.headers.get("Authorization"))
    key = request.headers.get("Idempotency-Key")
    request_hash = hashlib.sha256(request.get_data()).hexdigest()
    replay = services.find_replay(device, key, request_hash)
    if replay is not None:
        db.session.commit()  # the token's last use
        response = jsonify(serialize_weighing(replay))
        response.headers["Idempotent-Replayed"] = "true"
        return response
    values, photo = _values_and_photo()
    try:
        record = services.record_weighing(device, values, photo, idempotency_key=key, request_hash=request_hash)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(serialize_weighing(record)), 201


@api.get("/weighings")
@token_required
@doc("Weighings visible to the token, newest first", tags=["weighing"], params=[
    query_param("container_code", "Only this container's"), query_param("batch_id", "Only this batch's", "integer"),
    query_param("page", "Page number, from 1", "integer"), query_param("page_size", "Entries per page", "integer")],
    responses={"200": {"description": "A page of weighings", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"items": {"type": "array", "items": WEIGHING_SCHEMA},
                                         "total": {"type": "integer"}}}}}}})
def list_weighings():
    query = services.weighings_visible_to(current_user)
    if code := request.args.get("container_code"):
        query = query.join(Container, WeighingRecord.container_id == Container.id).where(Container.code == code)
    if batch_id := request.args.get("batch_id"):
        if not batch_id.isdigit():
            message = _("Must be a batch id (a whole number).")
            raise DomainError(message, fields={"batch_id": message}, status=400, code="bad_request")
        query = query.where(WeighingRecord.batch_id == int(batch_id))
    return paginate(query.order_by(WeighingRecord.weighed_at.desc(), WeighingRecord.id.desc()), serialize_weighing)


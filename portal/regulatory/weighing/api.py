"""JSON API of weighing: devices post weighings with their own token; users read them with theirs."""
import base64
import binascii
import hashlib
from datetime import datetime
from typing import Annotated

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ...api import api
from ...api.core import paginate, token_required
from ...api.schemas import Input, Output, Page, PageQuery, endpoint, parse_body
from ...errors import DomainError
from ...extensions import db
from ...inputs import EventDateTime, Id
from ..batches.models import Container
from ..manifests import custody
from ..manifests.api import GateWeighingOut, gate_weighing_json
from . import services
from .models import WeighingRecord


class WeighingOut(Output):
    id: int
    device_id: int
    batch_id: int
    container_code: str | None
    gross_g: int
    tare_g: int
    net_g: int
    weighed_at: datetime
    has_photo: bool
    ledger_event_id: int | None


Weight = Annotated[int, Field(ge=0, le=services.MAX_GROSS_G)]


class WeighingInput(Input):
    """Exactly one of container_code and batch_id, of the device's own organisation. As multipart/form-data the
    same fields plus a `photo` file; as JSON the photo may come base64-encoded in photo_base64. Photos: JPEG,
    PNG or WebP up to 5 MB, re-encoded as JPEG with all metadata removed."""

    container_code: str | None = Field(None, max_length=40, description="the 37-character HJ 1276-2022 code")
    batch_id: Id | None = None
    gross_g: Weight = Field(description="at least 1")
    tare_g: Weight
    net_g: Weight | None = Field(None, description="optional; must equal gross_g − tare_g")
    weighed_at: EventDateTime | None = Field(None, description="with offset; default now")
    photo_base64: str | None = Field(None, max_length=7_000_000, json_schema_extra={"contentEncoding": "base64"})


class WeighingQuery(PageQuery):
    container_code: str | None = Field(None, max_length=40, description="Only this container's")
    batch_id: Id | None = Field(None, description="Only this batch's")


DEVICE_HEADER = {"name": "Authorization", "in": "header", "required": True,
                 "description": "Device wfd_… — the device token shown once when the device was registered "
                                "(bearer user tokens are not accepted here)",
                 "schema": {"type": "string", "maxLength": 200}}


def serialize_weighing(record: WeighingRecord) -> dict:
    return {"id": record.id, "device_id": record.device_id, "batch_id": record.batch_id,
            "container_code": record.container.code if record.container_id else None,
            "gross_g": record.gross_g, "tare_g": record.tare_g, "net_g": record.net_g,
            "weighed_at": record.weighed_at.isoformat(), "has_photo": bool(record.photo_path),
            "ledger_event_id": record.ledger_event_id}


def _values_and_photo() -> tuple[dict, bytes | None]:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("photo")
        body = parse_body(WeighingInput, request.form.to_dict())
        photo = upload.read() if upload and upload.filename else None
    else:
        body = parse_body(WeighingInput)
        photo = None
        if body.photo_base64:
            try:
                photo = base64.b64decode(body.photo_base64, validate=True)
            except (binascii.Error, ValueError):
                message = _("Not valid base64.")
                raise DomainError(message, fields={"photo_base64": message}) from None
    return body.model_dump(exclude_none=True, exclude={"photo_base64"}), photo


@api.post("/weighings")
@endpoint("Record a weighing from a weighbridge or scale (device token: `Authorization: Device wfd_…`)",
          tags=["weighing"], body=WeighingInput, body_form=True, body_in_view=True, headers=[DEVICE_HEADER],
          response=WeighingOut, status=201, responses={200: WeighingOut, 401: None, 404: None},
          descriptions={201: "Recorded; a 'weighed' ledger event carries the net quantity",
                        200: "Replayed: this Idempotency-Key was used before with the same body",
                        401: "Missing, unknown or revoked device token",
                        404: "No such container or batch of the device's organisation"})
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
@endpoint("Weighings visible to the token, newest first", tags=["weighing"], query=WeighingQuery,
          response=Page[WeighingOut])
def list_weighings(query: WeighingQuery):
    filters = query
    query = services.weighings_visible_to(current_user)
    if filters.container_code:
        query = query.join(Container, WeighingRecord.container_id == Container.id).where(
            Container.code == filters.container_code)
    if filters.batch_id:
        query = query.where(WeighingRecord.batch_id == filters.batch_id)
    return paginate(query.order_by(WeighingRecord.weighed_at.desc(), WeighingRecord.id.desc()), serialize_weighing)



# --- gate weighings: a receiver's weighbridge weighs a truck arriving under a manifest -------------

class GateWeighingInput(Input):
    """The weighbridge of the manifest's receiver weighs the arriving truck: gross and tare of the load, for the
    manifest's 14-digit number. Accepted while the manifest is in transit or delivered, before its receipt; the
    receipt counts the latest one unless the receiver chooses another."""

    manifest_number: str = Field(min_length=14, max_length=14, pattern=r"^\d{14}$")
    gross_g: Weight = Field(description="at least 1")
    tare_g: Weight
    net_g: Weight | None = Field(None, description="optional; must equal gross_g − tare_g")
    weighed_at: EventDateTime | None = Field(None, description="with offset; default now")
    ticket_no: str | None = Field(None, max_length=60, description="the weighbridge's ticket number")


@api.post("/gate-weighings")
@endpoint("Record the gate weight of a truck arriving under a manifest (device token: `Authorization: Device "
          "wfd_…`, a device of the manifest's receiver)", tags=["weighing"], body=GateWeighingInput,
          body_in_view=True, headers=[DEVICE_HEADER], response=GateWeighingOut, status=201,
          responses={200: GateWeighingOut, 401: None, 404: None, 409: None},
          descriptions={201: "Recorded; a 'weighed' ledger event (gate: true) on each batch of the manifest",
                        200: "Replayed: this Idempotency-Key was used before with the same body",
                        401: "Missing, unknown or revoked device token",
                        404: "No manifest with this number comes to the device's organisation",
                        409: "The manifest is not arriving (not yet picked up, or already received)"})
def post_gate_weighing():
    device = services.authenticate_device(request.headers.get("Authorization"))
    key = request.headers.get("Idempotency-Key")
    request_hash = hashlib.sha256(request.get_data()).hexdigest()
    replay = custody.find_gate_replay(device, key, request_hash)
    if replay is not None:
        db.session.commit()  # the token's last use
        response = jsonify(gate_weighing_json(replay))
        response.headers["Idempotent-Replayed"] = "true"
        return response
    values = parse_body(GateWeighingInput).model_dump(mode="json", exclude_none=True)
    try:
        weighing = custody.record_device_gate_weighing(device, values, idempotency_key=key,
                                                       request_hash=request_hash)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(gate_weighing_json(weighing)), 201

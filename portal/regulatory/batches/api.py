"""JSON API for batches, containers and storage moves, acting for the token's organisation."""
from datetime import date

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import auth
from ...api import api, doc, json_body, paginate, register_schema, token_required
from ...api.core import query_param
from ...errors import DomainError, NotFound
from ...extensions import db
from ..ledger.services import events_for, verify_batch
from . import services
from .models import BATCH_STATUSES, FORMS, UNITS, Batch

CONTAINER = register_schema("Container", {"type": "object", "properties": {
    "id": {"type": "integer"}, "code": {"type": "string", "minLength": 37, "maxLength": 37},
    "batch_id": {"type": "integer"}, "sequence": {"type": "integer"}, "quantity_g": {"type": "integer"},
    "packaging": {"type": "string"}, "status": {"type": "string"},
    "facility_id": {"type": "integer", "nullable": True}}})
BATCH = register_schema("Batch", {"type": "object", "properties": {
    "id": {"type": "integer"}, "organisation": {"type": "object"}, "site_id": {"type": "integer", "nullable": True},
    "waste_code": {"type": "string"}, "stream": {"type": "string"}, "quantity_g": {"type": "integer"},
    "unit": {"type": "string"}, "form": {"type": "string", "enum": list(FORMS)}, "packaging": {"type": "string"},
    "hazards": {"type": "array", "items": {"type": "string"}}, "main_components": {"type": "string", "nullable": True},
    "harmful_components": {"type": "string", "nullable": True}, "generated_on": {"type": "string", "format": "date"},
    "status": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "containers": {"type": "array", "items": CONTAINER},
    "ledger": {"type": "object", "properties": {"head_seq": {"type": "integer"}, "head_hash": {"type": "string"}}}}})
EVENT = register_schema("LedgerEvent", {"type": "object", "properties": {
    "id": {"type": "integer"}, "seq": {"type": "integer"}, "event_type": {"type": "string"},
    "container": {"type": "string", "nullable": True}, "organisation_id": {"type": "integer"},
    "actor_id": {"type": "integer", "nullable": True}, "occurred_at": {"type": "string", "format": "date-time"},
    "recorded_at": {"type": "string", "format": "date-time"}, "place": {"type": "string", "nullable": True},
    "lat": {"type": "string", "nullable": True}, "lon": {"type": "string", "nullable": True},
    "quantity_g": {"type": "integer", "nullable": True}, "data": {"type": "object"},
    "prev_hash": {"type": "string"}, "hash": {"type": "string"}}})
NEW_BATCH = register_schema("NewBatch", {"type": "object",
                                         "required": ["waste_code", "quantity", "unit", "form", "packaging"],
                                         "properties": {
    "waste_code": {"type": "string", "description": "900-249-08 or 90024908"},
    "quantity": {"type": "string", "description": "a decimal number, e.g. \"0.9\""},
    "unit": {"type": "string", "enum": list(UNITS)}, "form": {"type": "string", "enum": list(FORMS)},
    "packaging": {"type": "string"}, "main_components": {"type": "string"}, "harmful_components": {"type": "string"},
    "generated_on": {"type": "string", "format": "date"}, "site_id": {"type": "integer"},
    "containers": {"description": "a number of containers, or the quantity of each in the batch's unit",
                   "oneOf": [{"type": "integer"}, {"type": "array", "items": {"type": "string"}}]}}})
STORAGE_MOVE = register_schema("StorageMove", {"type": "object", "required": ["container", "facility", "direction"],
                                               "properties": {
    "container": {"type": "string", "description": "37-character container code"},
    "facility": {"type": "integer"}, "direction": {"type": "string", "enum": ["in", "out"]}}})


def _iso(value):
    return value.isoformat() if value is not None else None


def container_json(c) -> dict:
    return {"id": c.id, "code": c.code, "batch_id": c.batch_id, "sequence": c.sequence, "quantity_g": c.quantity_g,
            "packaging": c.packaging, "status": c.status, "facility_id": c.facility_id}


def batch_json(b: Batch) -> dict:
    return {"id": b.id, "organisation": {"id": b.organisation.id, "uscc": b.organisation.uscc,
                                         "name": b.organisation.name},
            "site_id": b.site_id, "waste_code": b.waste_code, "stream": b.stream, "quantity_g": b.quantity_g,
            "unit": b.unit_label, "form": b.form, "packaging": b.packaging, "hazards": b.hazard_list,
            "main_components": b.main_components, "harmful_components": b.harmful_components,
            "generated_on": _iso(b.generated_on), "status": b.status, "created_at": _iso(b.created_at),
            "containers": [container_json(c) for c in b.containers],
            "ledger": {"head_seq": b.ledger_head_seq, "head_hash": b.ledger_head_hash}}


def event_json(e) -> dict:
    return {"id": e.id, "seq": e.seq, "event_type": e.event_type,
            "container": e.container.code if e.container is not None else None,
            "organisation_id": e.organisation_id, "actor_id": e.actor_id, "occurred_at": _iso(e.occurred_at),
            "recorded_at": _iso(e.recorded_at), "place": e.place,
            "lat": None if e.lat is None else str(e.lat), "lon": None if e.lon is None else str(e.lon),
            "quantity_g": e.quantity_g, "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}


def _acting_org():
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _owned_or_overseen(organisation_id: int) -> None:
    """A token acts for one organisation: its other memberships do not widen what it sees."""
    if g.get("api_org") is not None and not (auth.is_admin(current_user) or auth.regulator_of(current_user)):
        if organisation_id != g.api_org.id:
            raise NotFound(_("Not found."))


def _batch(batch_id: int) -> Batch:
    batch = services.get_batch(current_user, batch_id)
    _owned_or_overseen(batch.organisation_id)
    return batch


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        message = _("Use the date format YYYY-MM-DD.")
        raise DomainError(message, fields={name: message}, status=400, code="bad_request") from None


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@api.get("/batches")
@doc("Batches visible to the token (its organisation's; a regulator's jurisdiction)", tags=["batches"], params=[
    query_param("waste_code", "catalogue code, with or without dashes"),
    query_param("status", "one of " + ", ".join(BATCH_STATUSES)), query_param("site_id", "site id", "integer"),
    query_param("from", "generated on or after (YYYY-MM-DD)"), query_param("to", "generated on or before"),
    query_param("district", "district code (regulators)"), query_param("page", "page number", "integer"),
    query_param("page_size", "items per page", "integer")],
    responses={"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": BATCH}}})})
@token_required
def list_batches():
    is_overseer = auth.is_admin(current_user) or auth.regulator_of(current_user)
    org_id = None if is_overseer else getattr(g.get("api_org"), "id", -1)
    site = request.args.get("site_id")
    query = services.batches_query(
        current_user, organisation_id=org_id, waste_code=request.args.get("waste_code"),
        status=request.args.get("status"), site_id=int(site) if site and site.isdigit() else None,
        date_from=_date_arg("from"), date_to=_date_arg("to"), district=request.args.get("district"))
    return paginate(query, batch_json)


def _containers_arg(body: dict):
    raw = body.get("containers", 1)
    if isinstance(raw, bool) or not isinstance(raw, int | list):
        message = _("Give a number of containers or the quantity of each.")
        raise DomainError(message, fields={"containers": message})
    return raw


@api.post("/batches")
@doc("Register a batch and its containers; returns the batch with its container codes", tags=["batches"],
     body=NEW_BATCH, responses={"201": _json(BATCH, "Created")})
@token_required
def create_batch():
    body = json_body()
    org = _acting_org()
    generated_on = None
    if body.get("generated_on"):
        try:
            generated_on = date.fromisoformat(str(body["generated_on"]))
        except ValueError:
            message = _("Use the date format YYYY-MM-DD.")
            raise DomainError(message, fields={"generated_on": message}) from None
    quantity = body.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, str | int | float):
        message = _("Enter a number.")
        raise DomainError(message, fields={"quantity": message})
    batch = services.create_batch(
        org, current_user, str(body.get("waste_code") or ""), quantity, str(body.get("unit") or ""),
        str(body.get("form") or ""), str(body.get("packaging") or ""),
        main_components=body.get("main_components"), harmful_components=body.get("harmful_components"),
        generated_on=generated_on, site=body.get("site_id"), containers=_containers_arg(body))
    db.session.commit()
    return jsonify(batch_json(batch)), 201


@api.get("/batches/<int:batch_id>")
@doc("One batch with its containers", tags=["batches"], responses={"200": _json(BATCH)})
@token_required
def get_batch(batch_id: int):
    return jsonify(batch_json(_batch(batch_id)))


@api.get("/batches/<int:batch_id>/events")
@doc("The batch's ledger events in chain order, and whether the chain verifies", tags=["batches", "ledger"],
     responses={"200": _json({"type": "object", "properties": {
         "items": {"type": "array", "items": EVENT}, "intact": {"type": "boolean"},
         "problems": {"type": "array", "items": {"type": "object"}}}})})
@token_required
def batch_events(batch_id: int):
    batch = _batch(batch_id)
    problems = verify_batch(batch.id)
    return jsonify(items=[event_json(e) for e in events_for(batch.id)], intact=not problems,
                   problems=[{"event_id": p.event_id, "seq": p.seq, "kind": p.kind, "message": p.message}
                             for p in problems])


@api.get("/containers/<code>")
@doc("A container by its 37-character code", tags=["batches"], responses={"200": _json(CONTAINER)})
@token_required
def get_container(code: str):
    services.parse_container_code(code)
    container = services.get_container(current_user, code)
    _owned_or_overseen(container.batch.organisation_id)
    return jsonify({**container_json(container), "waste_code": container.batch.waste_code})


@api.post("/storage-moves")
@doc("Move a container into (入库) or out of (出库) a storage facility", tags=["batches", "storage"],
     body=STORAGE_MOVE, responses={"201": _json(EVENT, "The ledger event")})
@token_required
def storage_move():
    body = json_body()
    org = _acting_org()
    code = str(body.get("container") or "").strip().upper()
    parts = services.parse_container_code(code)
    if parts["uscc"] != org.uscc:
        message = _("The container code does not carry your organisation's credit code.")
        raise DomainError(message, fields={"container": message})
    container = services.container_by_code(code)
    if container is None:
        message = _("No container has this code.")
        raise DomainError(message, fields={"container": message}, code="not_found", status=404)
    services.check_container_code(code, container.batch)
    event = services.move_container(current_user, code, body.get("facility"), str(body.get("direction") or ""))
    db.session.commit()
    return jsonify(event_json(event)), 201

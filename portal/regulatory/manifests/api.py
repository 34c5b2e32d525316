"""JSON API of the transfer manifests: drafts, lists, detail and every step, acting for the token's organisation."""
from datetime import date

from flask import g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ...accounts.models import Organisation
from ...api import api, doc, json_body, paginate, register_schema, token_required
from ...api.core import query_param
from ...errors import DomainError
from ...extensions import db
from . import services
from .models import STATES
from .states import ACTIONS, allowed_actions, apply_action

SIGNATURE = register_schema("ManifestSignature", {"type": "object", "properties": {
    "seq": {"type": "integer"}, "action": {"type": "string"}, "from_state": {"type": "string"},
    "to_state": {"type": "string"}, "user_id": {"type": "integer", "nullable": True},
    "organisation": {"type": "object"}, "signed_at": {"type": "string", "format": "date-time"},
    "sealed": {"type": "object"}, "hash": {"type": "string"}, "intact": {"type": "boolean"}}})
MANIFEST = register_schema("Manifest", {"type": "object", "properties": {
    "id": {"type": "integer"}, "number": {"type": "string", "nullable": True, "pattern": "^\\d{14}$"},
    "state": {"type": "string", "enum": list(STATES)}, "revision": {"type": "integer"},
    "generator": {"type": "object"}, "receiver": {"type": "object"},
    "carriers": {"type": "array", "items": {"type": "object"}}, "lines": {"type": "array", "items": {"type": "object"}},
    "planned_pickup_on": {"type": "string", "format": "date"}, "planned_delivery_on": {"type": "string", "format": "date"},
    "origin": {"type": "string"}, "via_points": {"type": "string", "nullable": True}, "destination": {"type": "string"},
    "emergency_measures": {"type": "string"}, "count_mismatch": {"type": "boolean"},
    "receipt_outcome": {"type": "string", "nullable": True}, "allowed_actions": {"type": "array",
                                                                                 "items": {"type": "string"}},
    "signatures": {"type": "array", "items": SIGNATURE}}})
NEW_MANIFEST = register_schema("NewManifest", {"type": "object", "required": ["receiver_id", "lines"], "properties": {
    "receiver_id": {"type": "integer"},
    "carriers": {"type": "array", "items": {"type": "object", "required": ["organisation_id"], "properties": {
        "organisation_id": {"type": "integer"}, "vehicle_plate": {"type": "string"},
        "driver_name": {"type": "string"}, "driver_phone": {"type": "string"}, "escort_name": {"type": "string"}}}},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "batch_id": {"type": "integer"}, "container": {"type": "string", "description": "37-character code"}}}},
    "planned_pickup_on": {"type": "string", "format": "date"}, "planned_delivery_on": {"type": "string", "format": "date"},
    "origin": {"type": "string"}, "via_points": {"type": "string"}, "destination": {"type": "string"},
    "emergency_measures": {"type": "string"}, "deal_ref": {"type": "string"}}})
ACTION_BODY = register_schema("ManifestActionFields", {"type": "object", "description": (
    "submit: {}; cancel: {reason}; pick_up/hand_over/deliver: {scanned: [codes], place}; "
    "receive: {outcome: accepted|partly|refused, lines: [{line_id|position, received_g, refused_g, reason}], "
    "reason, scanned}; treat: {method: R1–R15|D1–D18, treated_on, quantity_g}; "
    "revise: {changes: {field: value}, reason}; approve_revision: {revision_id}; reject_revision: {revision_id, reason}"
)})


def _iso(value):
    return value.isoformat() if value is not None else None


def _org(org) -> dict:
    return {"id": org.id, "uscc": org.uscc, "name": org.name}


def manifest_json(m, *, detail: bool = False) -> dict:
    data = {
        "id": m.id, "number": m.number, "state": m.state, "revision": m.revision, "generator": _org(m.generator),
        "receiver": _org(m.receiver), "deal_ref": m.deal_ref,
        "carriers": [{"position": c.position, "organisation": _org(c.organisation), "vehicle_plate": c.vehicle_plate,
                      "driver_name": c.driver_name, "driver_phone": c.driver_phone, "escort_name": c.escort_name,
                      "took_over_at": _iso(c.took_over_at), "handed_over_at": _iso(c.handed_over_at)}
                     for c in m.carriers],
        "lines": [{"id": line.id, "position": line.position, "batch_id": line.batch_id,
                   "container": line.container.code if line.container is not None else None,
                   "waste_code": line.waste_code, "waste_name": line.waste_name, "hazards": line.hazards,
                   "form": line.form, "packaging": line.packaging, "quantity_g": line.quantity_g,
                   "received_g": line.received_g, "refused_g": line.refused_g, "refusal_reason": line.refusal_reason,
                   "container_codes": line.container_codes} for line in m.lines],
        "planned_pickup_on": _iso(m.planned_pickup_on), "planned_delivery_on": _iso(m.planned_delivery_on),
        "origin": m.origin, "via_points": m.via_points, "destination": m.destination,
        "emergency_measures": m.emergency_measures, "count_mismatch": m.count_mismatch,
        "count_mismatch_note": m.count_mismatch_note, "receipt_outcome": m.receipt_outcome,
        "refusal_reason": m.refusal_reason, "treatment_method": m.treatment_method, "treated_on": _iso(m.treated_on),
        "treated_g": m.treated_g, "created_at": _iso(m.created_at), "submitted_at": _iso(m.submitted_at),
        "picked_up_at": _iso(m.picked_up_at), "delivered_at": _iso(m.delivered_at), "received_at": _iso(m.received_at),
        "treated_at": _iso(m.treated_at), "cancelled_at": _iso(m.cancelled_at),
    }
    if detail:
        data["allowed_actions"] = allowed_actions(m, current_user, g.get("api_org"))
        data["signatures"] = [{"seq": s.seq, "action": s.action, "from_state": s.from_state, "to_state": s.to_state,
                               "user_id": s.user_id, "organisation": _org(s.organisation),
                               "signed_at": _iso(s.signed_at), "sealed": s.sealed, "hash": s.hash,
                               "intact": services.signature_intact(s)} for s in m.signatures]
        data["revisions"] = [{"id": r.id, "status": r.status, "reason": r.reason, "before": r.before,
                              "after": r.after, "approvals": sorted(int(k) for k in r.approvals),
                              "proposed_by": r.proposed_by_org_id} for r in m.revisions]
    return data


def _acting_org() -> Organisation:
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        message = _("Use the date format YYYY-MM-DD.")
        raise DomainError(message, fields={name: message}, status=400, code="bad_request") from None


def _org_ids() -> list[int] | None:
    org = g.get("api_org")
    return [org.id] if org is not None else None


@api.get("/manifests")
@doc("Transfer manifests visible to the token: its organisation's, or a regulator's jurisdiction",
     tags=["manifests"], params=[
         query_param("status", "state: " + ", ".join(STATES)), query_param("waste_code", "e.g. 900-249-08"),
         query_param("district", "district code, e.g. 411282"), query_param("date_from", "planned pickup from"),
         query_param("date_to", "planned pickup until"), query_param("party", "a party's name or credit code"),
         query_param("role", "generator, carrier or receiver (organisations)"),
         query_param("page", "page number", "integer"), query_param("page_size", "page size", "integer")],
     responses={"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": MANIFEST}}})})
@token_required
def manifests_index():
    status = request.args.get("status") or None
    if status is not None and status not in STATES:
        message = _("Unknown state.")
        raise DomainError(message, fields={"status": message}, status=400, code="bad_request")
    query = services.manifests_query(
        current_user, org_ids=_org_ids(), role=request.args.get("role") or None, status=status,
        waste_code=services.require_known_code(request.args.get("waste_code")),
        district=request.args.get("district") or None, date_from=_date_arg("date_from"), date_to=_date_arg("date_to"),
        party=request.args.get("party") or None, number=request.args.get("number") or None)
    return paginate(query, manifest_json)


@api.post("/manifests")
@doc("Create a draft manifest (no number until it is submitted)", tags=["manifests"], body=NEW_MANIFEST,
     responses={"201": _json(MANIFEST, "Created")})
@token_required
def manifests_create():
    org = _acting_org()
    body = json_body()
    plan = {k: body[k] for k in services.MANIFEST_FIELDS if k in body}
    manifest = services.create_manifest_draft(
        generator_org=org, receiver_org=body.get("receiver_id"), carriers=body.get("carriers") or [],
        lines=body.get("lines") or [], actor=current_user, deal_ref=body.get("deal_ref"), **plan)
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True)), 201


@api.get("/manifests/<int:manifest_id>")
@doc("One manifest with its signed timeline and the actions the token may take now", tags=["manifests"],
     responses={"200": _json(MANIFEST)})
@token_required
def manifests_show(manifest_id: int):
    manifest = services.get_manifest(current_user, manifest_id, org_id=getattr(g.get("api_org"), "id", None))
    return jsonify(manifest_json(manifest, detail=True))


@api.put("/manifests/<int:manifest_id>")
@doc("Edit a draft (the generator only; a submitted manifest changes only through a revision)",
     tags=["manifests"], body=NEW_MANIFEST, responses={"200": _json(MANIFEST)})
@token_required
def manifests_update(manifest_id: int):
    org = _acting_org()
    manifest = services.get_manifest(current_user, manifest_id, org_id=org.id)
    body = json_body()
    plan = {k: body[k] for k in services.MANIFEST_FIELDS if k in body}
    services.update_manifest_draft(manifest, current_user, org, carriers=body.get("carriers"),
                                   lines=body.get("lines"), receiver_org=body.get("receiver_id"), **plan)
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True))


@api.post("/manifests/<int:manifest_id>/actions/<action>")
@doc("Take one step (" + ", ".join(ACTIONS) + "): 403 for the wrong party, 409 out of order with "
     "allowed_actions in the error fields, 422 for bad fields", tags=["manifests"], body=ACTION_BODY,
     responses={"200": _json(MANIFEST)})
@token_required
def manifests_action(manifest_id: int, action: str):
    org = _acting_org()
    manifest = services.get_manifest(current_user, manifest_id, org_id=org.id)
    apply_action(manifest, action, current_user, org, **json_body())
    db.session.commit()
    return jsonify(manifest_json(manifest, detail=True))

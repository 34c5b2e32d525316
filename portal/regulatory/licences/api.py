"""JSON API of licences: the visible licences, one licence with its capacity, and the receipt check."""
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import auth
from ...accounts.models import Organisation
from ...api import api
from ...api.core import doc, paginate, query_param, register_schema, token_required
from ...clock import china_today
from ...errors import DomainError, NotFound
from ...extensions import db
from . import services
from .models import KINDS, STATUSES, Licence

LICENCE_SCHEMA = register_schema("Licence", {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "number": {"type": "string"},
        "holder": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                    "uscc": {"type": "string"}, "district_code": {"type": "string"}}},
        "issuing_authority": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"}, "valid_from": {"type": "string", "format": "date"},
        "valid_until": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": list(STATUSES)}, "status_reason": {"type": "string", "nullable": True},
        "kind": {"type": "string", "enum": list(KINDS)},
        "annual_capacity_g": {"type": "integer"},
        "scopes": {"type": "array", "items": {"type": "object", "properties": {
            "waste_code": {"type": "string", "nullable": True, "example": "900-041-49"},
            "category_code": {"type": "string", "nullable": True, "example": "HW08"},
            "methods": {"type": "array", "items": {"type": "string", "example": "D10"}},
            "annual_capacity_g": {"type": "integer", "nullable": True}}}},
    },
})
DECISION_SCHEMA = register_schema("ReceiptDecision", {
    "type": "object",
    "required": ["allowed", "reason_code", "message"],
    "properties": {
        "allowed": {"type": "boolean"},
        "reason_code": {"type": "string", "enum": ["allowed", "licence_not_required", "no_licence", "expired",
                                                   "suspended", "revoked", "code_out_of_scope",
                                                   "capacity_exceeded"]},
        "message": {"type": "string"},
        "licence": {"type": "object", "nullable": True},
        "methods": {"type": "array", "items": {"type": "string"}},
        "remaining_g": {"type": "integer", "nullable": True},
    },
})


def serialize_licence(licence: Licence) -> dict:
    org = licence.organisation
    return {
        "id": licence.id, "number": licence.number,
        "holder": {"id": org.id, "name": org.name, "uscc": org.uscc, "district_code": org.district_code},
        "issuing_authority": licence.issuing_authority, "issued_on": licence.issued_on.isoformat(),
        "valid_from": licence.valid_from.isoformat(), "valid_until": licence.valid_until.isoformat(),
        "status": licence.status, "status_reason": licence.status_reason, "kind": licence.kind,
        "annual_capacity_g": licence.annual_capacity_g,
        "scopes": [{"waste_code": s.waste_code, "category_code": s.category_code, "methods": s.method_list,
                    "annual_capacity_g": s.annual_capacity_g} for s in licence.scopes],
    }


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: message}, status=400, code="bad_request")


def _int_param(name: str, minimum: int = 0) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise _bad(name, _("Must be a whole number of at least %(minimum)s.", minimum=minimum))
    return value


@api.get("/licences")
@token_required
@doc("The licences visible to the token: its organisation's, or a regulator's jurisdiction", tags=["licences"],
     params=[query_param("status", "active, suspended or revoked"),
             query_param("district", "District code, e.g. 411282"),
             query_param("code", "Licences whose scope covers this waste code (either spelling) or category"),
             query_param("expiring_within", "Licences ending within this many days", "integer"),
             query_param("q", "Part of the licence number or the holder's name"),
             query_param("page", "Page number, from 1", "integer"),
             query_param("page_size", "Entries per page", "integer")],
     responses={"200": {"description": "A page of licences", "content": {"application/json": {"schema": {
         "type": "object", "properties": {"items": {"type": "array", "items": LICENCE_SCHEMA},
                                          "total": {"type": "integer"}}}}}}})
def list_licences():
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise _bad("status", _("Use active, suspended or revoked."))
    query = services.filter_licences(
        services.licences_visible_to(current_user), status=status, district=request.args.get("district") or None,
        code=request.args.get("code") or None, expiring_within=_int_param("expiring_within"),
        q=request.args.get("q") or None)
    return paginate(query, serialize_licence)


@api.get("/licences/<int:licence_id>")
@token_required
@doc("One licence with its capacity used and remaining this year", tags=["licences"],
     responses={"200": {"description": "The licence", "content": {"application/json": {"schema": {
         "allOf": [LICENCE_SCHEMA, {"type": "object", "properties": {"capacity": {"type": "object"}}}]}}}}})
def get_licence(licence_id: int):
    licence = db.session.get(Licence, licence_id)
    if licence is None or not auth.can_view_org_data(current_user, licence.organisation_id,
                                                     licence.organisation.district_code):
        raise NotFound(_("Licence not found."))
    capacity = services.licence_capacity(licence)
    return jsonify({**serialize_licence(licence), "capacity": {
        "year": capacity.year, "total_g": capacity.total_g, "used_g": capacity.used_g,
        "remaining_g": capacity.remaining_g}})


@api.get("/licences/check")
@token_required
@doc("May this organisation receive this quantity of this waste code on this date?", tags=["licences"],
     params=[query_param("org", "The receiving organisation's id", "integer", required=True),
             query_param("code", "Waste code, 900-041-49 or 90004149", required=True),
             query_param("quantity_kg", "Quantity in kilograms (up to 3 decimals)", "number", required=True),
             query_param("date", "Day of receipt, YYYY-MM-DD (default: today in China)")],
     responses={"200": {"description": "The decision; allowed=false carries the reason_code",
                        "content": {"application/json": {"schema": DECISION_SCHEMA}}}})
def check_licence():
    """Generators must not hand hazardous waste to an unlicensed receiver, so any verified organisation may
    ask this about any receiver (licences are public in China); regulators ask about their jurisdiction."""
    org_id, code, grams, day = _check_params()
    org = db.session.get(Organisation, org_id)
    asking = auth.current_org()
    if org is None or not (auth.can_view_org(current_user, org) or (asking is not None and asking.is_verified)):
        raise NotFound(_("Organisation not found."))
    try:
        decision = services.check_receipt(org, code, grams, day)
    except DomainError as exc:
        exc.fields = {"code" if name == "waste_code" else name: message for name, message in exc.fields.items()}
        raise
    return jsonify(decision.to_dict())


def _check_params() -> tuple[int, str, int, date]:
    errors = {}
    org_id = request.args.get("org", "")
    if not org_id.isdigit():
        errors["org"] = _("Give the organisation's id.")
    code = (request.args.get("code") or "").strip()
    if not code:
        errors["code"] = _("Give a waste code.")
    grams = None
    try:
        kg = Decimal(request.args.get("quantity_kg", ""))
        if kg.is_finite() and kg > 0 and kg == kg.quantize(Decimal("0.001")):
            grams = int(kg * 1000)
    except InvalidOperation:
        pass
    if grams is None:
        errors["quantity_kg"] = _("Give a quantity in kilograms above zero, with at most 3 decimals.")
    day = china_today()
    if raw := request.args.get("date"):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            errors["date"] = _("Use the form YYYY-MM-DD.")
    if errors:
        raise DomainError(next(iter(errors.values())), fields=errors, status=400, code="bad_request")
    return int(org_id), code, grams, day

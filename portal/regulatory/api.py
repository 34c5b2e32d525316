"""JSON API of the regulatory core's reference data: the waste catalogue and Sanmenxia's divisions.

Public (no token): the same information is printed in the official catalogue and statistical codes."""
import math

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..api import api
from ..api.core import doc, paginate, query_param, register_schema
from ..errors import DomainError, NotFound
from ..extensions import db
from .catalogue import exemptions_for, lookup_waste_code, search_waste_codes
from .geo import district_at, gcj02_to_wgs84
from .models import CITY_CODE, Division, WasteCode

WASTE_CODE_SCHEMA = register_schema("WasteCode", {
    "type": "object",
    "properties": {
        "code": {"type": "string", "example": "900-041-49"},
        "compact_code": {"type": "string", "example": "90004149"},
        "edition": {"type": "string", "example": "hw-2021"},
        "hazardous": {"type": "boolean"},
        "category": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
        "industry_source": {"type": "string", "nullable": True},
        "description": {"type": "string"},
        "hazard_characteristics": {"type": "string", "nullable": True, "description": "as printed"},
        "hazards": {"type": "array", "items": {"type": "string", "enum": ["T", "C", "I", "R", "In"]}},
    },
})
EXEMPTION_SCHEMA = register_schema("ExemptionItem", {
    "type": "object",
    "properties": {k: {"type": "integer" if k == "item_no" else "string"} for k in (
        "item_no", "waste_category_or_code", "hazardous_waste", "exempt_stage", "exempt_condition",
        "exempt_content")},
})
DIVISION_SCHEMA = register_schema("Division", {
    "type": "object",
    "properties": {
        "code": {"type": "string", "example": "411282"}, "name": {"type": "string"},
        "level": {"type": "string", "enum": ["city", "county", "township"]},
        "parent_code": {"type": "string"},
        "center": {"type": "object", "nullable": True, "description": "WGS-84",
                   "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
    },
})


def serialize_waste_code(entry: WasteCode) -> dict:
    return {
        "code": entry.code, "compact_code": entry.compact_code, "edition": entry.edition.slug,
        "hazardous": entry.hazardous,
        "category": {"code": entry.category.code, "name": entry.category.name},
        "industry_source": entry.industry_source, "description": entry.description,
        "hazard_characteristics": entry.hazard_characteristics, "hazards": entry.hazards,
    }


def serialize_division(division: Division) -> dict:
    center = None
    if division.center_lat is not None and division.center_lon is not None:
        center = {"lat": float(division.center_lat), "lon": float(division.center_lon)}
    return {"code": division.code, "name": division.name, "level": division.level,
            "parent_code": division.parent_code, "center": center}


@api.get("/waste-codes")
@doc("Search the waste catalogue", tags=["catalogue"], params=[
    query_param("q", "A code with or without dashes (whole or partial: 900-041-49, 90004149, 900-041) "
                     "or words of the name, description, industry or category"),
    query_param("category", "Category code, e.g. HW08 or SW05"),
    query_param("hazard", "Hazard characteristics that must all hold, comma-separated: T, C, I, R, In"),
    query_param("edition", "Catalogue edition slug (default: the current hazardous edition; sw-2021 for "
                           "general industrial solid waste)"),
    query_param("page", "Page number, from 1", "integer"),
    query_param("page_size", "Entries per page", "integer"),
], responses={"200": {"description": "A page of catalogue entries", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"items": {"type": "array", "items": WASTE_CODE_SCHEMA},
                                     "total": {"type": "integer"}, "page": {"type": "integer"},
                                     "page_size": {"type": "integer"}, "pages": {"type": "integer"}}}}}}})
def list_waste_codes():
    args = request.args
    query = search_waste_codes(args.get("q"), args.get("edition") or None, args.get("category") or None,
                               args.get("hazard") or None)
    return paginate(query, serialize_waste_code)


@api.get("/waste-codes/<code>")
@doc("One catalogue entry, with the exemption list rows that name it", tags=["catalogue"], params=[
    query_param("edition", "Catalogue edition slug (default: the editions in force, hazardous first)")],
    responses={"200": {"description": "The entry", "content": {"application/json": {"schema": {
        "allOf": [WASTE_CODE_SCHEMA, {"type": "object", "properties": {
            "exemptions": {"type": "array", "items": EXEMPTION_SCHEMA}}}]}}}}})
def get_waste_code(code: str):
    entry = lookup_waste_code(code, request.args.get("edition") or None)
    if entry is None:
        raise NotFound(_("%(code)s is not in the waste catalogue.", code=code))
    exemptions = [{"item_no": e.item_no, "waste_category_or_code": e.waste_category_or_code,
                   "hazardous_waste": e.hazardous_waste, "exempt_stage": e.exempt_stage,
                   "exempt_condition": e.exempt_condition, "exempt_content": e.exempt_content}
                  for e in exemptions_for(entry)]
    return jsonify({**serialize_waste_code(entry), "exemptions": exemptions})


@api.get("/divisions")
@doc("Administrative divisions with their WGS-84 centres", tags=["divisions"], params=[
    query_param("parent", "Parent division code: 411200 (default) lists the county-level units, "
                          "a county code lists its townships")],
    responses={"200": {"description": "The divisions", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"items": {"type": "array", "items": DIVISION_SCHEMA}}}}}}})
def list_divisions():
    parent = request.args.get("parent") or CITY_CODE
    if db.session.get(Division, parent) is None:
        message = _("Unknown division code.")
        raise DomainError(message, fields={"parent": message})
    rows = db.session.scalars(select(Division).where(Division.parent_code == parent).order_by(Division.code))
    return jsonify(items=[serialize_division(d) for d in rows])


def _coordinate(name: str, low: float, high: float) -> tuple[float | None, str | None]:
    """(value, None) for a valid number in range, else (None, the error message for the field)."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return None, _("Required.")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if low <= value <= high:  # NaN and infinities fail this too
        return value, None
    return None, _("Must be a number from %(low)s to %(high)s.", low=low, high=high)


@api.get("/divisions/locate")
@doc("The Sanmenxia district containing a point", tags=["divisions"], params=[
    query_param("lat", "Latitude in degrees", "number", required=True),
    query_param("lon", "Longitude in degrees", "number", required=True),
    query_param("crs", "Datum of the point: wgs84 (GPS, default) or gcj02 (Chinese map SDKs)"),
], responses={
    "200": {"description": "The district", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"district": DIVISION_SCHEMA,
                                         "lat": {"type": "number"}, "lon": {"type": "number"}}}}}},
    "404": {"description": "Outside Sanmenxia: {\"district\": null} with the error"}})
def locate_division():
    lat, lat_error = _coordinate("lat", -90.0, 90.0)
    lon, lon_error = _coordinate("lon", -180.0, 180.0)
    errors = {name: message for name, message in (("lat", lat_error), ("lon", lon_error)) if message}
    crs = (request.args.get("crs") or "wgs84").lower()
    if crs not in ("wgs84", "gcj02"):
        errors["crs"] = _("Use wgs84 or gcj02.")
    if errors:
        raise DomainError(_("Some fields are not valid."), fields=errors)
    if crs == "gcj02":
        lat, lon = gcj02_to_wgs84(lat, lon)
    code = district_at(lat, lon)
    division = db.session.get(Division, code) if code else None
    if division is None:
        body = {"district": None, "lat": lat, "lon": lon, "error": {
            "code": "not_found", "message": _("This point is not in Sanmenxia."), "fields": {}}}
        return jsonify(body), 404
    return jsonify(district=serialize_division(division), lat=lat, lon=lon)

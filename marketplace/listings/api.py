"""JSON API of listings and demand. Stable for partners: POST /listings, GET /listings?q=…, GET/PATCH one."""
from decimal import Decimal

from flask import current_app, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal import auth
from portal.api import api
from portal.api.core import _int_arg, doc, json_body, paginate, query_param, register_schema, token_required
from portal.errors import DomainError
from portal.extensions import db

from ..search.backends import search
from ..search.params import parse_filters, parse_geo, parse_query, parse_sort
from . import services
from .models import UNITS, Demand, Listing

LISTING_FIELDS = {
    "id": {"type": "integer"}, "title": {"type": "string"}, "description": {"type": "string"},
    "waste_code": {"type": "string", "nullable": True}, "category_code": {"type": "string", "nullable": True},
    "stream": {"type": "string"}, "hazardous": {"type": "boolean"}, "form": {"type": "string"},
    "quantity": {"type": "string", "description": "offered quantity in unit"},
    "available": {"type": "string", "description": "not yet reserved by deals, in unit"},
    "unit": {"type": "string", "enum": list(UNITS)}, "supply": {"type": "string"},
    "price": {"type": "integer", "nullable": True, "description": "fen per unit; negative = gate fee; null = negotiable"},
    "currency": {"type": "string"}, "district": {"type": "object"},
    "distance_km": {"type": "number", "nullable": True}, "status": {"type": "string"},
    "published_at": {"type": "string", "nullable": True}, "photos": {"type": "array", "items": {"type": "string"}},
}
LISTING = register_schema("Listing", {"type": "object", "required": ["id", "title", "status"],
                                      "properties": LISTING_FIELDS})
LISTING_PAGE = register_schema("ListingSearchResult", {
    "type": "object", "required": ["items", "total", "facets", "page"],
    "properties": {"items": {"type": "array", "items": LISTING}, "total": {"type": "integer"},
                   "facets": {"type": "object", "additionalProperties": {
                       "type": "object", "additionalProperties": {"type": "integer"}}},
                   "page": {"type": "integer"}, "page_size": {"type": "integer"}, "pages": {"type": "integer"},
                   "backend": {"type": "string", "enum": ["meilisearch", "sql"]}}})
LISTING_INPUT = register_schema("ListingInput", {
    "type": "object", "required": ["title", "quantity", "unit", "district"],
    "properties": {
        "title": {"type": "string", "maxLength": 200}, "description": {"type": "string"},
        "waste_code": {"type": "string", "description": "catalogue code, with or without dashes"},
        "stream": {"type": "string", "description": "construction, household or agricultural when there is no code"},
        "form": {"type": "string"}, "quantity": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "unit": {"type": "string", "enum": list(UNITS)}, "supply": {"type": "string", "enum": ["one_off", "continuous"]},
        "monthly": {"type": "number"}, "duration_months": {"type": "integer"},
        "price": {"type": "integer", "nullable": True}, "currency": {"type": "string", "enum": ["CNY"]},
        "district": {"type": "string"}, "lat": {"type": "number"}, "lon": {"type": "number"},
        "valid_from": {"type": "string", "format": "date"}, "valid_until": {"type": "string", "format": "date"},
        "quality": {"type": "object"}, "status": {"type": "string", "enum": ["draft", "published"]}}})
LISTING_PATCH = register_schema("ListingPatch", {
    "type": "object", "description": "any ListingInput field; status published/paused/withdrawn moves the lifecycle",
    "properties": {**{k: {} for k in ("title", "description", "quantity", "price", "currency", "district")},
                   "status": {"type": "string", "enum": ["published", "paused", "withdrawn"]}}})
DEMAND = register_schema("Demand", {"type": "object", "required": ["id", "title", "status"], "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "waste_codes": {"type": "array", "items": {"type": "string"}},
    "categories": {"type": "array", "items": {"type": "string"}}, "streams": {"type": "array", "items": {"type": "string"}},
    "quantity_kg": {"type": "string", "nullable": True}, "price_min": {"type": "integer", "nullable": True},
    "price_max": {"type": "integer", "nullable": True}, "currency": {"type": "string"},
    "district": {"type": "string", "nullable": True}, "radius_km": {"type": "integer", "nullable": True},
    "valid_until": {"type": "string", "nullable": True}, "status": {"type": "string"}}})

SEARCH_PARAMS = [
    query_param("q", "text; Chinese or English, codes with or without dashes"),
    query_param("waste_code", "comma-separated codes"), query_param("category", "HW08, SW02 …"),
    query_param("stream", "industrial, hazardous, medical, construction, household, agricultural"),
    query_param("hazardous", "true or false", "boolean"), query_param("district", "six-digit district code"),
    query_param("form", "solid, semi_solid, liquid, sludge, powder, gas"),
    query_param("price_min", "fen per tonne", "integer"), query_param("price_max", "fen per tonne", "integer"),
    query_param("quantity_min", "available kg", "number"), query_param("quantity_max", "available kg", "number"),
    query_param("near", "latitude,longitude (WGS-84)"), query_param("radius_km", "with near", "number"),
    query_param("sort", "price, -price, quantity, -quantity, date, -date, distance"),
    query_param("page", "from 1", "integer"), query_param("page_size", "at most 100", "integer"),
]


def _amount(grams: int | None, unit: str) -> str | None:
    if grams is None:
        return None
    return format((Decimal(grams) / UNITS[unit]).normalize(), "f")


def listing_json(listing: Listing, distance_m: float | None = None) -> dict:
    """A listing as the public sees it: district and distance, never the site, coordinates or contact."""
    body = {
        "id": listing.id, "title": listing.title, "description": listing.description,
        "waste_code": listing.waste_code, "category_code": listing.category_code, "stream": listing.stream,
        "hazardous": listing.hazardous, "form": listing.form, "quantity": _amount(listing.quantity_g, listing.unit),
        "available": _amount(listing.available_g, listing.unit), "unit": listing.unit, "supply": listing.supply,
        "monthly": _amount(listing.monthly_g, listing.unit), "duration_months": listing.duration_months,
        "price": listing.price_fen, "price_unit": listing.price_unit, "currency": listing.currency,
        "negotiable": listing.price_fen is None, "quality": listing.quality or {},
        "lab_report": bool(listing.lab_report),
        "district": {"code": listing.district_code, "name": listing.district.name if listing.district else None},
        "distance_km": round(distance_m / 1000, 1) if distance_m is not None else None,
        "organisation": {"id": listing.organisation_id, "name": listing.organisation.name},
        "status": listing.status,
        "valid_from": listing.valid_from.isoformat() if listing.valid_from else None,
        "valid_until": listing.valid_until.isoformat() if listing.valid_until else None,
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "photos": [url_for("marketplace.photo", name=p.thumbnail, _external=False) for p in listing.photos],
    }
    if auth.can_view_org_data(current_user, listing.organisation_id, listing.organisation.district_code):
        body.update(lat=float(listing.lat) if listing.lat is not None else None,
                    lon=float(listing.lon) if listing.lon is not None else None, site_id=listing.site_id,
                    reserved=_amount(listing.reserved_g, listing.unit), actions=services.listing_actions(listing))
    return body


@api.get("/listings")
@doc("Search published listings (Meilisearch, or SQL when it does not answer)", tags=["marketplace"],
     params=SEARCH_PARAMS,
     responses={"200": {"description": "A page of listings with facet counts",
                        "content": {"application/json": {"schema": LISTING_PAGE}}}})
def listings_search():
    args = request.args
    geo = parse_geo(args)
    filters, sort, query = parse_filters(args), parse_sort(args, geo), parse_query(args)
    page = _int_arg("page", 1, minimum=1, maximum=10_000)
    size = _int_arg("page_size", 20, minimum=1, maximum=current_app.config["API_MAX_PAGE_SIZE"])
    result = search(query, filters, sort, page, size, geo)
    return jsonify(items=[listing_json(h.listing, h.distance_m) for h in result.items], total=result.total,
                   facets=result.facets, page=page, page_size=size, pages=(result.total + size - 1) // size,
                   backend=result.backend)


def _acting_org():
    return auth.current_org_or_403()


@api.post("/listings")
@token_required
@doc("Create a listing (draft or published) for the token's organisation", tags=["marketplace"],
     body=LISTING_INPUT, responses={"201": {"description": "Created", "content": {"application/json": {
         "schema": LISTING}}}})
def listings_create():
    data = json_body()
    listing = services.create_listing(_acting_org(), data, current_user)
    db.session.commit()
    return jsonify(listing_json(listing)), 201


@api.get("/listings/<int:listing_id>")
@doc("One listing", tags=["marketplace"],
     responses={"200": {"description": "The listing", "content": {"application/json": {"schema": LISTING}}}})
def listings_get(listing_id):
    listing = services.require_view_listing(current_user, db.session.get(Listing, listing_id))
    return jsonify(listing_json(listing))


STATUS_ACTIONS = {"published": "publish", "paused": "pause", "withdrawn": "withdraw"}


@api.patch("/listings/<int:listing_id>")
@token_required
@doc("Change a listing; status published, paused or withdrawn moves its lifecycle", tags=["marketplace"],
     body=LISTING_PATCH,
     responses={"200": {"description": "The listing", "content": {"application/json": {"schema": LISTING}}}})
def listings_patch(listing_id):
    listing = services.require_edit_listing(current_user, db.session.get(Listing, listing_id))
    data = json_body()
    status = data.pop("status", None)
    if status is not None and status not in STATUS_ACTIONS:
        raise DomainError(_l("The status can be set to published, paused or withdrawn."),
                          fields={"status": _l("published, paused or withdrawn")})
    if data:
        services.update_listing(listing, data, current_user)
    if status is not None and status != listing.status:
        services.transition_listing(listing, STATUS_ACTIONS[status], current_user)
    db.session.commit()
    return jsonify(listing_json(listing))


# --- demand -----------------------------------------------------------------------------------

def demand_json(demand: Demand) -> dict:
    return {"id": demand.id, "title": demand.title, "description": demand.description,
            "waste_codes": demand.waste_codes, "categories": demand.categories, "streams": demand.streams,
            "quantity_kg": _amount(demand.quantity_g, "kg"), "price_min": demand.price_min_fen,
            "price_max": demand.price_max_fen, "currency": demand.currency, "district": demand.district_code,
            "radius_km": demand.radius_km, "organisation": {"id": demand.organisation_id,
                                                            "name": demand.organisation.name},
            "valid_until": demand.valid_until.isoformat() if demand.valid_until else None, "status": demand.status}


DEMAND_INPUT = register_schema("DemandInput", {"type": "object", "required": ["title"], "properties": {
    "title": {"type": "string"}, "description": {"type": "string"},
    "waste_codes": {"type": "array", "items": {"type": "string"}},
    "categories": {"type": "array", "items": {"type": "string"}}, "streams": {"type": "array", "items": {"type": "string"}},
    "quantity": {"type": "number"}, "unit": {"type": "string", "enum": list(UNITS)},
    "price_min": {"type": "integer", "description": "fen per tonne"}, "price_max": {"type": "integer"},
    "currency": {"type": "string"}, "district": {"type": "string"}, "lat": {"type": "number"},
    "lon": {"type": "number"}, "radius_km": {"type": "integer"}, "valid_until": {"type": "string", "format": "date"},
    "status": {"type": "string", "enum": ["draft", "published"]}}})


@api.get("/demands")
@doc("Published demand posts", tags=["marketplace"],
     params=[query_param("waste_code", "a catalogue code"), query_param("page", "from 1", "integer"),
             query_param("page_size", "at most 100", "integer")],
     responses={"200": {"description": "A page of demand posts"}})
def demands_list():
    query = select(Demand).where(Demand.status == "published").order_by(Demand.created_at.desc(), Demand.id.desc())
    rows = None
    if code := (request.args.get("waste_code") or "").strip():
        from portal.regulatory.catalogue import lookup_waste_code

        entry = lookup_waste_code(code)
        if entry is None:
            raise DomainError(_l("Unknown waste code."), fields={"waste_code": _l("not in the catalogue")},
                              code="bad_request", status=400)
        rows = [d.id for d in db.session.scalars(query) if entry.code in (d.waste_codes or [])
                or entry.category.code in (d.categories or [])]
        query = query.where(Demand.id.in_(rows))
    return paginate(query, demand_json)


@api.post("/demands")
@token_required
@doc("Post a demand (wanted) for the token's organisation", tags=["marketplace"], body=DEMAND_INPUT,
     responses={"201": {"description": "Created", "content": {"application/json": {"schema": DEMAND}}}})
def demands_create():
    demand = services.create_demand(_acting_org(), json_body(), current_user)
    db.session.commit()
    return jsonify(demand_json(demand)), 201


@api.get("/demands/<int:demand_id>")
@doc("One demand post", tags=["marketplace"],
     responses={"200": {"description": "The demand", "content": {"application/json": {"schema": DEMAND}}}})
def demands_get(demand_id):
    return jsonify(demand_json(services.require_view_demand(current_user, db.session.get(Demand, demand_id))))


@api.patch("/demands/<int:demand_id>")
@token_required
@doc("Change a demand post; status published or closed moves it", tags=["marketplace"], body=DEMAND_INPUT,
     responses={"200": {"description": "The demand", "content": {"application/json": {"schema": DEMAND}}}})
def demands_patch(demand_id):
    demand = services.require_edit_demand(current_user, db.session.get(Demand, demand_id))
    data = json_body()
    status = data.pop("status", None)
    if status not in (None, "published", "closed"):
        raise DomainError(_l("The status can be set to published or closed."),
                          fields={"status": _l("published or closed")})
    if data:
        services.update_demand(demand, data, current_user)
    if status is not None and status != demand.status:
        services.transition_demand(demand, "publish" if status == "published" else "close", current_user)
    db.session.commit()
    return jsonify(demand_json(demand))

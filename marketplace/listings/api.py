"""JSON API of listings and demand. Stable for partners: POST /listings, GET /listings?q=…, GET/PATCH one."""
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import Field
from sqlalchemy import select

from portal import auth
from portal.api import api
from portal.api.core import paginate, token_required
from portal.api.schemas import FreeObject, Input, OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from portal.errors import DomainError
from portal.extensions import db
from portal.inputs import Fen, Id, PlanDate

from ..search.backends import search
from ..search.params import SORTS, parse_filters, parse_geo, parse_query, parse_sort
from . import services
from .models import CURRENCIES, DEMAND_STATUSES, FORMS, LISTING_STATUSES, SUPPLY, UNITS, Demand, Listing

Unit = Literal[tuple(UNITS)]
Form = Literal[FORMS]
Coordinate = Annotated[Decimal, Field(ge=-180, le=180, max_digits=12, allow_inf_nan=False)]
Amount = Annotated[Decimal, Field(ge=0, le=10**12, max_digits=18, allow_inf_nan=False)]


class DistrictRef(Output):
    code: str | None
    name: str | None


class ListingOut(Output):
    id: int
    title: str
    description: str | None
    waste_code: str | None
    category_code: str | None
    stream: str | None
    hazardous: bool
    form: str
    quantity: str | None = Field(description="offered quantity in unit")
    available: str | None = Field(description="not yet reserved by deals, in unit")
    unit: Unit
    supply: str
    monthly: str | None
    duration_months: int | None
    price: int | None = Field(description="fen per unit; negative = gate fee; null = negotiable")
    price_unit: str | None
    currency: str | None
    negotiable: bool
    quality: dict[str, Any]
    lab_report: bool
    district: DistrictRef
    distance_km: float | None
    organisation: OrgRef
    status: Literal[LISTING_STATUSES]
    valid_from: date | None
    valid_until: date | None
    published_at: datetime | None
    photos: list[str]
    # the owner and its regulators only
    lat: float | None = None
    lon: float | None = None
    site_id: int | None = None
    reserved: str | None = None
    actions: list[str] | None = None


class ListingSearchResult(Page[ListingOut]):
    facets: dict[str, dict[str, int]]
    backend: Literal["meilisearch", "sql"]


class ListingInput(Input):
    title: str = Field(max_length=200)
    description: str | None = Field(None, max_length=5000)
    waste_code: str | None = Field(None, max_length=20, description="catalogue code, with or without dashes")
    stream: str | None = Field(None, max_length=20, description=(
        "construction, household or agricultural when there is no code"))
    form: Form | None = None
    quantity: Amount
    unit: Unit
    supply: Literal[SUPPLY] | None = None
    monthly: Amount | None = None
    duration_months: int | None = Field(None, ge=1, le=600)
    price: Fen | None = Field(None, description="fen per price_unit (integer fen; negative = gate fee; null = negotiable); the API prices in the quantity's unit, the pages per tonne")
    currency: Literal[CURRENCIES] | None = None
    district: str = Field(max_length=12)
    site_id: Id | None = None
    lat: Coordinate | None = None
    lon: Coordinate | None = None
    valid_from: PlanDate | None = None
    valid_until: PlanDate | None = None
    quality: FreeObject | None = None
    status: Literal["draft", "published"] | None = None


class ListingPatch(Input):
    """Any ListingInput field; status published, paused or withdrawn moves the lifecycle."""

    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    waste_code: str | None = Field(None, max_length=20)
    stream: str | None = Field(None, max_length=20)
    form: Form | None = None
    quantity: Amount | None = None
    unit: Unit | None = None
    supply: Literal[SUPPLY] | None = None
    monthly: Amount | None = None
    duration_months: int | None = Field(None, ge=1, le=600)
    price: Fen | None = Field(None, description="fen per price_unit (integer fen; negative = gate fee; null = negotiable); the API prices in the quantity's unit, the pages per tonne")
    currency: Literal[CURRENCIES] | None = None
    district: str | None = Field(None, max_length=12)
    site_id: Id | None = None
    lat: Coordinate | None = None
    lon: Coordinate | None = None
    valid_from: PlanDate | None = None
    valid_until: PlanDate | None = None
    quality: FreeObject | None = None
    status: Literal["published", "paused", "withdrawn"] | None = None


class ListingSearch(PageQuery):
    q: str | None = Field(None, max_length=2000, description="text; Chinese or English, codes with or without dashes")
    waste_code: str | None = Field(None, max_length=500, description="comma-separated codes")
    category: str | None = Field(None, max_length=200, description="HW08, SW02 …")
    stream: str | None = Field(None, max_length=200, description=(
        "industrial, hazardous, medical, construction, household, agricultural"))
    hazardous: bool | None = None
    district: str | None = Field(None, max_length=200, description="six-digit district code")
    form: str | None = Field(None, max_length=200, description="solid, semi_solid, liquid, sludge, powder, gas")
    price_min: Fen | None = Field(None, description="fen per tonne")
    price_max: Fen | None = Field(None, description="fen per tonne")
    quantity_min: Amount | None = Field(None, description="available kg")
    quantity_max: Amount | None = Field(None, description="available kg")
    near: str | None = Field(None, max_length=60, pattern=r"^-?\d{1,3}(\.\d+)?,-?\d{1,3}(\.\d+)?$",
                             description="latitude,longitude (WGS-84)")
    radius_km: float | None = Field(None, gt=0, le=1000, description="with near")
    sort: Literal[tuple(SORTS)] | None = None


class DemandOut(Output):
    id: int
    title: str
    description: str | None
    waste_codes: list[str] | None
    categories: list[str] | None
    streams: list[str] | None
    quantity_kg: str | None
    price_min: int | None = Field(description="fen per tonne")
    price_max: int | None = Field(description="fen per tonne")
    currency: str | None
    district: str | None
    radius_km: int | None
    organisation: OrgRef
    valid_until: date | None
    status: Literal[DEMAND_STATUSES]


Codes = Annotated[list[Annotated[str, Field(max_length=20)]], Field(max_length=50)]


class DemandInput(Input):
    title: str = Field(max_length=200)
    description: str | None = Field(None, max_length=5000)
    waste_codes: Codes | None = None
    categories: Codes | None = None
    streams: Codes | None = None
    quantity: Amount | None = None
    unit: Unit | None = None
    price_min: Fen | None = Field(None, description="fen per tonne")
    price_max: Fen | None = Field(None, description="fen per tonne")
    currency: Literal[CURRENCIES] | None = None
    district: str | None = Field(None, max_length=12)
    lat: Coordinate | None = None
    lon: Coordinate | None = None
    radius_km: int | None = Field(None, ge=1, le=1000)
    valid_until: PlanDate | None = None
    status: Literal["draft", "published"] | None = None


class DemandPatch(DemandInput):
    title: str | None = Field(None, max_length=200)
    status: Literal["published", "closed"] | None = None


class DemandQuery(PageQuery):
    waste_code: str | None = Field(None, max_length=20, description="a catalogue code")


def _amount(grams: int | None, unit: str) -> str | None:
    if grams is None:
        return None
    return format((Decimal(grams) / UNITS[unit]).normalize(), "f")


def listing_json(listing: Listing, distance_m: float | None = None) -> dict:
    """A listing as the public sees it: district and distance, never the site, coordinates or contact."""
    return _listing_body(listing, listing.organisation.name, listing.organisation.district_code,
                         listing.district.name if listing.district else None, [p.thumbnail for p in listing.photos],
                         distance_m)


def _listing_body(listing, organisation_name: str, organisation_district: str | None, district_name: str | None,
                  thumbnails: list[str], distance_m: float | None) -> dict:
    """listing_json from the listing's columns (a Listing, or a search hit's row with the same names) and what
    it names: one shape for both."""
    body = {
        "id": listing.id, "title": listing.title, "description": listing.description,
        "waste_code": listing.waste_code, "category_code": listing.category_code, "stream": listing.stream,
        "hazardous": listing.hazardous, "form": listing.form, "quantity": _amount(listing.quantity_g, listing.unit),
        "available": _amount(listing.quantity_g - listing.reserved_g, listing.unit), "unit": listing.unit,
        "supply": listing.supply, "monthly": _amount(listing.monthly_g, listing.unit),
        "duration_months": listing.duration_months,
        "price": listing.price_fen, "price_unit": listing.price_unit, "currency": listing.currency,
        "negotiable": listing.price_fen is None, "quality": listing.quality or {},
        "lab_report": bool(listing.lab_report),
        "district": {"code": listing.district_code, "name": district_name},
        "distance_km": round(distance_m / 1000, 1) if distance_m is not None else None,
        "organisation": {"id": listing.organisation_id, "name": organisation_name},
        "status": listing.status,
        "valid_from": listing.valid_from.isoformat() if listing.valid_from else None,
        "valid_until": listing.valid_until.isoformat() if listing.valid_until else None,
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "photos": [url_for("marketplace.photo", name=name, _external=False) for name in thumbnails],
    }
    if auth.can_view_org_data(current_user, listing.organisation_id, organisation_district):
        body.update(lat=float(listing.lat) if listing.lat is not None else None,
                    lon=float(listing.lon) if listing.lon is not None else None, site_id=listing.site_id,
                    reserved=_amount(listing.reserved_g, listing.unit), actions=services.listing_actions(listing))
    return body


def _hit_json(hit) -> dict:
    """A search hit as listing_json shows it: from its row (Meilisearch) or its object (the SQL fallback)."""
    if hit.thumbnails is None:
        return listing_json(hit.listing, hit.distance_m)
    row = hit.listing
    return _listing_body(row, row.organisation_name, row.organisation_district, row.district_name, hit.thumbnails,
                         hit.distance_m)


@api.get("/listings")
@endpoint("Search published listings (Meilisearch, or SQL when it does not answer)", tags=["marketplace"],
          query=ListingSearch, response=ListingSearchResult, descriptions={200: "A page of listings with facet counts"},
          links={200: {"GetListing": link("listings_get", listing_id=first_item()),
                       "MakeOffer": link("offers_create", "post", listing_id=first_item())}})
def listings_search(query: ListingSearch):
    args, page, size = request.args, query.page, query.page_size
    geo = parse_geo(args)
    filters, sort, text = parse_filters(args), parse_sort(args, geo), parse_query(args)
    result = search(text, filters, sort, page, size, geo, rows=True)
    return jsonify(items=[_hit_json(h) for h in result.items], total=result.total,
                   facets=result.facets, page=page, page_size=size, pages=(result.total + size - 1) // size,
                   backend=result.backend)


def _acting_org():
    return auth.current_org_or_403()


@api.post("/listings")
@token_required
@endpoint("Create a listing (draft or published) for the token's organisation", tags=["marketplace"],
          body=ListingInput, response=ListingOut, status=201,
          links={201: {"GetListing": {"operationId": "api_listings_get_get",
                                      "parameters": {"listing_id": "$response.body#/id"}},
                       "PatchListing": {"operationId": "api_listings_patch_patch",
                                        "parameters": {"listing_id": "$response.body#/id"}},
                       "MakeOffer": {"operationId": "api_offers_create_post",
                                     "parameters": {"listing_id": "$response.body#/id"}}}})
def listings_create(body: ListingInput):
    listing = services.create_listing(_acting_org(), body.model_dump(exclude_none=True), current_user)
    db.session.commit()
    return jsonify(listing_json(listing)), 201


@api.get("/listings/<int:listing_id>")
@endpoint("One listing", tags=["marketplace"], response=ListingOut)
def listings_get(listing_id):
    listing = services.require_view_listing(current_user, db.session.get(Listing, listing_id))
    return jsonify(listing_json(listing))


STATUS_ACTIONS = {"published": "publish", "paused": "pause", "withdrawn": "withdraw"}


@api.patch("/listings/<int:listing_id>")
@token_required
@endpoint("Change a listing; status published, paused or withdrawn moves its lifecycle", tags=["marketplace"],
          body=ListingPatch, response=ListingOut)
def listings_patch(listing_id, body: ListingPatch):
    listing = services.require_edit_listing(current_user, db.session.get(Listing, listing_id))
    data = body.model_dump(exclude_unset=True)
    status = data.pop("status", None)
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


@api.get("/demands")
@endpoint("Published demand posts", tags=["marketplace"], query=DemandQuery, response=Page[DemandOut],
          links={200: {"GetDemand": link("demands_get", demand_id=first_item())}})
def demands_list(query: DemandQuery):
    filters = query
    query = select(Demand).where(Demand.status == "published").order_by(Demand.created_at.desc(), Demand.id.desc())
    rows = None
    if code := (filters.waste_code or "").strip():
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
@endpoint("Post a demand (wanted) for the token's organisation", tags=["marketplace"], body=DemandInput,
          response=DemandOut, status=201,
          links={201: {"GetDemand": {"operationId": "api_demands_get_get",
                                     "parameters": {"demand_id": "$response.body#/id"}},
                       "PatchDemand": link("demands_patch", "patch", demand_id="$response.body#/id")}})
def demands_create(body: DemandInput):
    demand = services.create_demand(_acting_org(), body.model_dump(exclude_none=True), current_user)
    db.session.commit()
    return jsonify(demand_json(demand)), 201


@api.get("/demands/<int:demand_id>")
@endpoint("One demand post", tags=["marketplace"], response=DemandOut)
def demands_get(demand_id):
    return jsonify(demand_json(services.require_view_demand(current_user, db.session.get(Demand, demand_id))))


@api.patch("/demands/<int:demand_id>")
@token_required
@endpoint("Change a demand post; status published or closed moves it", tags=["marketplace"], body=DemandPatch,
          response=DemandOut)
def demands_patch(demand_id, body: DemandPatch):
    demand = services.require_edit_demand(current_user, db.session.get(Demand, demand_id))
    data = body.model_dump(exclude_unset=True)
    status = data.pop("status", None)
    if data:
        services.update_demand(demand, data, current_user)
    if status is not None and status != demand.status:
        services.transition_demand(demand, "publish" if status == "published" else "close", current_user)
    db.session.commit()
    return jsonify(demand_json(demand))

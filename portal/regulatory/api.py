"""JSON API of the regulatory core's reference data: the waste catalogue and the divisions of China.

Public (no token): the same information is printed in the official catalogue and statistical codes."""
from datetime import date
from typing import Annotated, Literal

from flask import jsonify
from flask_babel import gettext as _
from pydantic import BeforeValidator, Field
from sqlalchemy import select

from ..api import api
from ..api.core import paginate
from ..api.schemas import Error, ErrorDetail, Input, Output, Page, PageQuery, endpoint, first_item, link
from ..errors import DomainError, NotFound
from ..extensions import db
from ..jurisdiction import jurisdiction_code
from .catalogue import (
    all_editions,
    current_editions,
    exemptions_for,
    in_force_until,
    lookup_waste_code,
    search_waste_codes,
)
from .geo import boundary_shipped, district_at, gcj02_to_wgs84
from .models import Division, WasteCode


class CategoryOut(Output):
    code: str
    name: str


class WasteCodeOut(Output):
    code: str = Field(examples=["900-041-49"])
    compact_code: str = Field(examples=["90004149"])
    edition: str = Field(examples=["hw-2021"])
    hazardous: bool
    category: CategoryOut
    industry_source: str | None
    description: str
    hazard_characteristics: str | None = Field(description="as printed")
    hazards: list[Literal["T", "C", "I", "R", "In"]]


class ExemptionItem(Output):
    item_no: int
    waste_category_or_code: str | None
    hazardous_waste: str | None
    exempt_stage: str | None
    exempt_condition: str | None
    exempt_content: str | None


class WasteCodeDetail(WasteCodeOut):
    exemptions: list[ExemptionItem]


class Point(Output):
    lat: float
    lon: float


class DivisionOut(Output):
    code: str = Field(examples=["411282"])
    name: str
    level: Literal["province", "city", "county", "township"]
    parent_code: str | None
    center: Point | None = Field(description="WGS-84")


class Located(Output):
    district: DivisionOut | None
    lat: float
    lon: float
    error: ErrorDetail | None = None


class WasteCodeQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description=(
        "A code with or without dashes (whole or partial: 900-041-49, 90004149, 900-041) or words of the name, "
        "description, industry or category"))
    category: str | None = Field(None, max_length=10, description="Category code, e.g. HW08 or SW05")
    hazard: str | None = Field(None, max_length=40, description=(
        "Hazard characteristics that must all hold, comma-separated: T, C, I, R, In"))
    edition: str | None = Field(None, max_length=40, description=(
        "Catalogue edition slug, e.g. hw-2021 (default: the hazardous edition in force today in China; sw-2021 "
        "for general industrial solid waste); GET /catalogue-editions lists them"))


class EditionOut(Output):
    slug: str = Field(examples=["hw-2021"])
    name: str
    hazardous: bool
    in_force_from: date
    in_force_until: date | None = Field(description="the day before the next edition of its kind; null: open")
    in_force_today: bool
    source: str


class EditionList(Output):
    items: list[EditionOut]


class EditionQuery(Input):
    edition: str | None = Field(None, max_length=40, description=(
        "Catalogue edition slug (default: the editions in force, hazardous first)"))


class DivisionQuery(PageQuery):
    parent: str | None = Field(None, pattern=r"^\d{6}$", description=(
        "6-digit code of the parent division: a province (110000) lists its prefectures, a prefecture (110100) "
        "its county-level units, a county of the platform's city its townships. Default: the platform's city "
        "(411200 unless configured otherwise). A well-formed code that is no division answers 422."))
    level: Literal["province"] | None = Field(None, description="province: list the provinces (without parent)")


class LocateQuery(Input):
    lat: float = Field(ge=-90, le=90, description="Latitude in degrees")
    lon: float = Field(ge=-180, le=180, description="Longitude in degrees")
    crs: Annotated[Literal["wgs84", "gcj02"], BeforeValidator(lambda v: v.lower() if isinstance(v, str) else v)] = Field(
        "wgs84", description="Datum of the point: wgs84 (GPS, default) or gcj02 (Chinese map SDKs)")


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
@endpoint("Search the waste catalogue", tags=["catalogue"], query=WasteCodeQuery, response=Page[WasteCodeOut],
          links={200: {"GetWasteCode": link("get_waste_code", code=first_item("code"))}})
def list_waste_codes(query: WasteCodeQuery):
    rows = search_waste_codes(query.q, query.edition, query.category, query.hazard)
    return paginate(rows, serialize_waste_code)


@api.get("/catalogue-editions")
@endpoint("The catalogue editions loaded, with the period each is in force", tags=["catalogue"],
          response=EditionList)
def list_catalogue_editions():
    today = {e.id for e in current_editions()}
    return jsonify(items=[{
        "slug": e.slug, "name": e.name, "hazardous": e.hazardous, "in_force_from": e.in_force_from.isoformat(),
        "in_force_until": (until.isoformat() if (until := in_force_until(e)) else None),
        "in_force_today": e.id in today, "source": e.source} for e in all_editions()])


@api.get("/waste-codes/<code>")
@endpoint("One catalogue entry, with the exemption list rows that name it", tags=["catalogue"],
          query=EditionQuery, response=WasteCodeDetail)
def get_waste_code(code: str, query: EditionQuery):
    entry = lookup_waste_code(code, query.edition)
    if entry is None:
        raise NotFound(_("%(code)s is not in the waste catalogue.", code=code))
    exemptions = [{"item_no": e.item_no, "waste_category_or_code": e.waste_category_or_code,
                   "hazardous_waste": e.hazardous_waste, "exempt_stage": e.exempt_stage,
                   "exempt_condition": e.exempt_condition, "exempt_content": e.exempt_content}
                  for e in exemptions_for(entry)]
    return jsonify({**serialize_waste_code(entry), "exemptions": exemptions})


@api.get("/divisions")
@endpoint("Administrative divisions of China (2023 codes), with WGS-84 centres where known", tags=["divisions"],
          query=DivisionQuery, response=Page[DivisionOut], responses={422: Error},
          descriptions={422: "The parent is well-formed but no division: the error names the field parent"})
def list_divisions(query: DivisionQuery):
    if query.level == "province" and query.parent is None:
        return paginate(select(Division).where(Division.level == "province").order_by(Division.code),
                        serialize_division)
    parent = query.parent or jurisdiction_code()
    if db.session.get(Division, parent) is None:
        message = _("Unknown division code.")
        raise DomainError(message, fields={"parent": message})
    return paginate(select(Division).where(Division.parent_code == parent).order_by(Division.code),
                    serialize_division)


@api.get("/divisions/locate")
@endpoint("The district of the platform's city (JURISDICTION_CODE) containing a point", tags=["divisions"],
          query=LocateQuery, response=Located, responses={404: Located},
          descriptions={404: "Outside the city, or no boundary of the configured city is shipped: "
                             "{\"district\": null} with the error"})
def locate_division(query: LocateQuery):
    lat, lon, crs = query.lat, query.lon, query.crs
    if crs == "gcj02":
        lat, lon = gcj02_to_wgs84(lat, lon)
    code = district_at(lat, lon)
    division = db.session.get(Division, code) if code else None
    if division is None:
        city = db.session.get(Division, jurisdiction_code())
        name = city.name if city else jurisdiction_code()
        message = _("This point is not in %(city)s.", city=name) if boundary_shipped() else _(
            "No boundary of %(city)s is shipped, so points cannot be placed in its districts.", city=name)
        body = {"district": None, "lat": lat, "lon": lon, "error": {
            "code": "not_found", "message": message, "fields": {}}}
        return jsonify(body), 404
    return jsonify(district=serialize_division(division), lat=lat, lon=lon)

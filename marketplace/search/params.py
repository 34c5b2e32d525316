"""Search parameters: validated filters and sort, shared by both backends, the pages and the API.

Malformed input raises a DomainError (400) naming the parameter, so no backend ever sees it."""
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from portal.errors import DomainError
from portal.units import parse_mass, parse_price_per_t

from ..listings.models import FORMS, LISTING_STATUSES, STREAMS

SORTS = {"price": "price", "-price": "price", "quantity": "quantity", "-quantity": "quantity",
         "date": "date", "-date": "date", "distance": "distance"}
FACETS = ("waste_code", "category_code", "stream", "hazardous", "district_code", "form")
MAX_QUERY = 2000  # longer text is cut, not refused: a pasted paragraph should still search
_CODE = re.compile(r"^\d{3}-?\d{3}-?\d{2}$|^(HW|SW)\d{2}$", re.IGNORECASE)
_CATEGORY = re.compile(r"^(HW|SW)\d{2}$", re.IGNORECASE)
_DISTRICT = re.compile(r"^\d{6}$")


@dataclass
class Filters:
    waste_codes: list[str] = field(default_factory=list)  # dashed form: 900-214-08 (or SW02)
    categories: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    hazardous: bool | None = None
    districts: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=lambda: ["published"])
    price_min: int | None = None  # fen per tonne
    price_max: int | None = None
    quantity_min_g: int | None = None  # available grams
    quantity_max_g: int | None = None
    organisation_id: int | None = None
    listing_ids: list[int] | None = None  # restricts to these listings (saved-search alerts)

    def to_json(self) -> dict:
        """The filters as query parameters, for saved searches and links."""
        out = {}
        for name, key in (("waste_code", "waste_codes"), ("category", "categories"), ("stream", "streams"),
                          ("district", "districts"), ("form", "forms")):
            if getattr(self, key):
                out[name] = ",".join(getattr(self, key))
        if self.hazardous is not None:
            out["hazardous"] = "true" if self.hazardous else "false"
        for name in ("price_min", "price_max"):
            if getattr(self, name) is not None:
                out[name] = str(getattr(self, name))
        for name in ("quantity_min", "quantity_max"):
            grams = getattr(self, name + "_g")
            if grams is not None:
                out[name] = str(Decimal(grams) / 1000)
        return out


@dataclass
class Geo:
    lat: float
    lon: float
    radius_km: float | None = None


def _bad(name: str, message: str):
    raise DomainError(message, fields={name: message}, code="bad_request", status=400)


def _list(args, name: str) -> list[str]:
    values = []
    for raw in args.getlist(name) if hasattr(args, "getlist") else [args.get(name)]:
        values += [v.strip() for v in (raw or "").split(",") if v.strip()]
    return values


def _choices(args, name: str, allowed) -> list[str]:
    values = _list(args, name)
    for value in values:
        if value not in allowed:
            _bad(name, _("Unknown value %(value)s; allowed: %(allowed)s.", value=value[:40],
                         allowed=", ".join(allowed)))
    return values


def _integer(args, name: str, minimum: int | None = None) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        _bad(name, _("Must be a whole number."))
    if minimum is not None and value < minimum:
        _bad(name, _("Must be at least %(min)s.", min=minimum))
    return value


def _decimal(args, name: str, minimum: Decimal | None = None, maximum: Decimal | None = None) -> Decimal | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        _bad(name, _("Must be a number."))
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        _bad(name, _("Must be between %(min)s and %(max)s.", min=minimum, max=maximum))
    return value


def _dashed(code: str) -> str:
    compact = re.sub(r"-", "", code).upper()
    return compact if _CATEGORY.match(compact) else f"{compact[:3]}-{compact[3:6]}-{compact[6:]}"


def _bool(args, name: str) -> bool | None:
    raw = (args.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    _bad(name, _("Must be true or false."))


def parse_filters(args, *, allow_status: bool = False) -> Filters:
    """Filters from request arguments. quantity_min/max are in kg, price_min/max in fen per tonne."""
    codes = _list(args, "waste_code")
    for code in codes:
        if not _CODE.match(code):
            _bad("waste_code", _("%(code)s is not a waste code like 900-041-49.", code=code[:40]))
    categories = [c.upper() for c in _list(args, "category")]
    for category in categories:
        if not _CATEGORY.match(category):
            _bad("category", _("%(code)s is not a category like HW08 or SW02.", code=category[:40]))
    districts = _list(args, "district")
    for district in districts:
        if not _DISTRICT.match(district):
            _bad("district", _("A district is a six-digit division code."))
    filters = Filters(
        waste_codes=[_dashed(c) for c in codes], categories=categories,
        streams=_choices(args, "stream", STREAMS), hazardous=_bool(args, "hazardous"), districts=districts,
        forms=_choices(args, "form", FORMS),
        price_min=_integer(args, "price_min"), price_max=_integer(args, "price_max"))
    if allow_status and _list(args, "status"):
        filters.statuses = _choices(args, "status", LISTING_STATUSES)
    for name in ("quantity_min", "quantity_max"):
        kg = _decimal(args, name, minimum=Decimal(0), maximum=Decimal(10) ** 12)
        setattr(filters, name + "_g", None if kg is None else int(kg * 1000))
    if filters.price_min is not None and filters.price_max is not None and filters.price_min > filters.price_max:
        _bad("price_max", _("The maximum price is below the minimum."))
    return filters


# The search page asks in the units people use; the API keeps its documented integer units.
PEOPLE_UNITS = {"price_min_yuan": "price_min", "price_max_yuan": "price_max", "tonnes_min": "quantity_min",
                "tonnes_max": "quantity_max"}


def from_people_units(args) -> MultiDict:
    """The search page's arguments (prices in 元 per t, quantities in t) as the API's: price_min/max in fen per
    tonne, quantity_min/max in kg. The page's own names win over API names given alongside."""
    out = MultiDict(args)
    for name, api_name in PEOPLE_UNITS.items():
        raw = (args.get(name) or "").strip()
        if not raw:
            continue
        try:
            value = (parse_price_per_t(raw, name) if api_name.startswith("price")
                     else Decimal(parse_mass(raw, "t", name)) / 1000)
        except DomainError as exc:
            _bad(name, exc.fields.get(name, exc.message))
        out.setlist(api_name, [str(value)])
    return out


def parse_geo(args) -> Geo | None:
    """near=lat,lon and radius_km; a radius without a point is refused."""
    raw, radius = (args.get("near") or "").strip(), _decimal(args, "radius_km", Decimal("0.1"), Decimal(2000))
    if not raw:
        if radius is not None:
            _bad("near", _("A radius needs a point: near=latitude,longitude."))
        return None
    try:
        lat, lon = (Decimal(p.strip()) for p in raw.split(","))
    except (ValueError, InvalidOperation):
        _bad("near", _("Give the point as near=latitude,longitude."))
    if not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        _bad("near", _("Give the point as near=latitude,longitude."))
    return Geo(float(lat), float(lon), float(radius) if radius is not None else None)


def parse_sort(args, geo: Geo | None) -> str | None:
    raw = (args.get("sort") or "").strip()
    if not raw:
        return None
    if raw not in SORTS:
        _bad("sort", _("Unknown sort %(value)s; allowed: %(allowed)s.", value=raw[:40], allowed=", ".join(SORTS)))
    if raw == "distance" and geo is None:
        _bad("sort", _("Sorting by distance needs a point: near=latitude,longitude."))
    return raw


def parse_query(args) -> str:
    return (args.get("q") or "").replace("\x00", "")[:MAX_QUERY].strip()

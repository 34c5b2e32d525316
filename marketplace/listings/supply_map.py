"""The supply map's data: published listings (found by the same search as the list) and published demand,
as GeoJSON points for the map page.

A listing's site is not public (the list shows its district and distance, never its coordinates), so the
map never carries a site's position: points are the centres of grid cells about 2 km wide, each with the
listings or demand inside it. Listings and demand without coordinates sit at their district's centroid.
The page clusters these cells further as the reader zooms out (static/js/market-map.js).
"""
import math
from dataclasses import dataclass, field
from functools import cache

from flask import url_for
from sqlalchemy import select

from portal.extensions import db
from portal.regulatory import geo
from portal.units import format_price_per_t

from ..search.params import Filters
from ..search.synonyms import indexed_text, query_terms
from .api import _amount
from .models import Demand, Listing

CELL_DEG = 0.02  # about 2.2 km north–south, 1.8 km east–west at Sanmenxia's latitude
MAP_LIMIT = 1000  # points of one kind on one map; the list pages the rest
ITEMS_PER_CELL = 10  # a cell's popup names this many and counts the others


@cache
def _district_centroids() -> dict[str, tuple[float, float]]:
    """(lat, lon) of each shipped district's centroid, WGS-84."""
    out = {}
    for feature in geo.district_boundaries()["features"]:
        props = feature["properties"]
        point = props.get("centroid") or props.get("center")
        if point:
            out[str(props["adcode"])] = (point[1], point[0])
    return out


def _place(lat, lon, district_code: str | None) -> tuple[float, float] | None:
    if lat is not None and lon is not None:
        return float(lat), float(lon)
    return _district_centroids().get(district_code or "")


def _cell(point: tuple[float, float]) -> tuple[int, int]:
    return math.floor(point[0] / CELL_DEG), math.floor(point[1] / CELL_DEG)


@dataclass
class Cell:
    kind: str
    row: int
    col: int
    hazardous: bool = False
    items: list[dict] = field(default_factory=list)

    def feature(self) -> dict:
        lat, lon = (self.row + 0.5) * CELL_DEG, (self.col + 0.5) * CELL_DEG
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
                "properties": {"kind": self.kind, "hazardous": self.hazardous, "count": len(self.items),
                               "items": self.items[:ITEMS_PER_CELL]}}


def _listing_item(listing: Listing) -> dict:
    price = None if listing.price_per_t_fen is None else format_price_per_t(listing.price_per_t_fen)
    return {"title": listing.title, "url": url_for("marketplace.detail", listing_id=listing.id),
            "available": f"{_amount(listing.available_g, listing.unit)} {listing.unit}", "price": price,
            "hazardous": listing.hazardous}


def _demand_item(demand: Demand) -> dict:
    return {"title": demand.title, "url": url_for("marketplace.demand_board") + f"#demand-{demand.id}",
            "organisation": demand.organisation.name}


def _group(kind: str, rows, place_of, item_of, hazardous_of=lambda _row: False) -> list[Cell]:
    cells: dict[tuple, Cell] = {}
    for row in rows:
        point = place_of(row)
        if point is None:
            continue
        hazardous = hazardous_of(row)
        # hazardous and general supply never share a marker: the legend tells them apart
        key = (*_cell(point), hazardous)
        cell = cells.setdefault(key, Cell(kind, key[0], key[1], hazardous))
        cell.items.append(item_of(row))
    return list(cells.values())


def listing_features(listings: list[Listing]) -> list[dict]:
    cells = _group("listing", listings, lambda li: _place(li.lat, li.lon, li.district_code), _listing_item,
                   lambda li: li.hazardous)
    return [c.feature() for c in cells]


def _demand_matches(demand: Demand, query: str, filters: Filters) -> bool:
    """The list's filters, as far as a demand states them: what it wants and where."""
    if filters.districts and demand.district_code not in filters.districts:
        return False
    for wanted, stated in ((filters.streams, demand.streams), (filters.categories, demand.categories),
                           (filters.waste_codes, demand.waste_codes)):
        if wanted and not set(wanted) & set(stated or []):
            return False
    if filters.hazardous is not None:
        wants_hazardous = "hazardous" in (demand.streams or []) or any(
            c.startswith("HW") for c in demand.categories or [])
        if wants_hazardous != filters.hazardous:
            return False
    text = indexed_text(demand.title, demand.description)
    return all(any(a in text for a in alternatives) for alternatives in query_terms(query))


def demand_features(query: str, filters: Filters) -> list[dict]:
    rows = db.session.scalars(select(Demand).where(Demand.status == "published")
                              .order_by(Demand.created_at.desc()).limit(MAP_LIMIT * 5))
    matching = [d for d in rows if _demand_matches(d, query, filters)][:MAP_LIMIT]
    cells = _group("demand", matching, lambda d: _place(d.lat, d.lon, d.district_code), _demand_item)
    return [c.feature() for c in cells]

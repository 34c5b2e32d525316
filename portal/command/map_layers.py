"""The one map's data (固危废一张图): the point layers, clustered on the server, and the transfer flows.

A point layer is a select() of (id, lat, lon, name) in the viewer's jurisdiction with the map's filters applied;
one function clusters any of them for the view the browser shows (its bounding box and zoom) with a GROUP BY on
coordinates rounded to a grid of about CELL_PX screen pixels, so that a city of 100,000 points answers a few
hundred clusters in one query. A cell holding one point is sent as that point, with the layer's key figures
for its marker (fill level, capacity used); the card of a clicked point comes from the layer's card function.

Areas outside portal add their layers here (participation registers the public reports): portal imports none
of them. Coordinates are WGS-84; the page converts them for a GCJ-02 tile service (static/js/map-base.js).
"""
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Select, and_, cast, func, select

from ..clock import CHINA
from ..errors import DomainError
from ..extensions import db
from ..regulatory.batches.forms import STREAM_CHOICES
from ..regulatory.catalogue import lookup_waste_code

CELL_PX = 64  # a cluster covers about this many screen pixels each way
POINTS_ZOOM = 17  # from this zoom on every point is sent alone: clusters no longer help
MAX_ZOOM = 18
MAX_POINTS = 2000  # points of one layer in one answer at the highest zooms (a few streets' worth)
MAX_PERIOD_DAYS = 366 * 10
STREAMS = tuple(value for value, _label in STREAM_CHOICES)
POINT_LAYERS = ("generators", "storage", "facilities", "reports")


@dataclass(frozen=True)
class MapFilters:
    """What the reader narrowed the map to: a waste stream, a waste code (as printed), a period of China dates."""
    stream: str | None = None
    code: str | None = None
    start: date | None = None
    end: date | None = None

    def as_args(self) -> dict:
        values = {"stream": self.stream, "code": self.code, "from": self.start, "to": self.end}
        return {name: str(value) for name, value in values.items() if value}

    def instants(self) -> tuple[datetime | None, datetime | None]:
        """The period as UTC instants (the start of its first and the end of its last day in China)."""
        start = datetime.combine(self.start, datetime.min.time(), CHINA) if self.start else None
        end = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), CHINA) if self.end else None
        return start, end


@dataclass(frozen=True)
class MapView:
    """The part of the map the browser shows: a WGS-84 bounding box and a Leaflet zoom level."""
    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def cell_degrees(self) -> float:
        # a tile of 256 px spans 360 / 2**zoom degrees of longitude
        return CELL_PX * 360.0 / (256 * 2 ** self.zoom)


@dataclass(frozen=True)
class PointLayer:
    """One switchable layer: its points, the figures its markers show and the card of one point."""
    name: str
    label: object
    points: Callable  # (user, MapFilters) -> select() of id, lat, lon, name, in the user's jurisdiction
    card: Callable  # (user, object_id, MapFilters) -> dict, NotFound outside the user's jurisdiction
    marks: Callable = lambda ids, filters: {}  # (ids, MapFilters) -> {id: {figures for the marker}}


LAYERS: dict[str, PointLayer] = {}


def register_layer(layer: PointLayer) -> PointLayer:
    """Add a layer to the map (the portal's own at import, other areas' from their init_app)."""
    if layer.name not in POINT_LAYERS:
        raise ValueError(f"unknown map layer {layer.name!r}: add it to POINT_LAYERS")
    LAYERS[layer.name] = layer
    return layer


# --- reading the request -----------------------------------------------------------------------------

def _invalid(field: str, message) -> DomainError:
    return DomainError(message, fields={field: message})


def _date(args, name: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(name, _("Enter a date as YYYY-MM-DD.")) from None


def parse_filters(args) -> MapFilters:
    """The filters of a query string; 422 naming the field for an unknown stream or code or a bad period."""
    stream = (args.get("stream") or "").strip() or None
    if stream is not None and stream not in STREAMS:
        raise _invalid("stream", _("Choose one of the waste streams."))
    code = (args.get("code") or "").strip() or None
    if code is not None:
        entry = lookup_waste_code(code) if len(code) <= 20 else None
        if entry is None:
            raise _invalid("code", _("%(code)s is not in the waste catalogue.", code=code[:20]))
        code = entry.code
    start, end = _date(args, "from"), _date(args, "to")
    if start and end and end < start:
        raise _invalid("to", _("The end of the period comes before its start."))
    if start and end and (end - start).days > MAX_PERIOD_DAYS:
        raise _invalid("to", _("Choose a period of at most ten years."))
    return MapFilters(stream, code, start, end)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_view(args) -> MapView:
    """bbox=west,south,east,north (WGS-84 degrees) and zoom=0…18; 422 naming the field otherwise."""
    try:
        zoom = int(args.get("zoom", ""))
    except ValueError:
        zoom = -1
    if not 0 <= zoom <= MAX_ZOOM:
        raise _invalid("zoom", _("Give the zoom as a whole number from 0 to %(max)s.", max=MAX_ZOOM))
    try:
        west, south, east, north = (_number(part) for part in (args.get("bbox") or "").split(","))
    except ValueError:
        raise _invalid("bbox", _("Give the box as west,south,east,north in degrees.")) from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise _invalid("bbox", _("The box must lie within ±180° and ±90°, west before east and south before north."))
    return MapView(west, south, east, north, zoom)


# --- clustering --------------------------------------------------------------------------------------

def _feature(lat, lon, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 6), round(float(lat), 6)]},
            "properties": properties}


def _cells(points, view: MapView) -> list:
    """(count, lat, lon, id) per grid cell of the view; id is the point's own when it is alone in its cell."""
    cell = view.cell_degrees
    lat, lon = cast(points.c.lat, Float), cast(points.c.lon, Float)
    # the cell's row and column in an inner select, grouped by name outside: PostgreSQL would not see two
    # bound copies of the cell size as the same expression. Only numbers go through the grouping (names are
    # read afterwards for the lone points): narrow rows keep a city's 100,000 points sorting in memory.
    gridded = select(func.round(lat / cell).label("row"), func.round(lon / cell).label("col"), points.c.id).subquery()
    rows = db.session.execute(select(func.count(), gridded.c.row, gridded.c.col, func.min(gridded.c.id))
                              .group_by(gridded.c.row, gridded.c.col)).all()
    # every marker sits at its cell's centre, so that two markers of a layer are a cell apart and never cover
    # each other (each keeps its 24 px target); from POINTS_ZOOM on, points are drawn at their own place
    return [(n, row * cell, col * cell, ident) for n, row, col, ident in rows]


def cluster(layer: PointLayer, user, filters: MapFilters, view: MapView) -> dict:
    """The layer's points in the view as a GeoJSON FeatureCollection of clusters (count > 1) and points."""
    points = layer.points(user, filters).subquery()
    in_view = and_(points.c.lat >= view.south, points.c.lat <= view.north,
                   points.c.lon >= view.west, points.c.lon <= view.east)
    points = select(points).where(points.c.lat.is_not(None), points.c.lon.is_not(None), in_view).subquery()
    truncated = False
    if view.zoom >= POINTS_ZOOM:
        rows = db.session.execute(select(points.c.id, points.c.lat, points.c.lon).order_by(points.c.id)
                                  .limit(MAX_POINTS + 1)).all()
        truncated = len(rows) > MAX_POINTS
        cells = [(1, r.lat, r.lon, r.id) for r in rows[:MAX_POINTS]]
    else:
        cells = _cells(points, view)
    alone = [c[3] for c in cells if c[0] == 1]
    names = dict(db.session.execute(select(points.c.id, points.c.name).where(points.c.id.in_(alone))).all()) if alone else {}
    marks = layer.marks(alone, filters) if alone else {}
    features = []
    for count, lat, lon, ident in cells:
        properties = {"count": count}
        if count == 1:
            properties.update({"id": ident, "name": names.get(ident), **marks.get(ident, {})})
        features.append(_feature(lat, lon, properties))
    return {"type": "FeatureCollection", "layer": layer.name, "features": features,
            "total": sum(c[0] for c in cells), "truncated": truncated}


# --- cards -------------------------------------------------------------------------------------------

def card(title: str, kind, rows: list, links: list) -> dict:
    """A clicked object's card: its name, its key figures as (label, value) and links to its pages."""
    return {"title": title, "kind": str(kind), "rows": [[str(label), str(value)] for label, value in rows if value not in (None, "")],
            "links": [[str(label), url] for label, url in links if url]}


def percent(used: int, total: int) -> int | None:
    """used/total in whole percent, rounded up so that a nearly full place never reads as less full."""
    if not total:
        return None
    return math.ceil(Decimal(used) * 100 / total)


def level(share: int | None, high: int) -> str:
    """The marker's colour class: ok, high (from the alert level on) or full."""
    if share is None:
        return "unknown"
    return "full" if share >= 100 else "high" if share >= high else "ok"


def stream_label(stream: str) -> str:
    return str(dict(STREAM_CHOICES).get(stream, stream))


LAYER_LABELS = {
    "generators": _l("Waste generators"),
    "storage": _l("Storage places (fill level)"),
    "facilities": _l("Licensed facilities (capacity used)"),
    "reports": _l("Public reports"),
}


def layer_select(*columns) -> Select:
    """select() of the four columns every point layer answers, named as cluster() reads them."""
    ident, lat, lon, name = columns
    return select(ident.label("id"), lat.label("lat"), lon.label("lon"), name.label("name"))

"""Coordinates: GCJ-02 ↔ WGS-84, distances, and which district of the platform's city a point lies in.

We store WGS-84 (GPS). Chinese map data and SDKs (DataV, AMap, Tencent) use GCJ-02, the officially
obfuscated datum, so coordinates are converted at the edges with the published forward formula and its
numerical inverse. Run `python -m portal.regulatory.geo SRC DST` to convert a GCJ-02 GeoJSON file.
"""
import json
import math
import sys
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from pathlib import Path

from ..jurisdiction import jurisdiction_code, manifest_region

DATA_DIR = Path(__file__).parent / "data"
DISTRICTS_FILE = DATA_DIR / "sanmenxia_districts_wgs84.geojson"
CITY_FILE = DATA_DIR / "sanmenxia_city_boundary_wgs84.geojson"

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm
_A = 6378245.0
_EE = 0.00669342162296594323
EARTH_RADIUS_M = 6371008.8  # mean radius (IUGG)


def out_of_china(lat: float, lon: float) -> bool:
    """GCJ-02 leaves points outside mainland China's bounding box unchanged."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _delta_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS-84 (lat, lon) → GCJ-02 (lat, lon)."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat = _delta_lat(lon - 105.0, lat - 35.0)
    d_lon = _delta_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, tolerance: float = 1e-9) -> tuple[float, float]:
    """GCJ-02 (lat, lon) → WGS-84 (lat, lon), inverting the forward formula by fixed-point iteration.

    The offset varies slowly, so a few iterations reach well below 1e-6° (about 0.1 m)."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        d_lat, d_lon = lat - g_lat, lon - g_lon
        w_lat, w_lon = w_lat + d_lat, w_lon + d_lon
        if abs(d_lat) < tolerance and abs(d_lon) < tolerance:
            break
    return w_lat, w_lon


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


# --- GeoJSON conversion --------------------------------------------------------------------------

def _convert_positions(coords, convert):
    if coords and isinstance(coords[0], int | float):
        lat, lon = convert(coords[1], coords[0])
        return [round(lon, 6), round(lat, 6)]
    return [_convert_positions(c, convert) for c in coords]


def convert_geojson(data: dict, convert=gcj02_to_wgs84) -> dict:
    """A copy of a FeatureCollection with every geometry position (and the DataV center/centroid
    properties) converted; positions are [lon, lat] as GeoJSON orders them."""
    features = []
    for feature in data["features"]:
        props = dict(feature.get("properties") or {})
        for key in ("center", "centroid"):
            if isinstance(props.get(key), list):
                props[key] = _convert_positions(props[key], convert)
        geometry = dict(feature["geometry"])
        geometry["coordinates"] = _convert_positions(geometry["coordinates"], convert)
        features.append({**feature, "properties": props, "geometry": geometry})
    return {**data, "features": features}


# --- point in polygon ----------------------------------------------------------------------------

def _in_ring(lat: float, lon: float, ring) -> bool:
    """Ray casting (even-odd rule) over a ring of [lon, lat] positions."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _polygons(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise ValueError(f"unsupported geometry {geometry['type']}")


def _in_polygons(lat: float, lon: float, polygons) -> bool:
    return any(_in_ring(lat, lon, rings[0]) and not any(_in_ring(lat, lon, hole) for hole in rings[1:])
               for rings in polygons)


def _bbox(polygons) -> tuple[float, float, float, float]:
    lons = [p[0] for rings in polygons for p in rings[0]]
    lats = [p[1] for rings in polygons for p in rings[0]]
    return min(lats), min(lons), max(lats), max(lons)


@cache
def _areas(path: Path) -> tuple:
    """(code, bbox, polygons) per feature of a shipped WGS-84 file, read once per process."""
    data = json.loads(path.read_text(encoding="utf-8"))
    areas = []
    for feature in data["features"]:
        polygons = _polygons(feature["geometry"])
        areas.append((str(feature["properties"]["adcode"]), _bbox(polygons), polygons))
    return tuple(areas)


def _locate(lat: float, lon: float, path: Path) -> str | None:
    for code, (s, w, n, e), polygons in _areas(path):
        if s <= lat <= n and w <= lon <= e and _in_polygons(lat, lon, polygons):
            return code
    return None


def district_at(lat: float, lon: float) -> str | None:
    """The code of the county-level unit of the platform's city containing this WGS-84 point, or None
    outside it (or when no boundary of the configured city is shipped)."""
    code = _locate(float(lat), float(lon), DISTRICTS_FILE)
    return code if code is not None and code.startswith(manifest_region()) else None


def in_city(lat: float, lon: float) -> bool:
    """True when the WGS-84 point lies within the boundary of the platform's city."""
    return _locate(float(lat), float(lon), CITY_FILE) == jurisdiction_code()


def boundary_shipped() -> bool:
    """Whether the boundary of the configured city is among the shipped files (Sanmenxia's is)."""
    return any(code == jurisdiction_code() for code, _box, _polygons in _areas(CITY_FILE))


_TENTH = Decimal("0.1")


def city_box() -> tuple[tuple[Decimal, Decimal], tuple[Decimal, Decimal]] | None:
    """(latitude range, longitude range) of the city's boundary rounded outward to 0.1°, for catching typed
    coordinates that are typos or GCJ-02 mix-ups; None when no boundary of the configured city is shipped."""
    for code, (south, west, north, east), _polygons in _areas(CITY_FILE):
        if code == jurisdiction_code():
            def outward(value: float, rounding) -> Decimal:
                return Decimal(repr(value)).quantize(_TENTH, rounding=rounding)
            return ((outward(south, ROUND_FLOOR), outward(north, ROUND_CEILING)),
                    (outward(west, ROUND_FLOOR), outward(east, ROUND_CEILING)))
    return None


def district_boundaries() -> dict:
    """The shipped WGS-84 district FeatureCollection, e.g. for a map layer."""
    return json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))


def _main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m portal.regulatory.geo GCJ02_SRC.geojson WGS84_DST.geojson", file=sys.stderr)
        return 2
    source, target = (Path(a) for a in argv)
    converted = convert_geojson(json.loads(source.read_text(encoding="utf-8")))
    target.write_text(json.dumps(converted, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

"""The two search backends behind one interface, and the facade that falls back from one to the other.

`search(query, filters, sort, page, page_size, geo)` → Result(items, total, facets). Meilisearch answers
when configured and reachable; otherwise, and whenever it fails or times out, the SQL backend does."""
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import String, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from portal.accounts.models import Organisation
from portal.extensions import db
from portal.regulatory.geo import haversine_m
from portal.regulatory.models import Division

from ..listings.models import Listing, ListingPhoto
from . import meili
from .index import index_exact, match_condition
from .meili import SearchUnavailable
from .params import FACETS, Filters, Geo
from .synonyms import normalise, query_terms

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Hit:
    listing: Listing  # or, from search(rows=True) over Meilisearch, a HIT_COLUMNS row (same attribute names)
    distance_m: float | None = None
    thumbnails: list[str] | None = None  # with rows: the photos' thumbnails, in order


@dataclass
class Result:
    items: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    backend: str = "sql"


# What an API hit shows, read as plain rows: the listing's columns (but its search text), its organisation's
# name and district, its district's name. Objects with their lazy relationships cost the API a query per hit.
HIT_COLUMNS = (*(c for c in Listing.__table__.c if c.key != "search_text"),
               Organisation.name.label("organisation_name"),
               Organisation.district_code.label("organisation_district"), Division.name.label("district_name"))


def load_hit_rows(ids: list[int], statuses: list[str]) -> dict[int, tuple]:
    """The rows of these listings that still have one of the statuses searched for (the index may lag behind a
    change just committed), each with the thumbnails of its photos in order: {id: (row, thumbnails)}."""
    if not ids:
        return {}
    rows = db.session.execute(select(*HIT_COLUMNS).join(Organisation, Organisation.id == Listing.organisation_id)
                              .outerjoin(Division, Division.code == Listing.district_code)
                              .where(Listing.id.in_(ids), Listing.status.in_(statuses))).all()
    thumbnails: dict[int, list[str]] = {}
    if rows:
        for listing_id, thumbnail in db.session.execute(
                select(ListingPhoto.listing_id, ListingPhoto.thumbnail)
                .where(ListingPhoto.listing_id.in_([row.id for row in rows])).order_by(ListingPhoto.id)):
            thumbnails.setdefault(listing_id, []).append(thumbnail)
    return {row.id: (row, thumbnails.get(row.id, [])) for row in rows}


def distance_to(listing: Listing, geo: Geo | None) -> float | None:
    if geo is None or listing.lat is None or listing.lon is None:
        return None
    return haversine_m(geo.lat, geo.lon, float(listing.lat), float(listing.lon))


def _facet_key(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# --- SQL ---------------------------------------------------------------------------------------

def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column, term: str):
    return column.like(f"%{_escape_like(term)}%", escape="\\")


class SqlBackend:
    """Every query term (or one of its synonyms) must occur in the listing's search text: candidates from the
    inverted index (search/index.py), checked by LIKE; terms found in the title rank first; facets by GROUP BY;
    geo by bounding box + haversine."""

    name = "sql"

    def __init__(self, use_index: bool = True):
        self.use_index = use_index  # False: LIKE alone, a full scan (bench/search_bench.py's reference)

    def conditions(self, query: str, filters: Filters, geo: Geo | None,
                   terms: list[tuple[str, ...]] | None = None) -> list:
        available = Listing.quantity_g - Listing.reserved_g
        conds = [Listing.status.in_(filters.statuses)]
        for column, values in ((Listing.waste_code, filters.waste_codes), (Listing.category_code, filters.categories),
                               (Listing.stream, filters.streams), (Listing.district_code, filters.districts),
                               (Listing.form, filters.forms)):
            if values:
                conds.append(column.in_(values))
        if filters.hazardous is not None:
            conds.append(Listing.hazardous.is_(filters.hazardous))
        if filters.price_min is not None:
            conds.append(Listing.price_per_t_fen >= filters.price_min)
        if filters.price_max is not None:
            conds.append(Listing.price_per_t_fen <= filters.price_max)
        if filters.quantity_min_g is not None:
            conds.append(available >= filters.quantity_min_g)
        if filters.quantity_max_g is not None:
            conds.append(available <= filters.quantity_max_g)
        if filters.organisation_id is not None:
            conds.append(Listing.organisation_id == filters.organisation_id)
        if filters.listing_ids is not None:
            conds.append(Listing.id.in_(filters.listing_ids))
        terms = query_terms(query) if terms is None else terms
        # the inverted index finds the candidates; LIKE keeps those where each term really occurs, unless the
        # index answers the term exactly by itself
        if self.use_index and (indexed := match_condition(terms)) is not None:
            conds.append(indexed)
        for alternatives in terms:
            if not (self.use_index and index_exact(alternatives)):
                conds.append(or_(*[_like(Listing.search_text, a) for a in alternatives]))
        if geo is not None and geo.radius_km is not None:
            conds += _bounding_box(geo)
        return conds

    def search(self, query: str, filters: Filters, sort: str | None = None, page: int = 1, page_size: int = 20,
               geo: Geo | None = None) -> Result:
        terms = query_terms(query)
        conds = self.conditions(query, filters, geo, terms)
        title = func.lower(Listing.title)
        score = sum((case((or_(*[_like(title, a) for a in alts]), 1), else_=0) for alts in terms),
                    start=0) if terms else None
        if geo is not None and (geo.radius_km is not None or sort == "distance"):
            return self._search_geo(conds, score, sort, page, page_size, geo)
        order = self._order(sort, score)
        total, facets, ids = count_facets_and_page(conds, order, page, page_size)
        listings = db.session.scalars(select(Listing).where(Listing.id.in_(ids)).order_by(*order)).all() if ids else []
        return Result([Hit(li, distance_to(li, geo)) for li in listings], total, facets, self.name)

    @staticmethod
    def _order(sort: str | None, score) -> list:
        available = Listing.quantity_g - Listing.reserved_g
        unpriced = case((Listing.price_per_t_fen.is_(None), 1), else_=0)
        by = {
            "price": [unpriced, Listing.price_per_t_fen.asc()],
            "-price": [unpriced, Listing.price_per_t_fen.desc()],
            "quantity": [available.asc()], "-quantity": [available.desc()],
            "date": [Listing.published_at.asc()], "-date": [Listing.published_at.desc()],
        }
        if sort in by:
            return [*by[sort], Listing.id.asc()]
        relevance = [score.desc()] if score is not None else []
        return [*relevance, Listing.published_at.desc(), Listing.id.desc()]

    def _search_geo(self, conds, score, sort, page, page_size, geo: Geo) -> Result:
        """Distances need the coordinates of every candidate; the bounding box keeps the candidates few."""
        available = Listing.quantity_g - Listing.reserved_g
        facet_columns = [getattr(Listing, name) for name in FACETS]
        rows = db.session.execute(select(Listing.id, Listing.lat, Listing.lon, score if score is not None else literal(0),
                                         Listing.price_per_t_fen, available, Listing.published_at, *facet_columns)
                                  .where(*conds)).all()
        candidates = []
        for row in rows:
            distance = (haversine_m(geo.lat, geo.lon, float(row[1]), float(row[2]))
                        if row[1] is not None and row[2] is not None else None)
            if geo.radius_km is not None and (distance is None or distance > geo.radius_km * 1000):
                continue
            candidates.append((row, distance))
        candidates.sort(key=lambda c: _python_sort_key(c, sort))
        facets = {name: dict(Counter(_facet_key(row[7 + i]) for row, _d in candidates if row[7 + i] is not None))
                  for i, name in enumerate(FACETS)}
        window = candidates[(page - 1) * page_size: page * page_size]
        listings = {li.id: li for li in db.session.scalars(select(Listing).where(
            Listing.id.in_([row[0] for row, _d in window])))}
        return Result([Hit(listings[row[0]], d) for row, d in window], len(candidates), facets, self.name)


def count_facets_and_page(conds: list, order: list, page: int, page_size: int
                          ) -> tuple[int, dict[str, dict[str, int]], list[int]]:
    """The number of matching listings, the facet counts and the ids of the page's listings, in one statement
    that reads the matching rows once: they are kept in a materialised CTE (the facet columns and what the
    order needs), which is then counted, grouped per facet and sorted for the page. Reading them once per
    answer (and again for the page) was most of a broad query's time."""
    facet_columns = [getattr(Listing, name) for name in FACETS]
    keys = [_order_key(term) for term in order]
    matching = (select(Listing.id, *facet_columns, *[key.label(f"o{i}") for i, (key, _d) in enumerate(keys)])
                .where(*conds).cte("matching").prefix_with("MATERIALIZED"))
    sorted_by = [(matching.c[f"o{i}"].desc() if descending else matching.c[f"o{i}"].asc())
                 for i, (_key, descending) in enumerate(keys)]
    window = select(matching.c.id).order_by(*sorted_by).limit(page_size).offset((page - 1) * page_size).subquery()
    # one column of text for every part's value: PostgreSQL's UNION wants one type per column
    parts = [select(literal(-2).label("part"), cast(window.c.id, String).label("value"), literal(0)),
             select(literal(-1), cast(null(), String), func.count()).select_from(matching)]
    for i, name in enumerate(FACETS):
        column = matching.c[name]
        parts.append(select(literal(i), cast(column, String), func.count()).where(column.is_not(None))
                     .group_by(column))
    total, facets, ids = 0, {name: {} for name in FACETS}, []
    for part, value, count in db.session.execute(union_all(*parts)).all():
        if part == -2:
            ids.append(int(value))
        elif part == -1:
            total = count
        else:  # a boolean cast to text: true/false on PostgreSQL, 1/0 on SQLite
            facets[FACETS[part]][_facet_key(value in ("true", "1") if FACETS[part] == "hazardous" else value)] = count
    return total, facets, ids


def _order_key(term) -> tuple:
    """(expression, descending) of one ORDER BY term built by SqlBackend._order."""
    modifier = getattr(term, "modifier", None)
    if modifier is not None and modifier.__name__ in ("desc_op", "asc_op"):
        return term.element, modifier.__name__ == "desc_op"
    return term, False


def _python_sort_key(candidate, sort: str | None):
    row, distance = candidate
    published = (row[6] or EPOCH).timestamp()
    price, available = row[4], row[5]
    keys = {
        "distance": (distance is None, distance or 0),
        "price": (price is None, price or 0), "-price": (price is None, -(price or 0)),
        "quantity": (available,), "-quantity": (-available,),
        "date": (published,), "-date": (-published,),
    }
    return (*keys.get(sort, (-(row[3] or 0), -published)), row[0] if sort else -row[0])


def _bounding_box(geo: Geo) -> list:
    """A box around the circle, in degrees: cheap to test with indexes, exact distance comes after."""
    d_lat = geo.radius_km / 111.2
    d_lon = geo.radius_km / max(0.01, 111.2 * math.cos(math.radians(geo.lat)))
    return [Listing.lat.is_not(None), Listing.lon.is_not(None),
            and_(Listing.lat >= geo.lat - d_lat, Listing.lat <= geo.lat + d_lat),
            and_(Listing.lon >= geo.lon - d_lon, Listing.lon <= geo.lon + d_lon)]


# --- Meilisearch -------------------------------------------------------------------------------

def _quoted(values) -> str:
    import json

    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"


class MeilisearchBackend:
    name = "meilisearch"

    def filter_expression(self, filters: Filters, geo: Geo | None) -> list[str]:
        expr = [f"status IN {_quoted(filters.statuses)}"]
        for attr, values in (("waste_code", filters.waste_codes), ("category_code", filters.categories),
                             ("stream", filters.streams), ("district_code", filters.districts),
                             ("form", filters.forms)):
            if values:
                expr.append(f"{attr} IN {_quoted(values)}")
        if filters.hazardous is not None:
            expr.append(f"hazardous = {'true' if filters.hazardous else 'false'}")
        for attr, op, value in (("price", ">=", filters.price_min), ("price", "<=", filters.price_max),
                                ("quantity", ">=", filters.quantity_min_g), ("quantity", "<=", filters.quantity_max_g),
                                ("organisation_id", "=", filters.organisation_id)):
            if value is not None:
                expr.append(f"{attr} {op} {int(value)}")
        if filters.listing_ids is not None:
            expr.append(f"id IN {_quoted([int(i) for i in filters.listing_ids])}")
        if geo is not None and geo.radius_km is not None:
            expr.append(f"_geoRadius({geo.lat:.6f}, {geo.lon:.6f}, {int(round(geo.radius_km * 1000))})")
        return expr

    @staticmethod
    def sort_expression(query: str, sort: str | None, geo: Geo | None) -> list[str] | None:
        if sort == "distance":
            return [f"_geoPoint({geo.lat:.6f}, {geo.lon:.6f}):asc", "id:asc"]
        if sort:
            field = sort.lstrip("-")
            return [f"{field}:{'desc' if sort.startswith('-') else 'asc'}", "id:asc"]
        return None if query.strip() else ["date:desc", "id:desc"]

    def raw_search(self, query: str, filters: Filters, sort: str | None = None, page: int = 1,
                   page_size: int = 20, geo: Geo | None = None) -> dict:
        params = {"filter": self.filter_expression(filters, geo), "facets": list(FACETS), "page": page,
                  "hitsPerPage": page_size, "attributesToRetrieve": ["id"], "matchingStrategy": "all",
                  "locales": ["cmn"]}
        if sort_expression := self.sort_expression(query, sort, geo):
            params["sort"] = sort_expression
        # full-width letters and digits (ＨＷ０８, typed with a Chinese input method) as the index has them
        text = normalise(query)
        return meili.call(lambda index: index.search(text, params))

    def search(self, query: str, filters: Filters, sort: str | None = None, page: int = 1, page_size: int = 20,
               geo: Geo | None = None, rows: bool = False) -> Result:
        """One request to Meilisearch (hits, total and facets together), then one read of the page's listings
        that are still what was searched for: ORM objects with what the pages show, or with rows=True plain
        rows and their thumbnails (Hit.listing, Hit.thumbnails) for the API."""
        answer = self.raw_search(query, filters, sort, page, page_size, geo)
        ids = [hit["id"] for hit in answer["hits"]]
        facets = {name: {_facet_key(v) if v in ("true", "false") else v: n
                         for v, n in answer.get("facetDistribution", {}).get(name, {}).items()}
                  for name in FACETS}
        if rows:
            found = load_hit_rows(ids, filters.statuses)
            items = [Hit(found[i][0], distance_to(found[i][0], geo), found[i][1]) for i in ids if i in found]
        else:
            listings = {li.id: li for li in db.session.scalars(
                select(Listing).where(Listing.id.in_(ids), Listing.status.in_(filters.statuses))
                .options(joinedload(Listing.organisation), joinedload(Listing.district),
                         selectinload(Listing.photos)))}
            items = [Hit(listings[i], distance_to(listings[i], geo)) for i in ids if i in listings]
        return Result(items, answer.get("totalHits", len(items)), facets, self.name)


def meilisearch_configured() -> bool:
    return bool(current_app.config.get("MEILISEARCH_URL")) and current_app.config.get("SEARCH_BACKEND") != "sql"


def search(query: str, filters: Filters, sort: str | None = None, page: int = 1, page_size: int = 20,
           geo: Geo | None = None, rows: bool = False) -> Result:
    """Search listings with Meilisearch, or with SQL when Meilisearch is not configured or does not answer.
    rows=True lets Meilisearch's hits be plain rows (see MeilisearchBackend.search); SQL's are always objects."""
    if meilisearch_configured() and meili.available():
        try:
            return MeilisearchBackend().search(query, filters, sort, page, page_size, geo, rows=rows)
        except SearchUnavailable as exc:
            current_app.logger.warning("Meilisearch unavailable, searching with SQL: %s", exc)
    return SqlBackend().search(query, filters, sort, page, page_size, geo)

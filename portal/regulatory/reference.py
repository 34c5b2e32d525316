"""Loads the reference data shipped in portal/regulatory/data: divisions (the national table and
Sanmenxia's townships) and the versioned catalogues.

Idempotent: rows are matched by their natural keys (division code, edition slug, category and waste code
within an edition, the full text of an exemption row), inserted when missing and updated when the shipped
file changed. Nothing else is touched, so a second run changes nothing. The caller commits.
"""
import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

from ..extensions import db
from .geo import gcj02_to_wgs84
from .models import CatalogueEdition, Division, ExemptionItem, WasteCategory, WasteCode

DATA_DIR = Path(__file__).parent / "data"
HAZARDOUS_SLUG = "hw-2021"
GENERAL_SLUG = "sw-2021"

EDITIONS = {
    HAZARDOUS_SLUG: {
        "name": "国家危险废物名录（2021年版）",
        "hazardous": True,
        "in_force_from": date(2021, 1, 1),
        "source": "部令第15号 (MEE Order No. 15), in force 2021-01-01; parsed from the official PDF. "
                  "Exemption list: 危险废物豁免管理清单, published with the catalogue.",
    },
    GENERAL_SLUG: {
        "name": "一般工业固体废物分类（台账指南）",
        "hazardous": False,
        "in_force_from": date(2021, 12, 30),
        "source": "SW category codes of 《一般工业固体废物管理台账制定指南（试行）》 (MEE announcement "
                  "2021 No. 82, in force on publication); transcribed, names provisional.",
    },
}

_MICRO = Decimal("0.000001")


def _rows(name: str) -> list[dict]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _upsert(model, key_attrs: tuple[str, ...], wanted: list[dict], scope=None, prune: bool = False) -> int:
    """Insert the wanted rows that are missing, update those that differ, and with prune delete the
    scope's rows no longer shipped; return how many rows changed."""
    query = select(model)
    if scope is not None:
        query = query.where(scope)
    existing = {tuple(getattr(obj, k) for k in key_attrs): obj for obj in db.session.scalars(query)}
    missing, changed = [], 0
    for row in wanted:
        obj = existing.get(tuple(row[k] for k in key_attrs))
        if obj is None:
            missing.append(row)
            continue
        differs = {k: v for k, v in row.items() if getattr(obj, k) != v}
        if differs:
            for k, v in differs.items():
                setattr(obj, k, v)
            changed += 1
    stale = []
    if prune:
        keep = {tuple(row[k] for k in key_attrs) for row in wanted}
        stale = [obj for key, obj in existing.items() if key not in keep]
        for obj in stale:
            db.session.delete(obj)
    if missing:
        # bulk insert: one executemany instead of hundreds of ORM flushes
        db.session.execute(insert(model), missing)
    db.session.flush()
    return changed + len(missing) + len(stale)


def _coordinate(lat: str, lon: str) -> tuple[Decimal | None, Decimal | None]:
    if not lat or not lon:
        return None, None
    w_lat, w_lon = gcj02_to_wgs84(float(lat), float(lon))
    return Decimal(repr(w_lat)).quantize(_MICRO), Decimal(repr(w_lon)).quantize(_MICRO)


def _national_division_rows() -> dict[str, dict]:
    """The national table with its shortened codes widened to six digits (see data/README.md)."""
    rows: dict[str, dict] = {}

    def add(code: str, name: str, level: str, parent: str | None) -> None:
        rows[code] = {"code": code, "name": name, "level": level, "parent_code": parent,
                      "center_lat": None, "center_lon": None}

    for r in _rows("china_provinces.csv"):
        add(r["code"] + "0000", r["name"], "province", None)
    for r in _rows("china_cities.csv"):
        add(r["code"] + "00", r["name"], "city", r["provinceCode"] + "0000")
    for r in _rows("china_areas.csv"):
        parent = r["cityCode"] + "00"
        if r["code"] == parent:  # 东莞, 中山, 儋州 have no counties: one county-level row under the province
            parent = r["provinceCode"] + "0000"
        add(r["code"], r["name"], "county", parent)
    return rows


def _division_rows() -> list[dict]:
    national = _national_division_rows()
    rows = []
    for r in _rows("sanmenxia_divisions_county.csv"):
        national.pop(r["code"], None)  # Sanmenxia's own rows carry the centres
        lat, lon = _coordinate(r["center_lat"], r["center_lon"])
        rows.append({"code": r["code"], "name": r["name"], "level": r["level"],
                     "parent_code": r["parent_code"], "center_lat": lat, "center_lon": lon})
    for r in _rows("sanmenxia_divisions_township.csv"):
        rows.append({"code": r["code"], "name": r["name"], "level": "township",
                     "parent_code": r["county_code"], "center_lat": None, "center_lon": None})
    return rows + list(national.values())


def _edition(slug: str) -> tuple[CatalogueEdition, int]:
    fields = EDITIONS[slug]
    edition = db.session.scalar(select(CatalogueEdition).where(CatalogueEdition.slug == slug))
    if edition is None:
        edition = CatalogueEdition(slug=slug, **fields)
        db.session.add(edition)
        db.session.flush()
        return edition, 1
    differs = {k: v for k, v in fields.items() if getattr(edition, k) != v}
    for k, v in differs.items():
        setattr(edition, k, v)
    return edition, int(bool(differs))


def _category_ids(edition_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(WasteCategory.code, WasteCategory.id)
                                   .where(WasteCategory.edition_id == edition_id)).all())


def _load_hazardous() -> int:
    edition, changed = _edition(HAZARDOUS_SLUG)
    categories = [{"edition_id": edition.id, "code": r["category_code"], "name": r["category_name"]}
                  for r in _rows("hazardous_waste_categories_2021.csv")]
    changed += _upsert(WasteCategory, ("edition_id", "code"), categories, WasteCategory.edition_id == edition.id)
    category_ids = _category_ids(edition.id)
    codes = [{
        "edition_id": edition.id, "category_id": category_ids[r["category_code"]], "code": r["waste_code"],
        "compact_code": r["waste_code"].replace("-", ""), "hazardous": True,
        "industry_source": r["industry_source"] or None, "description": r["description"],
        "hazard_characteristics": r["hazard_characteristics"] or None,
        "toxic": r["T"] == "1", "corrosive": r["C"] == "1", "ignitable": r["I"] == "1",
        "reactive": r["R"] == "1", "infectious": r["In"] == "1",
    } for r in _rows("national_hazardous_waste_catalogue_2021.csv")]
    changed += _upsert(WasteCode, ("edition_id", "code"), codes, WasteCode.edition_id == edition.id)
    exemptions = [{"edition_id": edition.id, "item_no": int(r["item_no"]), **{
        k: r[k] for k in ("waste_category_or_code", "hazardous_waste", "exempt_stage", "exempt_condition",
                          "exempt_content")}} for r in _rows("hazardous_waste_exemption_list_2021.csv")]
    # an item spans several rows (one per stage/condition) and has no code of its own, so the whole row
    # is its natural key; nothing refers to these rows, so a corrected row replaces the old one
    key = ("edition_id", "item_no", "waste_category_or_code", "hazardous_waste", "exempt_stage",
           "exempt_condition", "exempt_content")
    changed += _upsert(ExemptionItem, key, exemptions, ExemptionItem.edition_id == edition.id, prune=True)
    return changed


def _load_general() -> int:
    edition, changed = _edition(GENERAL_SLUG)
    rows = _rows("general_industrial_solid_waste_categories.csv")
    categories = [{"edition_id": edition.id, "code": r["code"], "name": r["name"]} for r in rows]
    changed += _upsert(WasteCategory, ("edition_id", "code"), categories, WasteCategory.edition_id == edition.id)
    category_ids = _category_ids(edition.id)
    # the guide has no finer codes: each category is the code a ledger entry records
    codes = [{
        "edition_id": edition.id, "category_id": category_ids[r["code"]], "code": r["code"],
        "compact_code": r["code"], "hazardous": False, "industry_source": r["example_sources"] or None,
        "description": r["name"], "hazard_characteristics": None, "toxic": False, "corrosive": False,
        "ignitable": False, "reactive": False, "infectious": False,
    } for r in rows]
    changed += _upsert(WasteCode, ("edition_id", "code"), codes, WasteCode.edition_id == edition.id)
    return changed


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def load_reference_data() -> dict:
    """Load or refresh divisions and catalogues; return the row counts and how many rows changed."""
    changed = _upsert(Division, ("code",), _division_rows())
    changed += _load_hazardous()
    changed += _load_general()
    return {
        "divisions": _count(Division),
        "catalogue_editions": _count(CatalogueEdition),
        "waste_categories": _count(WasteCategory),
        "waste_codes": _count(WasteCode),
        "exemption_items": _count(ExemptionItem),
        "changed": changed,
    }

